/**
 * Redis Cluster end to end: a real 3-primary cluster made with redis-cli --cluster create, hot
 * keys on every shard, through the HTTP API and the CLI; progress, cancel and pacing; a primary
 * killed mid-scan; a slot migrated mid-scan (MOVED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, P1, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startProxy } from '../helpers/intercepting-proxy.js';
import { freePort } from '../helpers/redis-server.js';
import { dcsPart, undocumentedFields } from '../helpers/dcs-fields.js';
import { keysOnNode, startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { seedKeys, seedRedis } from '../helpers/seed-keys.js';

interface HotSpec {
  readonly name: string;
  readonly node: number;
  readonly hits: number;
}

/** Two hot keys per shard with distinct counters, and `cold` never-read keys per shard. */
async function seedCluster(cluster: RedisCluster, cold: number): Promise<HotSpec[]> {
  const hot: HotSpec[] = [];
  for (let node = 0; node < 3; node++) {
    const names = await keysOnNode(cluster, node, `hot-${node}-`, 2);
    names.forEach((name, i) => hot.push({ name, node, hits: 20 + node * 30 + i * 10 }));
    const connection = await cluster.nodes[node]!.connect();
    await seedKeys(connection, hot.filter((h) => h.node === node).map((h) => ({ name: h.name, db: 0, type: 'string' as const, size: 4, hits: h.hits })));
    const coldNames = await keysOnNode(cluster, node, `cold-${node}-`, cold);
    for (let i = 0; i < coldNames.length; i += 1000) await connection.pipeline(coldNames.slice(i, i + 1000).map((n) => ['SET', n, 'v']));
    connection.close();
  }
  return hot.sort((a, b) => b.hits - a.hits);
}

/** OBJECT FREQ of each hot key now, on its node (a Redis < 7.2 counts keyheat's size probe as an access). */
async function currentFreqs(cluster: RedisCluster, hot: readonly HotSpec[]): Promise<number[]> {
  return Promise.all(hot.map(async (h) => (await cluster.nodes[h.node]!.command(['OBJECT', 'FREQ', h.name])) as number));
}

async function keyheatClients(cluster: RedisCluster, node: number): Promise<number> {
  const list = String(await cluster.nodes[node]!.command(['CLIENT', 'LIST']));
  return list.split('\n').filter((line) => line.includes('name=keyheat')).length;
}

describe('a 3-primary Redis Cluster', () => {
  let cluster: RedisCluster;
  let hot: HotSpec[];
  let harness: Harness;
  let instanceId: string;

  beforeAll(async () => {
    cluster = await startCluster({ lfuLogFactor: 0, lfuDecayTime: 0 });
    hot = await seedCluster(cluster, 1500);
    harness = await startHarness();
    instanceId = await harness.registerInstance(cluster.seedUrl);
  });
  afterAll(async () => {
    await harness?.close({ removeData: true });
    await cluster?.stop();
  });

  const base = () => `/v2/${P1}/instances/${instanceId}`;

  it('registers as a cluster instance', async () => {
    expect((await harness.request('GET', base())).body['mode']).toBe('cluster');
  });

  it('reports the hot keys of every shard with their shard, in freq order', async () => {
    const created = await harness.createTask(instanceId);
    expect(created.status).toBe(200);
    const task = await harness.waitForTask(instanceId, created.body['id'] as string);
    expect(task['status']).toBe('success');
    const keys = task['keys'] as Record<string, unknown>[];
    expect(keys.map((k) => k['name'])).toEqual(hot.map((h) => h.name));
    keys.forEach((key, i) => {
      expect(key).toMatchObject({ type: 'string', db: 0, size: 4, unit: 'byte', freq: 5 + hot[i]!.hits, shard: cluster.announced[hot[i]!.node] });
    });
    expect(new Set(keys.map((k) => k['shard'])).size).toBe(3);
    // HotkeysBody of a cluster instance: every DCS field, shard included, and only documented additions.
    for (const key of keys) expect(Object.keys(dcsPart(key)).sort()).toEqual(['db', 'freq', 'name', 'shard', 'size', 'type', 'unit']);
    expect(keys.flatMap(undocumentedFields)).toEqual([]);
    expect(task['analysis']).toMatchObject({ scanned_keys: 3 * 1502, vanished_keys: 0 });
  });

  it('does the same through keyheat scan --json, and prints a table with the shard', async () => {
    const before = await currentFreqs(cluster, hot);
    const json = await runKeyheatToEnd(['scan', cluster.seedUrl, '--json', '--top', '3']);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.output) as { mode: string; keys: Record<string, unknown>[]; analysis: { scanned_keys: number; nodes: Record<string, unknown>[] } };
    expect(result.mode).toBe('cluster');
    expect(result.keys.map((k) => [k['name'], k['shard'], k['freq']])).toEqual(hot.slice(0, 3).map((h, i) => [h.name, cluster.announced[h.node], before[i]]));
    expect(result.analysis.scanned_keys).toBe(3 * 1502);
    expect(result.analysis.nodes.map((n) => n['node']).sort()).toEqual([...cluster.announced].sort());
    for (const node of result.analysis.nodes) {
      expect(node).toMatchObject({ scanned_keys: 1502, expected_keys: 1502, traffic_seen: false });
      expect(node['cpu_share']).toEqual(expect.any(Number));
    }
    const table = await runKeyheatToEnd(['scan', cluster.seedUrl, '--top', '2']);
    expect(table.code).toBe(0);
    expect(table.output).toMatch(/shard/);
    expect(table.output).toContain(hot[0]!.name);
    expect(table.output).toContain(cluster.announced[hot[0]!.node]!);
  });

  it('shows per-node progress while running, stops within a second when deleted, and frees the instance', async () => {
    // 1500 keys per primary at 300 keys/s: about 5 s of scanning.
    const created = await harness.request('POST', `${base()}/hotkey-task`, { body: { rate_limit: 300, batch_size: 50 } });
    expect(created.status).toBe(200);
    expect(created.body['options']).toEqual({ batch_size: 50, rate_limit: 300 });
    const id = created.body['id'] as string;
    let progress: { node: string; scanned_keys: number; expected_keys: number }[] = [];
    for (let i = 0; i < 200; i++) {
      const task = await harness.request('GET', `${base()}/hotkey-task/${id}`);
      progress = (task.body['progress'] as { nodes: typeof progress } | undefined)?.nodes ?? [];
      if (task.body['status'] === 'running' && progress.length === 3 && progress.every((n) => n.scanned_keys > 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(progress.map((n) => n.node).sort()).toEqual([...cluster.announced].sort());
    for (const node of progress) {
      expect(node.expected_keys).toBe(1502);
      expect(node.scanned_keys).toBeLessThan(node.expected_keys);
    }
    expect(await keyheatClients(cluster, 0)).toBeGreaterThan(0);

    const started = Date.now();
    const deleted = await harness.request('DELETE', `${base()}/hotkey-task/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body['status']).toBe('running');
    expect(Date.now() - started).toBeLessThan(1000);
    for (let node = 0; node < 3; node++) expect(await keyheatClients(cluster, node)).toBe(0);
    const next = await harness.createTask(instanceId);
    expect(next.status).toBe(200);
    await harness.waitForTask(instanceId, next.body['id'] as string);
  });

  it('honours the rate limit per primary', async () => {
    const created = await harness.request('POST', `${base()}/hotkey-task`, { body: { rate_limit: 1000 } });
    const task = await harness.waitForTask(instanceId, created.body['id'] as string);
    expect(task['status']).toBe('success');
    // 1502 keys per primary at 1000 keys/s, primaries in parallel: at least ~1.4 s.
    expect((task['analysis'] as { duration_ms: number }).duration_ms).toBeGreaterThanOrEqual(1400);
  });

  it('honours the batch size (SCAN COUNT) on every primary', async () => {
    const scanCalls = async (): Promise<number[]> =>
      Promise.all(cluster.nodes.map(async (node) => Number(/cmdstat_scan:calls=(\d+)/.exec(String(await node.command(['INFO', 'commandstats'])))?.[1] ?? 0)));
    for (const node of cluster.nodes) await node.command(['CONFIG', 'RESETSTAT']);
    const small = await harness.request('POST', `${base()}/hotkey-task`, { body: { batch_size: 50 } });
    await harness.waitForTask(instanceId, small.body['id'] as string);
    const smallCalls = await scanCalls();
    for (const node of cluster.nodes) await node.command(['CONFIG', 'RESETSTAT']);
    const large = await harness.request('POST', `${base()}/hotkey-task`, { body: { batch_size: 2000, busy_batch_size: 2000 } });
    await harness.waitForTask(instanceId, large.body['id'] as string);
    const largeCalls = await scanCalls();
    for (const calls of smallCalls) expect(calls).toBeGreaterThanOrEqual(1502 / 100);
    for (const calls of largeCalls) expect(calls).toBeLessThanOrEqual(3);
  });

  it('takes the pacing budgets per task, keeps them in the task, and reports what each shard paid', async () => {
    const created = await harness.request('POST', `${base()}/hotkey-task`, { body: { max_cpu_share: 0.25, max_block_us: 200, idle_cpu_share: 0.5 } });
    expect(created.status).toBe(200);
    expect(created.body['options']).toEqual({ max_cpu_share: 0.25, idle_cpu_share: 0.5, max_block_us: 200 });
    const task = await harness.waitForTask(instanceId, created.body['id'] as string);
    expect(task['status']).toBe('success');
    const nodes = (task['analysis'] as { nodes: Record<string, unknown>[] }).nodes;
    expect(nodes.map((n) => n['node']).sort()).toEqual([...cluster.announced].sort());
    for (const node of nodes) {
      expect(node['scanned_keys']).toBe(1502);
      expect(node['cpu_share']).toEqual(expect.any(Number));
      expect(node['traffic_seen']).toBe(false);
    }
  });

  it('validates the pacing body', async () => {
    for (const body of [{ batch_size: 0 }, { rate_limit: -1 }, { batch_size: 'big' }, { max_cpu_share: 0 }, { max_cpu_share: 1.5 }, { max_block_us: -1 }, { idle_cpu_share: 'half' }]) {
      const response = await harness.request('POST', `${base()}/hotkey-task`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body['error_code']).toBe('DCS.4800');
    }
  });
});

describe('a primary killed in the middle of a cluster scan', () => {
  it('fails the task with a reason naming the node, and keeps serving', async () => {
    const cluster = await startCluster({ lfuLogFactor: 0, lfuDecayTime: 0 });
    const harness = await startHarness({ config: { analysis: { failover_wait_ms: 1000 } } });
    try {
      await seedCluster(cluster, 1500);
      const id = await harness.registerInstance(cluster.seedUrl);
      const created = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { rate_limit: 500 } });
      await harness.waitForTask(id, created.body['id'] as string, ['running']);
      await new Promise((r) => setTimeout(r, 500));
      await cluster.nodes[2]!.kill('SIGKILL');
      const task = await harness.waitForTask(id, created.body['id'] as string);
      expect(task['status']).toBe('failed');
      expect(task['error_msg']).toContain(`primary ${cluster.announced[2]!} failed during the scan`);
      expect(task['keys']).toBeUndefined();
      expect((await harness.request('GET', `/v2/${P1}/instances/${id}`)).status).toBe(200);
      const refused = await harness.createTask(id);
      expect(refused.body['error_code']).toBe('DCS.4049');
      expect(refused.body['error_ext_msg']).toContain(cluster.announced[2]!);
    } finally {
      await harness.close({ removeData: true });
      await cluster.stop();
    }
  });
});

describe('a slot migrated while the cluster is scanned', () => {
  it('follows MOVED and reports the key where it now lives, with its counter there', async () => {
    // Node 0 sits behind a proxy (it announces the proxy's port) so the test can act at the
    // exact moment keyheat asks node 0 for the counter of the key about to move.
    const realPort = await freePort();
    let migrate: ((args: readonly Buffer[]) => Promise<void>) | null = null;
    const proxy = await startProxy(realPort, async (args) => migrate?.(args));
    const cluster = await startCluster({ lfuLogFactor: 0, lfuDecayTime: 0, ports: { 0: realPort }, announcePorts: { 0: proxy.port } });
    const harness = await startHarness();
    try {
      const hot = await seedCluster(cluster, 300);
      const moving = hot.find((h) => h.node === 0)!;
      const slot = await cluster.slotOf(moving.name);
      const topology = await cluster.topology();
      const idOf = (i: number) => topology.primaries.find((p) => p.address === cluster.announced[i])!.id;
      let moved = false;
      migrate = async (args) => {
        if (moved || args.map(String).join(' ') !== `OBJECT FREQ ${moving.name}`) return;
        moved = true;
        const [source, target] = [cluster.nodes[0]!, cluster.nodes[1]!];
        await target.command(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', idOf(0)]);
        await source.command(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', idOf(1)]);
        const keys = (await source.command(['CLUSTER', 'GETKEYSINSLOT', slot, 1000])) as Buffer[];
        await source.command(['MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys]);
        for (const node of cluster.nodes) await node.command(['CLUSTER', 'SETSLOT', slot, 'NODE', idOf(1)]);
        // MIGRATE does not carry the LFU counter: the key starts again at 5 on its new node.
        for (let i = 0; i < 44; i++) await target.command(['GET', moving.name]);
      };
      const id = await harness.registerInstance(cluster.seedUrl);
      const created = await harness.createTask(id);
      const task = await harness.waitForTask(id, created.body['id'] as string);
      expect(moved).toBe(true);
      expect(task['status']).toBe('success');
      const keys = task['keys'] as Record<string, unknown>[];
      expect(keys.find((k) => k['name'] === moving.name)).toMatchObject({ freq: 5 + 44, shard: cluster.announced[1] });
      for (const other of hot.filter((h) => h !== moving)) {
        expect(keys.find((k) => k['name'] === other.name)).toMatchObject({ freq: 5 + other.hits, shard: cluster.announced[other.node] });
      }
      expect(keys).toHaveLength(hot.length);
    } finally {
      migrate = null;
      await harness.close({ removeData: true });
      await cluster.stop();
      await proxy.close();
    }
  });
});

describe('a primary that fails over to its replica during a cluster scan', () => {
  it('rescans the promoted replica and completes', async () => {
    const cluster = await startCluster({ replicasPerPrimary: 1, nodeTimeoutMs: 1000, lfuLogFactor: 0, lfuDecayTime: 0 });
    const harness = await startHarness({ config: { analysis: { failover_wait_ms: 20_000 } } });
    try {
      const topology = await cluster.topology();
      const primaryIndex = (i: number) => cluster.announced.indexOf(topology.primaries[i]!.address);
      // Hot keys on every shard; the third shard's primary will die mid-scan, after its scan
      // has (very likely) offered some of its 40 hot keys.
      const victim = primaryIndex(2);
      const survivors: HotSpec[] = [];
      for (const shard of [0, 1]) {
        const node = primaryIndex(shard);
        const [name] = await keysOnNode(cluster, node, `hot-${shard}-`, 1);
        survivors.push({ name: name!, node, hits: 30 + shard * 20 });
        await seedRedis(cluster.nodes[node]!, [{ name: name!, db: 0, type: 'string', size: 2, hits: 30 + shard * 20 }]);
      }
      const doomed = await keysOnNode(cluster, victim, 'hot-2-', 40);
      const victimConnection = await cluster.nodes[victim]!.connect();
      await seedKeys(victimConnection, doomed.map((name) => ({ name, db: 0, type: 'string' as const, size: 1, hits: 10 })));
      victimConnection.close();
      for (const shard of [0, 1, 2]) {
        const node = primaryIndex(shard);
        const connection = await cluster.nodes[node]!.connect();
        const names = await keysOnNode(cluster, node, `cold-${shard}-`, 800);
        await connection.pipeline(names.map((n) => ['SET', n, 'v']));
        connection.close();
      }
      const id = await harness.registerInstance(cluster.seedUrl);
      const created = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: { rate_limit: 400 } });
      await harness.waitForTask(id, created.body['id'] as string, ['running']);
      await new Promise((r) => setTimeout(r, 300));
      await cluster.nodes[victim]!.kill('SIGKILL');
      const task = await harness.waitForTask(id, created.body['id'] as string, ['success', 'failed'], 40_000);
      expect(task['error_msg']).toBeUndefined();
      expect(task['status']).toBe('success');
      const keys = task['keys'] as Record<string, unknown>[];
      for (const survivor of survivors) {
        expect(keys.find((k) => k['name'] === survivor.name)).toMatchObject({ shard: cluster.announced[survivor.node], freq: 5 + survivor.hits });
      }
      const after = await cluster.topology();
      const promoted = after.primaries.find((p) => p.address !== cluster.announced[victim] && !topology.primaries.some((q) => q.address === p.address));
      expect(promoted).toBeDefined();
      // Nothing read on the dead primary survives: its replacement was read from the start, and
      // its LFU counters (not replicated) start again from 5, so the doomed keys are not hot there.
      for (const key of keys) expect([cluster.announced[survivors[0]!.node], cluster.announced[survivors[1]!.node]]).toContain(key['shard']);
      expect(keys).toHaveLength(2);
      // Every key counted once: the dead primary's partial scan is not added to the replica's full one.
      expect((task['analysis'] as { scanned_keys: number }).scanned_keys).toBe(3 * 800 + 2 + 40);
    } finally {
      await harness.close({ removeData: true });
      await cluster.stop();
    }
  });
});
