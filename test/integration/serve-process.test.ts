/**
 * `keyheat serve` as a real process: first-start bootstrap, restart, token reset, and a
 * SIGKILL in the middle of a scan that loses nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runKeyheat, runKeyheatToEnd, type KeyheatProcess } from '../helpers/keyheat-process.js';
import { startProxy } from '../helpers/intercepting-proxy.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-serve-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function serve(args: string[]): KeyheatProcess {
  const run = runKeyheat(['serve', ...args]);
  cleanups.push(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited();
    }
  });
  return run;
}

async function api(port: number, token: string, method: string, url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers: { 'x-auth-token': token } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('keyheat serve without a config', () => {
  it('creates a project and an admin token once, reuses them, and can reset the token', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = serve(['--port', String(port), '--data-dir', dataDir]);
    const [, projectId, token] = await first.waitFor(/project_id:\s+(\w+)\n\s+X-Auth-Token:\s+(\S+)/);
    await first.waitFor(/listening on/);
    expect((await api(port, token!, 'GET', `/v2/${projectId!}/instances`)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);

    const second = serve(['--port', String(port), '--data-dir', dataDir]);
    await second.waitFor(/listening on/);
    expect(second.output()).toContain(`keyheat project_id: ${projectId!}`);
    expect(second.output()).toMatch(/keyheat token reset/);
    expect(second.output()).not.toContain(token!);
    expect((await api(port, token!, 'GET', `/v2/${projectId!}/instances`)).status).toBe(200);

    // The store is in use: a reset must wait until serve stops.
    const refused = await runKeyheatToEnd(['token', 'reset', '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/another process is using the database .*keyheat\.db \(is keyheat serve running\?\)/);
    second.child.kill('SIGTERM');
    await second.exited();

    const reset = await runKeyheatToEnd(['token', 'reset', '--data-dir', dataDir]);
    expect(reset.code).toBe(0);
    const newToken = /\n\s+(kh_\S+)/.exec(reset.output)?.[1];
    expect(newToken).toBeDefined();

    const third = serve(['--port', String(port), '--data-dir', dataDir]);
    await third.waitFor(/listening on/);
    expect((await api(port, token!, 'GET', `/v2/${projectId!}/instances`)).body['error_code']).toBe('DCS.1001');
    expect((await api(port, newToken!, 'GET', `/v2/${projectId!}/instances`)).status).toBe(200);
    // Five keyheat processes started from source, one after another: ~1 s each on an idle
    // 2-core machine, several times that while the rest of the suite runs beside it.
  }, 90_000);

  it('answers keyheat healthcheck through the same configuration: 0 while it serves, 1 with the reason otherwise', async () => {
    const port = await freePort();
    const env = { KEYHEAT_PORT: String(port), KEYHEAT_HOST: '0.0.0.0', KEYHEAT_DATA_DIR: tempDir() };
    const running = runKeyheat(['serve'], { env });
    cleanups.push(async () => {
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
      await running.exited();
    });
    await running.waitFor(/listening on/);
    // The wildcard address is probed on loopback.
    const healthy = await runKeyheatToEnd(['healthcheck'], { env });
    expect(healthy).toMatchObject({ code: 0, output: '' });
    running.child.kill('SIGTERM');
    await running.exited();
    const down = await runKeyheatToEnd(['healthcheck'], { env });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^keyheat healthcheck: http://127\\.0\\.0\\.1:${port}/readyz: .*ECONNREFUSED`));
  }, 60_000);

  it('exits 2 with usage on a bad command line, 1 with the reason on a bad config', async () => {
    expect((await runKeyheatToEnd(['serve', '--bogus'])).code).toBe(2);
    expect((await runKeyheatToEnd(['frobnicate'])).code).toBe(2);
    const bad = await runKeyheatToEnd(['serve', '--port', 'eighty']);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/invalid configuration[\s\S]*\/server\/port/);
  });
});

describe('a keyheat killed in the middle of a scan', () => {
  it('loses no task: after a restart the task runs again and succeeds', async () => {
    const redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    cleanups.push(() => redis.stop());
    await seedRedis(redis, [{ name: 'the-hot-one', db: 0, type: 'string', size: 3, hits: 77 }], 3000);
    let slow = true; // while the first process runs, every SCAN page takes 20 ms
    const proxy = await startProxy(redis.port, async (args) => {
      if (slow && args[0]?.toString().toUpperCase() === 'SCAN') await new Promise((r) => setTimeout(r, 20));
    });
    cleanups.push(() => proxy.close());

    const dataDir = tempDir();
    const config = path.join(dataDir, 'keyheat.yaml');
    const token = 'crash-test-admin-token-000000001';
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: dataDir,
        log: { level: 'warn' },
        analysis: { batch_size: 20 },
        runner: { poll_interval_ms: 100, lease_ms: 2000 },
        projects: [{ project_id: 'p1', tokens: [token] }],
        instances: [{ project_id: 'p1', instance_id: 'cache-1', name: 'cache-1', url: `redis://127.0.0.1:${proxy.port}` }],
      }),
    );
    const port = await freePort();
    const first = serve(['--config', config, '--port', String(port)]);
    await first.waitFor(/listening on/);
    const created = await api(port, token, 'POST', '/v2/p1/instances/cache-1/hotkey-task');
    expect(created.status).toBe(200);
    const taskUrl = `/v2/p1/instances/cache-1/hotkey-task/${created.body['id'] as string}`;
    for (;;) {
      const task = await api(port, token, 'GET', taskUrl);
      const nodes = (task.body['progress'] as { nodes: { scanned_keys: number }[] } | undefined)?.nodes;
      if (task.body['status'] === 'running' && nodes !== undefined && nodes[0]!.scanned_keys > 0) break;
      expect(task.body['status']).not.toBe('success');
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited();
    slow = false;

    const second = serve(['--config', config, '--port', String(port)]);
    await second.waitFor(/listening on/);
    let task: Record<string, unknown> = {};
    for (let i = 0; i < 400 && task['status'] !== 'success' && task['status'] !== 'failed'; i++) {
      task = (await api(port, token, 'GET', taskUrl)).body;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(task['status']).toBe('success');
    expect((task['keys'] as Record<string, unknown>[])[0]).toMatchObject({ name: 'the-hot-one', freq: 82 });
    expect((task['analysis'] as Record<string, unknown>)['scanned_keys']).toBe(3001);
    const list = await api(port, token, 'GET', '/v2/p1/instances/cache-1/hotkey-tasks');
    expect(list.body['count']).toBe(1);
  });
});
