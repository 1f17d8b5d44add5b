/**
 * The one source of every numeric option's range and default. The config schema, the HTTP
 * body schemas and the CLI flags are all built from these, so no two of them can disagree.
 */
export interface Limit {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What the option does, for the config schema, the OpenAPI document and --help. */
  readonly description: string;
  /** Whole numbers only (false for shares). */
  readonly integer: boolean;
}

const limit = (min: number, max: number, defaultValue: number, description: string): Limit =>
  Object.freeze({ min, max, default: defaultValue, description, integer: true });

const fraction = (min: number, max: number, defaultValue: number, description: string): Limit =>
  Object.freeze({ min, max, default: defaultValue, description, integer: false });

const MIB = 1024 * 1024;

/** Options of one analysis (config `analysis.*`, some also per task and as `keyheat scan` flags). */
export const ANALYSIS_LIMITS = Object.freeze({
  topK: limit(1, 1000, 100, 'hot keys kept per task'),
  // The budgets of the pacing (docs/architecture.md "Pacing by budgets", bench/production.ts).
  maxCpuShare: fraction(0.01, 1, 0.1, "share of a primary's main thread the scan may use while the node serves other clients"),
  idleCpuShare: fraction(0.01, 1, 1, 'share of the main thread the scan may use while the node serves nobody else'),
  // 0 = 500 us x max_cpu_share: 50 us at the default 10%, where bench/production.ts measured the
  // load's p99 at redis-cli's; the longer blocks a higher share needs grow with it.
  maxBlockUs: limit(0, 1_000_000, 0, 'longest stretch of Redis work one page (SCAN and its OBJECT FREQ batch) may take while the node serves other clients, microseconds; 0 = 500 x max_cpu_share'),
  // bench/speed.ts: on an idle node 1000-key pages with two batches in flight are the fastest.
  batchSize: limit(1, 100_000, 1000, 'keys per SCAN page and OBJECT FREQ batch while the node serves nobody else; the largest page ever'),
  // 0 = computed from max_cpu_share and max_block_us; a number fixes the page size while busy.
  busyBatchSize: limit(0, 100_000, 0, 'keys per page while the node serves other clients; 0 = from the budgets; = batch_size disables adapting'),
  rateLimit: limit(0, 100_000_000, 0, 'keys per second per primary; 0 = no limit'),
  prefixDepth: limit(1, 3, 1, 'a namespace is the key name up to this many delimiters'),
  failoverWaitMs: limit(0, 600_000, 15_000, 'cluster: how long to wait for a failed primary to be replaced'),
  connectTimeoutMs: limit(100, 120_000, 5000, 'connecting to a Redis node, TLS and AUTH included: one deadline for all of it'),
  commandTimeoutMs: limit(100, 600_000, 10_000, 'a command (or pipelined batch) not fully answered this long after it was sent fails the node'),
  maxDurationMs: limit(1000, 7 * 24 * 3_600_000, 6 * 3_600_000, 'an analysis still running after this long fails'),
  maxGroups: limit(16, 65_536, 1024, 'databases (standalone) or shards (cluster) one analysis reports; a server claiming more fails it with limit'),
});

/** The sampling phase (MONITOR), asked per task: `sample_seconds`, `keyheat scan --sample`. */
export const SAMPLE_LIMITS = Object.freeze({
  seconds: limit(1, 120, 10, 'seconds of a sampling phase: MONITOR on every primary (and replica if asked), commands counted per key; costs Redis throughput while it runs (docs/sampling.md)'),
  // 4096 counters: about 0.5 MB per node; a reported rate is overestimated by at most 1/4096 of the node's command rate.
  counters: limit(64, 65_536, 4096, 'heavy-hitter counters per node watched (Space-Saving)'),
});

/** Big key analysis (config `bigkeys.*`, per task in the bigkey-task body, `keyheat scan --big` flags). */
export const BIGKEY_LIMITS = Object.freeze({
  // DCS's console definitions: a string over 10 KB, a collection over 5,000 elements; 20 keys per type.
  stringBytes: limit(1, 512 * MIB, 10 * 1024, 'a string (or a module type value) is a big key above this many bytes'),
  collectionCount: limit(1, 4_294_967_295, 5000, 'a list, set, sorted set, hash or stream is a big key above this many elements'),
  perType: limit(1, 1000, 20, 'big keys reported per type, the biggest first'),
});

/** The expired key scan (DCS's scan-expire-keys-task and its autoscan-config). */
export const EXPIRE_LIMITS = Object.freeze({
  // DCS: scan_keys_count 10-1000; its manual scans use 100.
  scanKeysCount: limit(10, 1000, 100, 'keys per SCAN page of an expired key scan (SCAN COUNT); pacing may make pages smaller, never larger'),
});

/** Offline key analysis of one node's RDB (DCS's offline/key-analysis). */
export const OFFLINE_LIMITS = Object.freeze({
  // DCS documents the top 100 keys and the top 50 prefixes per type.
  topKeys: limit(1, 500, 100, 'largest keys reported per type'),
  topPrefixes: limit(1, 500, 50, 'largest key prefixes reported per type'),
});

/** The snapshot strategy (config `snapshot.*`; docs/snapshots.md). */
export const SNAPSHOT_LIMITS = Object.freeze({
  // 1: refuse unless even a copy of every page (the worst case of copy-on-write) fits in what is free.
  maxMemoryShare: fraction(0, 100, 1, "a node's used_memory may be at most this share of the memory it reports free (total_system_memory - used_memory_rss) for a snapshot; 0 = no check"),
  stallTimeoutMs: limit(1000, 3_600_000, 60_000, 'a snapshot fails when its node sends nothing for this long before the RDB (not even a keepalive), or no RDB byte for this long once it has begun'),
  maxWaitMs: limit(1000, 24 * 3_600_000, 600_000, 'the RDB must begin this long after SYNC at the latest (the fork, repl-diskless-sync-delay, a save to disk): keepalives do not extend it'),
  maxSlotWaitMs: limit(1000, 24 * 3_600_000, 1_800_000, "a snapshot waits at most this long for its host's fork slot (one fork per host at a time, across every keyheat process sharing the store)"),
});

/**
 * Caps on what a Redis server may send or make keyheat do (config `redis.*`). Generous for real
 * Redis: the largest replies an analysis reads are INFO (tens of KB), CLUSTER NODES (about
 * 1 MB for 1000 nodes with fragmented slots), a SCAN page and CLUSTER GETKEYSINSLOT of one slot.
 */
export const REDIS_LIMITS = Object.freeze({
  maxReplyBytes: limit(64 * 1024, 1024 * MIB, 64 * MIB, 'bytes of one reply, or of the replies of one pipelined batch together'),
  maxBulkBytes: limit(1024, 512 * MIB, 16 * MIB, 'bytes of one bulk string (a key name, INFO, CLUSTER NODES)'),
  maxLineBytes: limit(256, 64 * MIB, 64 * 1024, 'bytes of one status or error line'),
  maxArrayLength: limit(16, 100_000_000, 1_048_576, 'elements of one array reply'),
  maxDepth: limit(2, 64, 16, 'arrays nested in one reply'),
  maxClusterPrimaries: limit(1, 16_384, 1000, 'primaries a cluster may announce; more fails the analysis'),
  maxConnections: limit(2, 10_000, 32, 'connections one analysis (or one check of an instance) may hold open at once'),
});

/** analysis.prefix_delimiters: each character ends a namespace; 1-8 printable ASCII characters. */
export const PREFIX_DELIMITERS = Object.freeze({ pattern: '^[\\x21-\\x7e]{1,8}$', default: ':' });

export function defaultsOf<T extends Readonly<Record<string, Limit>>>(limits: T): { readonly [K in keyof T]: number } {
  return Object.freeze(Object.fromEntries(Object.entries(limits).map(([name, l]) => [name, l.default]))) as { readonly [K in keyof T]: number };
}
