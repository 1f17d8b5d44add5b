/**
 * Big key analysis: keyheat scan --big against redis-cli --bigkeys, and keyheat scan --big
 * --memory against redis-cli --memkeys, on the same keyspace of mixed types, in one run.
 *
 * The keyspace (written by pipelined commands, no Lua, no DEBUG): `keys` keys, 70% strings of
 * 10-200 bytes, 10% hashes, 8% lists, 6% sets, 5% zsets, 1% streams, each collection with 1-20
 * elements; among them BIG_PER_TYPE big keys of each type above DCS's thresholds (strings of
 * 11-60 KB, collections of 5,500-30,000 fixed-width elements), so the biggest key of each type,
 * by size and by MEMORY USAGE, is known: big:<type>:<BIG_PER_TYPE - 1>. Not DEBUG POPULATE: its
 * strings all have one size and one node's names; the pipelined fill takes 6-12 s for 1M keys.
 *
 * Per round, in alternating order: redis-cli --bigkeys, keyheat scan --big --json,
 * redis-cli --memkeys, keyheat scan --big --memory --json. Prints the medians, the ratios
 * (the goal: at least 3x faster than each on an idle Redis), the Redis server's own time in the
 * commands of each run (INFO commandstats after CONFIG RESETSTAT: the floor for one Redis
 * process), keyheat's pacing per node, and per type the biggest key each tool found.
 * --memkeys is compared with the keyheat key of the type with the largest memory_bytes: keyheat
 * reads MEMORY USAGE of the keys it reports (the perType biggest by size above the thresholds),
 * its per-type `largest` is by size.
 *
 * With --cluster: the same keyspace on 3 primaries (each key written to the node owning its
 * slot); keyheat scans the cluster, redis-cli has no cluster mode for --bigkeys and --memkeys,
 * so it reads each primary in turn and its time is the sum, its biggest the biggest over nodes.
 *
 * The processes are pinned (taskset), as in bench/production.ts: Redis on core 0, the scanners
 * on core 1 (in production they are on other hosts); --no-pin runs everything unpinned.
 *
 *   npx tsx bench/bigkeys.ts [keys=1000000] [--rounds=3] [--cluster] [--no-pin] [--keyheat=FLAGS]
 *   --keyheat=FLAGS adds flags to both keyheat runs, comma separated, e.g. --keyheat=--busy-batch,1000
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCluster } from '../test/helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../test/helpers/redis-server.js';
import { seededRandom } from '../test/helpers/seeded-random.js';
import { slotOwners } from '../src/redis/cluster-topology.js';
import type { Arg } from '../src/redis/resp-encoder.js';
import { buildKeyheat, KEYHEAT, median } from './bench-redis.js';

const exec = promisify(execFile);
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keys = Number(positional[0] ?? 1_000_000);
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 3);
const clusterMode = process.argv.includes('--cluster');
const pin = !process.argv.includes('--no-pin');
const extraFlags = process.argv.find((a) => a.startsWith('--keyheat='))?.slice('--keyheat='.length).split(',') ?? [];
/** The command line run on a core (the scanners' side: 1; Redis's: 0), or as is with --no-pin. */
const onCore = (core: number, command: string, args: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]);

const TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream'] as const;
type KeyType = (typeof TYPES)[number];
/** Share of the keys of each type (the rest are strings). */
const SHARES: Record<Exclude<KeyType, 'string'>, number> = { hash: 0.1, list: 0.08, set: 0.06, zset: 0.05, stream: 0.01 };
const BIG_PER_TYPE = 30;
/**
 * Big key i of a type: strings 10 KB + (i + 1) x 1,000 bytes, collections 5,000 + (i + 1) x 500
 * elements; the last one well above the others (60,000 bytes, 30,000 elements), so that it is
 * also the biggest by MEMORY USAGE, whose jemalloc size classes and sampling make close sizes tie.
 */
const bigSize = (type: KeyType, i: number): number => {
  if (i === BIG_PER_TYPE - 1) return type === 'string' ? 60_000 : 30_000;
  return type === 'string' ? 10 * 1024 + (i + 1) * 1000 : 5000 + (i + 1) * 500;
};
const BIGGEST = Object.fromEntries(TYPES.map((t) => [t, { name: `big:${t}:${BIG_PER_TYPE - 1}`, size: bigSize(t, BIG_PER_TYPE - 1) }])) as Record<KeyType, { name: string; size: number }>;
/** Fixed-width elements: MEMORY USAGE (which samples a few elements) then grows with the count alone. */
const element = (j: number): string => `m:${String(j).padStart(7, '0')}`;

// ---- The keyspace -------------------------------------------------------------------------

/** Where a key goes: node index by hash slot (a standalone server: always 0). */
type Router = (key: string) => number;

/** CRC16-XMODEM, Redis Cluster's key hash (no hash tags in this benchmark's names). */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let crc = n << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});
function slotOf(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(key)) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % 16384;
}

/** The commands that write the keyspace, in chunks, deterministic (seeded). */
function* keyspaceCommands(): Generator<Arg[]> {
  const random = seededRandom(14);
  const small = (max: number): number => 1 + Math.floor(random() * max);
  const counts = Object.fromEntries(Object.entries(SHARES).map(([t, share]) => [t, Math.round(keys * share) - BIG_PER_TYPE])) as Record<string, number>;
  const strings = keys - Object.values(counts).reduce((a, b) => a + b, 0) - TYPES.length * BIG_PER_TYPE;
  for (let i = 0; i < strings; i++) yield ['SET', `str:${i}`, 'v'.repeat(10 + Math.floor(random() * 191))];
  for (let i = 0; i < (counts['hash'] ?? 0); i++) yield ['HSET', `hash:${i}`, ...Array.from({ length: small(10) }, (_, j) => [`f${j}`, `v${j}`]).flat()];
  for (let i = 0; i < (counts['list'] ?? 0); i++) yield ['RPUSH', `list:${i}`, ...Array.from({ length: small(20) }, (_, j) => `e${j}`)];
  for (let i = 0; i < (counts['set'] ?? 0); i++) yield ['SADD', `set:${i}`, ...Array.from({ length: small(10) }, (_, j) => `m${j}`)];
  for (let i = 0; i < (counts['zset'] ?? 0); i++) yield ['ZADD', `zset:${i}`, ...Array.from({ length: small(10) }, (_, j) => [j, `m${j}`]).flat()];
  for (let i = 0; i < (counts['stream'] ?? 0); i++) {
    const entries = small(5);
    for (let j = 0; j < entries; j++) yield ['XADD', `stream:${i}`, '*', 'f', `v${j}`];
  }
  for (const type of TYPES) for (let i = 0; i < BIG_PER_TYPE; i++) yield* bigKeyCommands(type, `big:${type}:${i}`, bigSize(type, i));
}

/** One big key, in commands of at most 1,000 elements. */
function* bigKeyCommands(type: KeyType, key: string, size: number): Generator<Arg[]> {
  if (type === 'string') {
    yield ['SET', key, 'x'.repeat(size)];
    return;
  }
  for (let from = 0; from < size; from += 1000) {
    const part = Array.from({ length: Math.min(1000, size - from) }, (_, j) => element(from + j));
    if (type === 'list') yield ['RPUSH', key, ...part];
    else if (type === 'set') yield ['SADD', key, ...part];
    else if (type === 'zset') yield ['ZADD', key, ...part.flatMap((m, j) => [from + j, m])];
    else if (type === 'hash') yield ['HSET', key, ...part.flatMap((m) => [m, 'v'])];
    else for (const m of part) yield ['XADD', key, '*', 'f', m];
  }
}

/** Writes the keyspace through one connection per node, 5,000 commands a batch, 4 batches in flight per node. */
async function fill(nodes: readonly RedisServer[], route: Router): Promise<void> {
  const connections = await Promise.all(nodes.map((node) => node.connect()));
  const pending = nodes.map((): Arg[][] => []);
  const inFlight = nodes.map((): Promise<unknown>[] => []);
  const flush = async (n: number): Promise<void> => {
    const batch = pending[n] as Arg[][];
    pending[n] = [];
    const flights = inFlight[n] as Promise<unknown>[];
    flights.push((connections[n] as Awaited<ReturnType<RedisServer['connect']>>).pipeline(batch).then(check));
    if (flights.length >= 4) await flights.shift();
  };
  try {
    for (const command of keyspaceCommands()) {
      const n = route(String(command[1]));
      (pending[n] as Arg[][]).push(command);
      if ((pending[n] as Arg[][]).length >= 5000) await flush(n);
    }
    for (let n = 0; n < nodes.length; n++) {
      if ((pending[n] as Arg[][]).length > 0) await flush(n);
      await Promise.all(inFlight[n] as Promise<unknown>[]);
    }
  } finally {
    connections.forEach((c) => c.close());
  }
}

function check(replies: unknown[]): void {
  const failed = replies.find((r) => r instanceof Error);
  if (failed !== undefined) throw new Error(`fill: ${String(failed)}`);
}

// ---- The scanners -------------------------------------------------------------------------

interface Biggest {
  readonly name: string;
  /** Bytes, elements or MEMORY USAGE bytes, as the tool reports it. */
  readonly size: number;
}

type PerType = Partial<Record<string, Biggest>>;

interface Found {
  /** What the run is compared by: size for --bigkeys and keyheat --big, MEMORY USAGE for the others. */
  readonly biggest: PerType;
  /** keyheat: its per-type `largest` (by size), whatever the run. */
  readonly largest?: PerType;
  readonly note: string;
}

interface RunResult extends Found {
  readonly ms: number;
  /** Server time in every command of the run, summed over the nodes, microseconds. */
  readonly serverUsec: number;
}

/** The summary of redis-cli --bigkeys / --memkeys: "Biggest   list found '"name"' has 3 items". */
function parseCliSummary(stdout: string): PerType {
  const summary = stdout.slice(stdout.indexOf('-------- summary -------'));
  const found: PerType = {};
  for (const match of summary.matchAll(/^Biggest\s+(\S+) found '"(.*)"' has (\d+) \w+$/gm)) {
    found[match[1] as string] = { name: (match[2] as string).replace(/\\"/g, '"'), size: Number(match[3]) };
  }
  return found;
}

/** The larger of two per-type results (redis-cli run node by node on a cluster). */
function mergeBiggest(a: PerType, b: PerType): PerType {
  const merged: PerType = { ...a };
  for (const [type, big] of Object.entries(b)) if (big !== undefined && (merged[type]?.size ?? -1) < big.size) merged[type] = big;
  return merged;
}

async function serverUsec(nodes: readonly RedisServer[]): Promise<number> {
  let usec = 0;
  for (const node of nodes) {
    const stats = String(await node.command(['INFO', 'commandstats']));
    for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) if (match[1] !== 'info' && match[1] !== 'config|resetstat') usec += Number(match[2]);
  }
  return usec;
}

async function measured(nodes: readonly RedisServer[], work: () => Promise<Found>): Promise<RunResult> {
  for (const node of nodes) await node.command(['CONFIG', 'RESETSTAT']);
  const started = performance.now();
  const found = await work();
  const ms = performance.now() - started;
  return { ...found, ms, serverUsec: await serverUsec(nodes) };
}

const redisCli = (nodes: readonly RedisServer[], mode: '--bigkeys' | '--memkeys') => async (): Promise<Found> => {
  let biggest: PerType = {};
  let sampled = 0;
  for (const node of nodes) {
    const { stdout } = await exec(...onCore(1, 'redis-cli', ['-p', String(node.port), mode]), { maxBuffer: 1 << 26 });
    biggest = mergeBiggest(biggest, parseCliSummary(stdout));
    sampled += Number(/Sampled (\d+) keys/.exec(stdout)?.[1] ?? NaN);
  }
  return { biggest, note: `sampled ${sampled}` };
};

interface KeyheatBigJson {
  readonly keys: { name: string; type: string; size: number; memory_bytes?: number }[];
  readonly types: { type: string; keys: number; big_keys: number; largest: { name: string; size: number } | null }[];
  readonly analysis: { scanned_keys: number; nodes: { node: string; role: string; no_touch: boolean; cpu_share: number | null; traffic_seen: boolean; scanned_keys: number }[] };
}

const keyheat = (url: string, memory: boolean) => async (): Promise<Found> => {
  const args = [KEYHEAT, 'scan', url, '--big', '--json', ...(memory ? ['--memory'] : []), ...extraFlags];
  const { stdout } = await exec(...onCore(1, process.execPath, args), { maxBuffer: 1 << 26 });
  const result = JSON.parse(stdout) as KeyheatBigJson;
  const nodes = result.analysis.nodes.map((n) => `${n.role} cpu_share ${n.cpu_share?.toFixed(2) ?? '-'}${n.traffic_seen ? ' traffic_seen' : ''}`);
  return { biggest: memory ? biggestByMemory(result) : biggestBySize(result), largest: biggestBySize(result), note: `scanned ${result.analysis.scanned_keys}; ${nodes.join(', ')}` };
};

function biggestBySize(result: KeyheatBigJson): PerType {
  return Object.fromEntries(result.types.flatMap((t) => (t.largest === null ? [] : [[t.type, { name: t.largest.name, size: t.largest.size }]])));
}

/** Per type, the reported key with the largest MEMORY USAGE. */
function biggestByMemory(result: KeyheatBigJson): PerType {
  const found: PerType = {};
  for (const key of result.keys) {
    const bytes = key.memory_bytes;
    if (bytes !== undefined && (found[key.type]?.size ?? -1) < bytes) found[key.type] = { name: key.name, size: bytes };
  }
  return found;
}

// ---- The run ------------------------------------------------------------------------------

interface Target {
  readonly nodes: RedisServer[];
  readonly url: string;
  stop(): Promise<void>;
}

async function standalone(): Promise<Target> {
  const redis = await startRedis();
  await fill([redis], () => 0);
  return { nodes: [redis], url: redis.url, stop: () => redis.stop() };
}

async function cluster(): Promise<Target> {
  const created = await startCluster({ primaries: 3 });
  const owners = slotOwners(await created.topology());
  const nodeOfSlot = owners.map((address) => created.announced.indexOf(address ?? ''));
  await fill(created.nodes, (key) => nodeOfSlot[slotOf(key)] as number);
  return { nodes: created.nodes, url: created.seedUrl, stop: () => created.stop() };
}

await buildKeyheat();
const fillStarted = performance.now();
const target = clusterMode ? await cluster() : await standalone();
const fillMs = performance.now() - fillStarted;
try {
  const dbsize = (await Promise.all(target.nodes.map((node) => node.command(['DBSIZE'])))).map(Number);
  const usedMemory = (await Promise.all(target.nodes.map(async (node) => Number(/used_memory:(\d+)/.exec(String(await node.command(['INFO', 'memory'])))?.[1])))).reduce((a, b) => a + b, 0);
  if (pin) for (const node of target.nodes) await exec('taskset', ['-a', '-p', '-c', '0', String(node.process.pid)]);
  console.log(
    `${dbsize.reduce((a, b) => a + b, 0).toLocaleString('en-US')} keys${clusterMode ? ` on 3 primaries (${dbsize.join(' + ')})` : ''}, ${(usedMemory / 2 ** 20).toFixed(0)} MB, ` +
      `written in ${(fillMs / 1000).toFixed(1)} s; ${BIG_PER_TYPE} big keys per type; ${rounds} round${rounds === 1 ? '' : 's'}; ${pin ? 'Redis on core 0, scanners on core 1' : 'unpinned'}` +
      `${extraFlags.length > 0 ? `; keyheat flags: ${extraFlags.join(' ')}` : ''}`,
  );

  const plan: [string, () => Promise<Found>][] = [
    ['redis-cli --bigkeys', redisCli(target.nodes, '--bigkeys')],
    ['keyheat scan --big', keyheat(target.url, false)],
    ['redis-cli --memkeys', redisCli(target.nodes, '--memkeys')],
    ['keyheat scan --big --memory', keyheat(target.url, true)],
  ];
  const runs = new Map<string, RunResult[]>(plan.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    // Alternating order: the machine's drift meets every tool alike.
    const order = round % 2 === 1 ? plan : [...plan].reverse();
    console.log(`round ${round}:`);
    for (const [name, work] of order) {
      const result = await measured(target.nodes, work);
      (runs.get(name) as RunResult[]).push(result);
      console.log(`  ${name.padEnd(28)} ${(result.ms / 1000).toFixed(2).padStart(6)} s, server ${(result.serverUsec / 1e6).toFixed(2)} s (${result.note})`);
    }
  }

  const summary = (name: string): { ms: number; server: number; last: RunResult } => {
    const list = runs.get(name) as RunResult[];
    return { ms: median(list.map((r) => r.ms)), server: median(list.map((r) => r.serverUsec / 1000)), last: list.at(-1) as RunResult };
  };
  const cliBig = summary('redis-cli --bigkeys');
  const khBig = summary('keyheat scan --big');
  const cliMem = summary('redis-cli --memkeys');
  const khMem = summary('keyheat scan --big --memory');

  console.log(`\nmedians of ${rounds} round${rounds === 1 ? '' : 's'}${clusterMode ? ' (redis-cli: the sum over the 3 primaries)' : ''}`);
  console.log(`${'run'.padEnd(30)} ${'wall'.padStart(8)} ${'server'.padStart(8)} ${'wall/server'.padStart(12)} ${'keys/s'.padStart(10)}`);
  for (const [name, s] of [['redis-cli --bigkeys', cliBig], ['keyheat scan --big', khBig], ['redis-cli --memkeys', cliMem], ['keyheat scan --big --memory', khMem]] as const) {
    const total = dbsize.reduce((a, b) => a + b, 0);
    console.log(
      `${name.padEnd(30)} ${`${(s.ms / 1000).toFixed(2)} s`.padStart(8)} ${`${(s.server / 1000).toFixed(2)} s`.padStart(8)} ${`${(s.ms / s.server).toFixed(2)}x`.padStart(12)} ${Math.round(total / (s.ms / 1000)).toLocaleString('en-US').padStart(10)}`,
    );
  }
  if (clusterMode && pin) {
    console.log('(server: summed over the 3 primaries, which share core 0; Redis times a command by the clock, so time sliced away counts: an upper bound)');
  }
  console.log('\nspeed-up (goal: >= 3x each):');
  console.log(`  redis-cli --bigkeys / keyheat scan --big:          ${(cliBig.ms / khBig.ms).toFixed(2)}x`);
  console.log(`  redis-cli --memkeys / keyheat scan --big --memory: ${(cliMem.ms / khMem.ms).toFixed(2)}x`);
  console.log(`  redis-cli --memkeys / keyheat scan --big:          ${(cliMem.ms / khBig.ms).toFixed(2)}x (keyheat --big reads MEMORY USAGE of the keys it reports too)`);

  console.log('\nbiggest key per type, by size (redis-cli --bigkeys vs keyheat types[].largest; expected big:<type>:29):');
  const bySize = compare(cliBig.last.biggest, khBig.last.biggest, true);
  console.log('\nbiggest key per type, by MEMORY USAGE bytes (redis-cli --memkeys vs the keyheat --big --memory key with the largest memory_bytes):');
  const byMemory = compare(cliMem.last.biggest, khMem.last.biggest, false);
  const khMemLargest = compare(cliBig.last.biggest, khMem.last.largest ?? {}, true, true);
  console.log(`\nsame biggest key per type: by size ${bySize ? 'yes' : 'NO'}, by memory ${byMemory ? 'yes' : 'NO'}; keyheat --big --memory types[].largest as --bigkeys: ${khMemLargest ? 'yes' : 'NO'}`);
} finally {
  await target.stop();
}

/**
 * Prints type -> both tools' biggest; true when every type's names agree (by size: and the sizes,
 * and both are the expected key; MEMORY USAGE bytes are shown, not compared: they are estimates).
 */
function compare(cli: PerType, kh: PerType, bySize: boolean, quiet = false): boolean {
  let same = true;
  if (!quiet) console.log(`  ${'type'.padEnd(7)} ${'redis-cli'.padEnd(32)} ${'keyheat'.padEnd(32)} agree`);
  for (const type of TYPES) {
    const a = cli[type];
    const b = kh[type];
    const agree = a !== undefined && b !== undefined && a.name === b.name && (!bySize || (a.size === b.size && a.name === BIGGEST[type].name && a.size === BIGGEST[type].size));
    same &&= agree;
    const text = (x: Biggest | undefined): string => (x === undefined ? '-' : `${x.name} (${x.size})`);
    if (!quiet) console.log(`  ${type.padEnd(7)} ${text(a).padEnd(32)} ${text(b).padEnd(32)} ${agree ? 'yes' : 'NO'}`);
  }
  return same;
}
