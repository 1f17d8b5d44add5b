/**
 * Several real `keyheat serve` processes on one PostgreSQL, analysing real Redis servers: a
 * process SIGKILLed mid-scan loses nothing, concurrent creates through both processes accept
 * exactly one, and SIGTERM hands running work back and exits 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeyheat, type KeyheatProcess } from '../helpers/keyheat-process.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';
import { createPgSchema, postgresAvailable, type PgSchema } from '../helpers/stores.js';

const TOKEN = 'multi-process-admin-token-0001';
const INSTANCES = ['cache-a', 'cache-b', 'cache-c'];

interface Node {
  readonly port: number;
  readonly process: KeyheatProcess;
}

describe.runIf(postgresAvailable())('keyheat processes sharing one PostgreSQL', () => {
  let schema: PgSchema;
  let dir: string;
  let config: string;
  const redis: RedisServer[] = [];
  const nodes: Node[] = [];

  async function serve(): Promise<Node> {
    const port = await freePort();
    const process = runKeyheat(['serve', '--config', config, '--port', String(port)]);
    await process.waitFor(/listening on/);
    const node = { port, process };
    nodes.push(node);
    return node;
  }

  async function api(node: Node, method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`http://127.0.0.1:${node.port}/v2/p1${url}`, {
      method,
      headers: { 'x-auth-token': TOKEN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function waitForStatus(node: Node, instance: string, id: string, statuses: string[], timeoutMs = 40_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = (await api(node, 'GET', `/instances/${instance}/hotkey-task/${id}`)).body;
      if (statuses.includes(task['status'] as string)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id}: ${JSON.stringify(task)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    schema = await createPgSchema();
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-multi-'));
    for (let i = 0; i < INSTANCES.length; i++) {
      const server = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
      await seedRedis(server, [{ name: `hot-${i}`, db: 0, type: 'string', size: 1, hits: 20 + i }], 2000);
      redis.push(server);
    }
    config = path.join(dir, 'keyheat.json');
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: dir,
        database: { url: schema.url },
        log: { level: 'warn' },
        runner: { concurrency: 1, poll_interval_ms: 200, lease_ms: 2000, shutdown_grace_ms: 300 },
        projects: [{ project_id: 'p1', tokens: [TOKEN] }],
        instances: INSTANCES.map((id, i) => ({ project_id: 'p1', instance_id: id, name: id, url: redis[i]!.url })),
      }),
    );
  });

  afterAll(async () => {
    for (const node of nodes) {
      if (node.process.child.exitCode === null) {
        node.process.child.kill('SIGKILL');
        await node.process.exited();
      }
    }
    for (const server of redis) await server.stop();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start together, migrate once and see the same data', async () => {
    const [a, b] = await Promise.all([serve(), serve()]);
    const viaA = await api(a!, 'GET', '/instances');
    const viaB = await api(b!, 'GET', '/instances');
    expect(viaA.body['instance_num']).toBe(3);
    expect(viaB.body).toEqual(viaA.body);
  });

  it('accept exactly one of many concurrent creates for one instance, whichever process gets them', async () => {
    const [a, b] = nodes;
    // Paced to about 4 s, so the accepted task is still active when the slowest of the eight
    // requests (each checks the Redis first) reaches the database: an unpaced scan of 2001 keys
    // can end before a loaded machine has answered them all, and the next create is then legal.
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api(i % 2 === 0 ? a! : b!, 'POST', '/instances/cache-a/hotkey-task', { rate_limit: 500 })),
    );
    const accepted = responses.filter((r) => r.status === 200);
    expect(accepted).toHaveLength(1);
    for (const r of responses.filter((x) => x.status !== 200)) expect(r.body['error_code']).toBe('DCS.4921');
    await waitForStatus(a!, 'cache-a', accepted[0]!.body['id'] as string, ['success']);
  });

  it('finish every task when a process is SIGKILLed in the middle of a scan', async () => {
    const [a, b] = nodes;
    // A Redis < 7.2 counted the previous task's size probe as an access: expect today's counters.
    const before = await Promise.all(redis.map((server, i) => server.command(['OBJECT', 'FREQ', `hot-${i}`])));
    // 2001 keys at 500 keys/s: each scan takes about 4 s.
    const created = await Promise.all(INSTANCES.map((id) => api(a!, 'POST', `/instances/${id}/hotkey-task`, { rate_limit: 500 })));
    const ids = created.map((r) => r.body['id'] as string);
    expect(created.every((r) => r.status === 200)).toBe(true);
    // Each process runs one analysis at a time: both are busy once two tasks are running.
    for (;;) {
      const statuses = await Promise.all(INSTANCES.map(async (id, i) => (await api(b!, 'GET', `/instances/${id}/hotkey-task/${ids[i]!}`)).body['status']));
      if (statuses.filter((s) => s === 'running').length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    a!.process.child.kill('SIGKILL');
    await a!.process.exited();
    const finished = await Promise.all(INSTANCES.map((id, i) => waitForStatus(b!, id, ids[i]!, ['success', 'failed'], 60_000)));
    for (const [i, task] of finished.entries()) {
      expect(task['status']).toBe('success');
      expect((task['keys'] as Record<string, unknown>[])[0]).toMatchObject({ name: `hot-${i}`, freq: before[i] });
      expect((task['analysis'] as Record<string, unknown>)['scanned_keys']).toBe(2001);
    }
  });

  async function stopAll(): Promise<void> {
    for (const node of nodes) {
      if (node.process.child.exitCode !== null || node.process.child.signalCode !== null) continue;
      node.process.child.kill('SIGTERM');
      expect(await node.process.exited()).toBe(0);
    }
  }

  async function keyheatClients(server: RedisServer): Promise<number> {
    return String(await server.command(['CLIENT', 'LIST'])).split('\n').filter((line) => line.includes('name=keyheat')).length;
  }

  it('stop a scan within about a second when its task is deleted through another process', async () => {
    await stopAll();
    const runner = await serve(); // alone: it claims the task
    const created = await api(runner, 'POST', '/instances/cache-c/hotkey-task', { rate_limit: 200 });
    const id = created.body['id'] as string;
    await waitForStatus(runner, 'cache-c', id, ['running']);
    const other = await serve(); // started after the claim: it cannot hold the task
    expect(await keyheatClients(redis[2]!)).toBeGreaterThan(0);
    const deleted = await api(other, 'DELETE', `/instances/cache-c/hotkey-task/${id}`);
    expect(deleted.status).toBe(200);
    const started = Date.now();
    while ((await keyheatClients(redis[2]!)) > 0) {
      expect(Date.now() - started).toBeLessThan(2500);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await api(other, 'POST', '/instances/cache-c/hotkey-task')).status).toBe(200);
  });

  it('on SIGTERM hand a running analysis back within the grace period and exit 0; another process completes it', async () => {
    await stopAll();
    const alone = await serve();
    const created = await api(alone, 'POST', '/instances/cache-b/hotkey-task', { rate_limit: 300 });
    const id = created.body['id'] as string;
    await waitForStatus(alone, 'cache-b', id, ['running']);
    const stopping = Date.now();
    alone.process.child.kill('SIGTERM');
    expect(await alone.process.exited()).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5000);
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    const row = await client.query<{ status: string; runner_id: string | null }>('select status, runner_id from hotkey_tasks where id = $1', [id]);
    await client.end();
    expect(row.rows[0]).toEqual({ status: 'waiting', runner_id: null });
    const next = await serve();
    const task = await waitForStatus(next, 'cache-b', id, ['success', 'failed'], 60_000);
    expect(task['status']).toBe('success');
  });
});
