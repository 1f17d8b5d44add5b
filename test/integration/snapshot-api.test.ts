/**
 * The snapshot strategy through the API, against real redis-server processes: a hot and a big
 * key task with {"strategy": "snapshot"}, the same answer as a scan, what the fork cost in the
 * task, the refusals at creation (ACL, memory, options that pace a scan), and a task deleted
 * while its node waits to fork, which leaves no replica connection behind on the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasksCommand } from '../../src/cli/client/tasks-command.js';
import { memoryIo } from '../helpers/client-io.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { fillColdKeys, restoreWithFreq } from '../helpers/seed-keys.js';

type Json = Record<string, unknown>;

describe('snapshot tasks over the API', () => {
  let harness: Harness;
  let redis: RedisServer;
  let id: string;

  beforeAll(async () => {
    harness = await startHarness();
    redis = await startRedis({ lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0'] });
    await restoreWithFreq(redis, [
      { name: 'hot:a', freq: 200 },
      { name: 'hot:b', freq: 120 },
      { name: 'hot:c', freq: 40 },
    ]);
    const connection = await redis.connect();
    try {
      await fillColdKeys(connection, 5000);
      await connection.call(['RPUSH', 'big:list', ...Array.from({ length: 6000 }, (_, i) => String(i))]);
      await connection.call(['SET', 'big:string', 'x'.repeat(20_000)]);
    } finally {
      connection.close();
    }
    id = await harness.registerInstance(redis.url, 'snap');
  }, 60_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
  });

  async function run(kind: 'hotkey' | 'bigkey', body: Json | undefined): Promise<Json> {
    const created = await harness.request('POST', `/v2/${P1}/instances/${id}/${kind}-task`, body === undefined ? {} : { body });
    expect(created.status, created.text).toBe(200);
    const taskId = created.body['id'] as string;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const task = (await harness.request('GET', `/v2/${P1}/instances/${id}/${kind}-task/${taskId}`)).body;
      if (task['status'] === 'success' || task['status'] === 'failed') return task;
      if (Date.now() > deadline) throw new Error(`task ${taskId} still ${String(task['status'])}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('a hot key task with strategy snapshot finds what a scan finds, and says what the fork cost', async () => {
    // The snapshot first: on Redis < 7.2 a scan's TYPE and size probes may add one access to the keys it reports.
    const snap = await run('hotkey', { strategy: 'snapshot' });
    const scan = await run('hotkey', undefined);
    expect(snap['status'], String(snap['error_msg'])).toBe('success');
    expect(snap['options']).toEqual({ strategy: 'snapshot' });
    const names = (task: Json) => (task['keys'] as Json[]).map((k) => [k['name'], k['type'], k['size'], k['freq']]);
    expect(names(snap)).toEqual(names(scan));
    expect(names(snap).map((k) => k[0])).toEqual(['hot:a', 'hot:b', 'hot:c']);
    const analysis = snap['analysis'] as Json;
    expect(analysis['scanned_keys']).toBe((scan['analysis'] as Json)['scanned_keys']);
    const snapshot = snap['snapshot'] as { source: string; nodes: Json[] };
    expect(snapshot.source).toBe('live');
    expect(snapshot.nodes).toHaveLength(1);
    const node = snapshot.nodes[0] as Json;
    expect(node['node']).toBe(`127.0.0.1:${redis.port}`);
    expect(node['protocol']).toBe('rdb-only');
    expect(node['rdb_bytes']).toBeGreaterThan(20_000);
    expect(node['keys']).toBe(5005);
    expect(typeof node['fork_usec']).toBe('number');
    expect(((snap['advice'] as Json[]) ?? []).map((a) => a['code'])).toContain('snapshot-cost');
    // The fork is the node's one block: it is what the per-node report calls the longest.
    expect((analysis['nodes'] as Json[])[0]?.['longest_block_us']).toBe(node['fork_usec']);
    // A scan task carries no snapshot report.
    expect(scan['snapshot']).toBeUndefined();
  }, 60_000);

  it('a big key task with strategy snapshot reports the same big keys and totals as a scan', async () => {
    const scan = await run('bigkey', undefined);
    const snap = await run('bigkey', { strategy: 'snapshot' });
    expect(snap['status'], String(snap['error_msg'])).toBe('success');
    const keys = (task: Json) => (task['keys'] as Json[]).map((k) => [k['name'], k['type'], k['size'], k['ttl']]);
    expect(keys(snap)).toEqual(keys(scan));
    expect(keys(snap).map((k) => k[0]).sort()).toEqual(['big:list', 'big:string']);
    const totals = (task: Json) => (task['types'] as Json[]).map((t) => [t['type'], t['keys'], t['total_size'], t['big_keys']]);
    expect(totals(snap)).toEqual(totals(scan));
    expect((snap['snapshot'] as Json)['source']).toBe('live');
  }, 60_000);

  it('keyheat tasks create --snapshot --wait runs a snapshot task and prints what it read', async () => {
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.keyheat.http.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const io = memoryIo({ KEYHEAT_SERVER: `http://127.0.0.1:${port}`, KEYHEAT_PROJECT: P1, KEYHEAT_TOKEN: ADMIN });
    const code = await tasksCommand(['create', id, '--snapshot', '--wait'], io);
    const out = io.out.join('');
    expect(code, io.err.join('')).toBe(0);
    expect(out).toMatch(/hot:a/);
    expect(out).toMatch(/Snapshots read:\n {2}127\.0\.0\.1:\d+ \(primary\): RDB v\d+ .*, fork [\d.]+ ms/);
    const refused = memoryIo({ KEYHEAT_SERVER: `http://127.0.0.1:${port}`, KEYHEAT_PROJECT: P1, KEYHEAT_TOKEN: ADMIN });
    // A usage error goes up to the command line, which prints it with the usage and exits 2.
    await expect(tasksCommand(['create', id, '--snapshot-replicas'], refused)).rejects.toThrow(/--snapshot-replicas needs --snapshot/);
  }, 60_000);

  it('refuses options that pace a scan, and snapshot_replicas without the strategy, as invalid parameters', async () => {
    const paced = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { strategy: 'snapshot', max_cpu_share: 0.2 } });
    expect(paced.status).toBe(400);
    expect(paced.body['error_ext_msg'] ?? paced.body['error_msg']).toMatch(/max_cpu_share paces the scan strategy/);
    const replicas = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { snapshot_replicas: true } });
    expect(replicas.status).toBe(400);
    expect(replicas.text).toMatch(/snapshot_replicas needs strategy/);
    const unknown = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { strategy: 'rsync' } });
    expect(unknown.status).toBe(400);
    const memory = await harness.request('POST', `/v2/${P1}/instances/${id}/bigkey-task`, { body: { strategy: 'snapshot', memory_usage: true } });
    expect(memory.status).toBe(400);
    expect(memory.text).toMatch(/memory_usage reads MEMORY USAGE during a scan; a snapshot has no MEMORY USAGE/);
  });

  it('refuses at creation, saying how to allow it, where keyheat may not SYNC or the node lacks memory for a fork', async () => {
    await redis.command(['ACL', 'SETUSER', 'nosync', 'on', '>nosync-pw', '~*', '+@all', '-sync']);
    const aclId = await harness.registerInstance(redis.url.replace('redis://', 'redis://nosync:nosync-pw@'), 'nosync');
    const refused = await harness.request('POST', `/v2/${P1}/instances/${aclId}/hotkey-task`, { body: { strategy: 'snapshot' } });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/does not permit SYNC.*\+sync \+replconf/);
    expect(refused.text).not.toMatch(/nosync-pw/);
    // The same user may scan.
    const scan = await harness.createTask(aclId);
    expect(scan.status, scan.text).toBe(200);
    await harness.waitForTask(aclId, scan.body['id'] as string);

    const tight = await startHarness({ config: { snapshot: { max_memory_share: 0.000001 } } });
    try {
      const tightId = await tight.registerInstance(redis.url, 'tight');
      const noRoom = await tight.request('POST', `/v2/${P1}/instances/${tightId}/hotkey-task`, { body: { strategy: 'snapshot' } });
      expect(noRoom.status).toBe(400);
      expect(noRoom.text).toMatch(/copy-on-write.*snapshot\.max_memory_share/);
    } finally {
      await tight.close({ removeData: true });
    }
  }, 60_000);

  it('a task deleted while its node waits to fork stops at once and leaves no replica connection on the node', async () => {
    // The default repl-diskless-sync-delay: the node waits 5 s for more replicas before it forks.
    const slow = await startRedis({ extraArgs: ['--repl-diskless-sync-delay', '5'] });
    try {
      await restoreWithFreq(slow, [{ name: 'k', freq: 50 }]);
      const slowId = await harness.registerInstance(slow.url, 'slow');
      const created = await harness.request('POST', `/v2/${P1}/instances/${slowId}/hotkey-task`, { body: { strategy: 'snapshot' } });
      expect(created.status, created.text).toBe(200);
      const taskId = created.body['id'] as string;
      await harness.waitForTask(slowId, taskId, ['running'], 10_000);
      // Wait until the node has keyheat as a replica waiting for its RDB.
      const replicaSeen = Date.now() + 5000;
      while (!/connected_slaves:1/.test(String(await slow.command(['INFO', 'replication'])))) {
        if (Date.now() > replicaSeen) throw new Error('keyheat never asked for the RDB');
        await new Promise((r) => setTimeout(r, 50));
      }
      const started = Date.now();
      const deleted = await harness.request('DELETE', `/v2/${P1}/instances/${slowId}/hotkey-task/${taskId}`);
      expect(deleted.status, deleted.text).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
      const gone = Date.now() + 3000;
      while (!/connected_slaves:0/.test(String(await slow.command(['INFO', 'replication'])))) {
        if (Date.now() > gone) throw new Error('the replica connection stayed open');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await slow.stop();
    }
  }, 30_000);
});
