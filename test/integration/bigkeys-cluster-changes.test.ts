/**
 * Big key analysis (engine/analyze-bigkeys.ts on the scan machine) of a real Redis Cluster whose
 * topology changes during the scan: slots holding big keys migrated (fully, and left half-way),
 * read on the replicas and on the primaries; a primary killed mid-scan and its replica promoted.
 * Every big key must be reported once, where it lives at the end, none counted as vanished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBigKeys, type BigKeyAnalysis } from '../../src/engine/analyze-bigkeys.js';
import type { NodeProgress } from '../../src/domain/task.js';
import type { Arg } from '../../src/redis/resp-connection.js';
import { slotOwners } from '../../src/redis/cluster-topology.js';
import { startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import type { RedisServer } from '../helpers/redis-server.js';

/** CRC16-XMODEM of the key's hash tag (or whole name): its cluster slot. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let crc = n << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % 16384;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface BigSpec {
  readonly name: string;
  readonly type: 'string' | 'set';
  readonly size: number;
}

/** The cluster's nodes by role: index in cluster.nodes of each primary owning slots, with its id. */
async function primariesOf(cluster: RedisCluster): Promise<{ index: number; id: string; address: string }[]> {
  const topology = await cluster.topology();
  return topology.primaries.filter((p) => p.slots.length > 0).map((p) => ({ index: cluster.announced.indexOf(p.address), id: p.id, address: p.address }));
}

/** Writes keys on the node owning their slot (by `owners`), then waits for a replica to have them. */
async function write(cluster: RedisCluster, commands: readonly Arg[][], replicated: boolean): Promise<void> {
  const owners = slotOwners(await cluster.topology());
  const byNode = new Map<number, Arg[][]>();
  for (const command of commands) {
    const node = cluster.announced.indexOf(owners[slotOf(String(command[1]))] ?? '');
    byNode.set(node, [...(byNode.get(node) ?? []), command]);
  }
  for (const [node, list] of byNode) {
    const connection = await (cluster.nodes[node] as RedisServer).connect();
    try {
      for (let i = 0; i < list.length; i += 2000) await connection.pipeline(list.slice(i, i + 2000));
      if (replicated) await connection.call(['WAIT', 1, 10_000]);
    } finally {
      connection.close();
    }
  }
}

function bigCommand(key: BigSpec): Arg[] {
  return key.type === 'string' ? ['SET', key.name, 'x'.repeat(key.size)] : ['SADD', key.name, ...Array.from({ length: key.size }, (_, i) => `m${i}`)];
}

/** A hash tag whose slot `address` owns, not among `taken`. */
async function tagOn(cluster: RedisCluster, address: string, taken: Set<number>): Promise<{ tag: string; slot: number }> {
  const owners = slotOwners(await cluster.topology());
  for (let i = 0; ; i++) {
    const slot = slotOf(`{t${i}}`);
    if (owners[slot] === address && !taken.has(slot)) {
      taken.add(slot);
      return { tag: `t${i}`, slot };
    }
  }
}

/** The node (address) holding a key now: the primary whose CLUSTER GETKEYSINSLOT lists it. */
async function holderOf(cluster: RedisCluster, name: string): Promise<string> {
  for (const primary of await primariesOf(cluster)) {
    const keys = (await (cluster.nodes[primary.index] as RedisServer).command(['CLUSTER', 'GETKEYSINSLOT', slotOf(name), 10_000])) as Buffer[];
    if (keys.some((k) => k.toString() === name)) return primary.address;
  }
  throw new Error(`no primary holds ${name}`);
}

/**
 * Moves a slot's keys from one primary to another, `batch` keys per MIGRATE with a pause between
 * (so that the scan meets the slot half-moved), at most `limit` of them; with `finish`, gives the
 * slot to the target on every primary at the end. Starts the migration unless it is under way.
 */
async function migrateSlot(cluster: RedisCluster, slot: number, from: string, to: string, options: { finish: boolean; limit?: number; started?: boolean }): Promise<void> {
  const primaries = await primariesOf(cluster);
  const source = primaries.find((p) => p.address === from)!;
  const target = primaries.find((p) => p.address === to)!;
  const sourceNode = cluster.nodes[source.index] as RedisServer;
  const targetNode = cluster.nodes[target.index] as RedisServer;
  if (options.started !== true) {
    await targetNode.command(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id]);
    await sourceNode.command(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id]);
  }
  let moved = 0;
  for (;;) {
    const room = (options.limit ?? Infinity) - moved;
    if (room <= 0) break;
    const keys = (await sourceNode.command(['CLUSTER', 'GETKEYSINSLOT', slot, Math.min(10, room)])) as Buffer[];
    if (keys.length === 0) break;
    await sourceNode.command(['MIGRATE', '127.0.0.1', targetNode.port, '', 0, 10_000, 'KEYS', ...keys]);
    moved += keys.length;
    await sleep(15);
  }
  if (options.finish) for (const primary of primaries) await (cluster.nodes[primary.index] as RedisServer).command(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
}

/** Each big key once, biggest first per type, with the shard that holds it now; nothing vanished. */
async function expectEveryBigKeyOnce(cluster: RedisCluster, result: BigKeyAnalysis, bigs: readonly BigSpec[]): Promise<void> {
  expect(result.keys.map((k) => k.name).sort()).toEqual(bigs.map((b) => b.name).sort());
  for (const key of result.keys) {
    expect(key.size, key.name).toBe(bigs.find((b) => b.name === key.name)?.size);
    expect(key.shard, key.name).toBe(await holderOf(cluster, key.name));
    expect(key.ttl, key.name).toBe(-1);
  }
  expect(result.stats).toMatchObject({ vanishedKeys: 0, changedKeys: 0 });
  // Every key SCAN returned is in the totals (a key met by two SCANs mid-migration, twice).
  expect(result.types.reduce((sum, t) => sum + t.keys, 0)).toBe(result.stats.scannedKeys);
}

/** Starts an analysis and resolves `started` once every node read has progressed. */
function runWhileWatching(seed: RedisServer, options: Parameters<typeof analyzeBigKeys>[1]): { analysis: Promise<BigKeyAnalysis>; started: Promise<void>; progress: () => readonly NodeProgress[] } {
  let latest: readonly NodeProgress[] = [];
  let resolve: () => void = () => undefined;
  const started = new Promise<void>((r) => (resolve = r));
  const analysis = analyzeBigKeys(
    { endpoint: seed.endpoint },
    {
      ...options,
      onProgress: (nodes) => {
        latest = nodes;
        if (nodes.length >= 3 && nodes.every((n) => n.scannedKeys > 0)) resolve();
      },
    },
  );
  analysis.catch(() => resolve());
  return { analysis, started, progress: () => latest };
}

const COLD_PER_SHARD = 2500;

describe('big keys of a cluster whose slots migrate during the scan', () => {
  let cluster: RedisCluster;
  let primaries: { index: number; id: string; address: string }[];
  const bigs: BigSpec[] = [];
  /** S1 moves from primary 0 to 1 (and back); S2 from 0 to 2, left half-way the first time. */
  let s1: number;
  let s2: number;
  let s2Tag: string;

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1 });
    primaries = await primariesOf(cluster);
    const taken = new Set<number>();
    const commands: Arg[][] = [];
    const add = (spec: BigSpec): void => {
      bigs.push(spec);
      commands.push(bigCommand(spec));
    };
    for (const [i, primary] of primaries.entries()) {
      const { tag } = await tagOn(cluster, primary.address, taken);
      add({ name: `big:{${tag}}:s`, type: 'string', size: 11_000 + i });
      add({ name: `big:{${tag}}:set`, type: 'set', size: 5001 + i });
      for (let j = 0; j < COLD_PER_SHARD; j++) commands.push(['SET', `cold:{${tag}}:${j}`, 'v']);
    }
    const first = await tagOn(cluster, primaries[0]!.address, taken);
    const second = await tagOn(cluster, primaries[0]!.address, taken);
    s1 = first.slot;
    s2 = second.slot;
    s2Tag = second.tag;
    for (const { tag } of [first, second]) {
      for (let j = 0; j < 3; j++) {
        add({ name: `big:{${tag}}:s${j}`, type: 'string', size: 20_000 + j * 100 + bigs.length });
        add({ name: `big:{${tag}}:set${j}`, type: 'set', size: 6000 + j * 10 + bigs.length });
      }
      for (let j = 0; j < 150; j++) commands.push(['SET', `cold:{${tag}}:${j}`, 'v']);
    }
    await write(cluster, commands, true);
  });
  afterAll(async () => cluster?.stop());

  it('reads keys of a slot moving away from the replica read where they went, and every big key once, none vanished', async () => {
    const [a, b, c] = primaries.map((p) => p.address) as [string, string, string];
    const run = runWhileWatching(cluster.nodes[0] as RedisServer, { rateLimit: 2500 });
    await run.started;
    // S1 moves from a to b; S2 goes half-way from a to c and stays migrating.
    await Promise.all([migrateSlot(cluster, s1, a, b, { finish: true }), migrateSlot(cluster, s2, a, c, { finish: false, limit: 80 })]);
    const during = run.progress();
    const result = await run.analysis;
    // The scan was still going when the migrations ended.
    expect(during.some((n) => n.scannedKeys < n.expectedKeys)).toBe(true);
    expect(result.stats.nodes).toHaveLength(3);
    for (const node of result.stats.nodes) expect(node).toMatchObject({ role: 'replica', replicaSkipped: null });
    await expectEveryBigKeyOnce(cluster, result, bigs);
    // S2 is still migrating: its keys are where they are, some on a, some on c.
    expect(result.keys.filter((k) => k.name.includes(`{${s2Tag}}`)).every((k) => k.shard === a || k.shard === c)).toBe(true);
  });

  it('does the same reading the primaries, with a migration under way at the start', async () => {
    const [a, b, c] = primaries.map((p) => p.address) as [string, string, string];
    const run = runWhileWatching(cluster.nodes[0] as RedisServer, { rateLimit: 2500, preferReplicas: false });
    await run.started;
    // S1 comes back from b to a; S2's migration to c is finished.
    await Promise.all([migrateSlot(cluster, s1, b, a, { finish: true }), migrateSlot(cluster, s2, a, c, { finish: true, started: true })]);
    const during = run.progress();
    const result = await run.analysis;
    expect(during.some((n) => n.scannedKeys < n.expectedKeys)).toBe(true);
    for (const node of result.stats.nodes) expect(node).toMatchObject({ role: 'primary' });
    await expectEveryBigKeyOnce(cluster, result, bigs);
    expect(result.keys.filter((k) => k.name.includes(`{${s2Tag}}`)).every((k) => k.shard === c)).toBe(true);
  });
});

describe('big keys of a cluster whose primary fails over during the scan', () => {
  let cluster: RedisCluster;
  const bigs: BigSpec[] = [];
  let total = 0;
  /** Primaries as the cluster was made, each with a replica to promote; not node 0 (the tests' seed, which answers CLUSTER NODES to the helpers). */
  let killable: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3, replicasPerPrimary: 1, nodeTimeoutMs: 1000 });
    const taken = new Set<number>();
    const commands: Arg[][] = [];
    const primaries = await primariesOf(cluster);
    killable = primaries.map((p) => p.address).filter((a) => a !== cluster.announced[0]);
    for (const [i, primary] of primaries.entries()) {
      for (let t = 0; t < 3; t++) {
        const { tag } = await tagOn(cluster, primary.address, taken);
        const string: BigSpec = { name: `big:{${tag}}:s`, type: 'string', size: 11_000 + i * 10 + t };
        const set: BigSpec = { name: `big:{${tag}}:set`, type: 'set', size: 5001 + i * 10 + t };
        bigs.push(string, set);
        commands.push(bigCommand(string), bigCommand(set));
        for (let j = 0; j < 1000; j++) commands.push(['SET', `cold:{${tag}}:${j}`, 'v']);
      }
    }
    total = commands.length;
    await write(cluster, commands, true);
  });
  afterAll(async () => cluster?.stop());

  async function killMidScan(options: Parameters<typeof analyzeBigKeys>[1], address: string): Promise<{ result: BigKeyAnalysis; victim: string }> {
    const victim = (await primariesOf(cluster)).find((p) => p.address === address)!;
    const run = runWhileWatching(cluster.nodes[0] as RedisServer, { ...options, failoverWaitMs: 20_000 });
    await run.started;
    await sleep(300);
    await (cluster.nodes[victim.index] as RedisServer).kill('SIGKILL');
    const result = await run.analysis;
    // Its replica took its slots.
    const after = await primariesOf(cluster);
    expect(after.map((p) => p.address)).not.toContain(victim.address);
    return { result, victim: victim.address };
  }

  it('waits for the promoted replica while reading replicas, and reports every key once', async () => {
    const { result, victim } = await killMidScan({ rateLimit: 1000 }, killable[1]!);
    const now = (await primariesOf(cluster)).map((p) => p.address).sort();
    expect(result.stats.nodes.map((n) => n.shard).sort()).toEqual(now);
    expect(result.stats.nodes.map((n) => n.node)).not.toContain(victim);
    expect(result.stats.scannedKeys).toBe(total);
    await expectEveryBigKeyOnce(cluster, result, bigs);
    expect(result.keys.some((k) => k.shard === victim)).toBe(false);
  }, 90_000);

  it('waits for the promoted replica while reading primaries, and reports every key once', async () => {
    // Another shard than the one that failed over above (that one has no replica left).
    const { result, victim } = await killMidScan({ rateLimit: 1000, preferReplicas: false }, killable[0]!);
    expect(result.stats.nodes.map((n) => n.node).sort()).toEqual((await primariesOf(cluster)).map((p) => p.address).sort());
    expect(result.stats.scannedKeys).toBe(total);
    await expectEveryBigKeyOnce(cluster, result, bigs);
    expect(result.keys.some((k) => k.shard === victim)).toBe(false);
  }, 90_000);
});
