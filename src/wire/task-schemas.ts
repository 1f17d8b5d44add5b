/** DCS wire shapes of the hot key task family (dcs-api.md section 2). Fields marked "keyheat" are additions. */
import { Type } from '@sinclair/typebox';
import { SCAN_TYPES, TASK_STATUSES } from '../domain/task-status.js';
import { createBodyOf, optionProperties, optionsBodyOf } from './task-option-schemas.js';
import { WireNameFields } from './wire-names.js';

export const TaskStatus = Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)));
export const ScanType = Type.Union(SCAN_TYPES.map((s) => Type.Literal(s)));
export const WireTime = Type.String({ description: 'UTC, milliseconds: 2020-06-15T02:21:18.669Z' });

export const HotkeysBody = Type.Object(
  {
    ...WireNameFields,
    type: Type.String({ description: 'string, list, set, zset, hash, or the server type name (stream...)' }),
    shard: Type.Optional(Type.String({ description: 'ip:port of the primary; cluster instances only' })),
    db: Type.Integer(),
    size: Type.Integer(),
    unit: Type.String({ description: 'byte (string) or count (collections)' }),
    freq: Type.Integer({ description: 'LFU logarithmic counter, 0-255' }),
    est_qps: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'keyheat: reads/s at which the counter settles at freq; null where counters hold no rate (docs/reading-results.md)' })),
    est_accesses: Type.Optional(Type.Integer({ description: 'keyheat: where est_qps is null, the accesses expected to bring a new key to freq' })),
    saturated: Type.Optional(Type.Boolean({ description: 'keyheat: freq is 255, the estimate is a lower bound' })),
    previous_freq: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: "keyheat: the key's freq in the previous successful task; null if it was not in its keys" })),
    sampled_qps: Type.Optional(Type.Number({ description: 'keyheat: commands/s naming the key during the sampling phase, when it was seen there' })),
    sampled_share: Type.Optional(Type.Number({ description: "keyheat: the key's share of every command seen during the sampling phase, 0-1" })),
    also_big: Type.Optional(Type.Boolean({ description: "keyheat: also in the instance's latest successful big key task" })),
  },
  { $id: 'HotkeysBody', title: 'HotkeysBody' },
);

const HeatFields = {
  est_qps: Type.Union([Type.Number(), Type.Null()], { description: 'estimated reads/s, summed; null where counters hold no rate' }),
  est_accesses: Type.Optional(Type.Integer({ description: 'where est_qps is null: the accesses the counters stand for, summed' })),
  share: Type.Number({ description: 'part of the whole estimated heat, 0-1' }),
};

const PrefixBody = Type.Object({
  prefix: Type.String({ description: "key names up to the delimiter; '' for names without one" }),
  prefix_base64: Type.Optional(Type.String()),
  keys: Type.Integer({ description: 'warm keys (counter above 5) in it' }),
  ...HeatFields,
});

const GroupFields = {
  scanned_keys: Type.Integer(),
  warm_keys: Type.Integer({ description: 'keys with a counter above 5' }),
  ...HeatFields,
};
const ShardHeat = Type.Object({ shard: Type.String(), ...GroupFields });
const DatabaseHeat = Type.Object({ db: Type.Integer(), ...GroupFields });

const LfuFields = {
  log_factor: Type.Integer(),
  decay_time: Type.Integer(),
  source: Type.Union([Type.Literal('config'), Type.Literal('assumed')], { description: "'assumed' where CONFIG GET was refused (Redis's defaults)" }),
  ceiling_qps: Type.Union([Type.Number(), Type.Null()], { description: 'the rate a counter at 255 stands for; null where counters hold no rate' }),
};

const LfuBody = Type.Object({
  ...LfuFields,
  nodes: Type.Optional(Type.Array(Type.Object({ node: Type.String(), ...LfuFields }), { description: 'per node, when the nodes differ (the fields above are the first node\'s)' })),
});

const TrendBody = Type.Object({
  compared_with: Type.String({ description: 'the previous successful task' }),
  new: Type.Array(Type.String(), { description: "names in this task's keys that were not in the previous one's" }),
  gone: Type.Array(Type.Object({ ...WireNameFields, db: Type.Integer(), freq: Type.Integer() })),
});

const SampledKeyBody = Type.Object({
  ...WireNameFields,
  db: Type.Integer(),
  shard: Type.Optional(Type.String({ description: 'ip:port of the primary of its shard; cluster instances only' })),
  qps: Type.Number({ description: 'commands/s naming the key over the window (upper bound)' }),
  share: Type.Number({ description: 'its share of every command seen, 0-1' }),
  error: Type.Number({ description: 'how much of qps may belong to other keys; qps - error is a lower bound' }),
});

const SampleBody = Type.Object({
  requested_seconds: Type.Integer({ description: 'the window asked for' }),
  seconds: Type.Number({ description: 'the window as it ran' }),
  commands_seen: Type.Integer({ description: 'every command seen on every node watched, with or without keys' }),
  commands_per_s: Type.Number(),
  nodes: Type.Integer({ description: 'nodes watched' }),
  bound: Type.Number({ description: 'the largest overestimate any reported qps can carry, per s' }),
  counters: Type.Integer({ description: 'heavy-hitter counters per node' }),
  stopped_early: Type.Union([Type.String(), Type.Null()], { description: 'why the window ended early on a node (keyheat could not keep up), else null' }),
  per_node: Type.Array(
    Type.Object({
      node: Type.String(),
      role: Type.Union([Type.Literal('primary'), Type.Literal('replica')]),
      commands_seen: Type.Integer(),
      seconds: Type.Number(),
      stopped_early: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

const SnapshotNodeBody = Type.Object({
  node: Type.String({ description: '`ip:port` of the node read, or the RDB file' }),
  role: Type.Union([Type.Literal('primary'), Type.Literal('replica'), Type.Literal('file')]),
  shard: Type.Optional(Type.String()),
  rdb_bytes: Type.Integer(),
  rdb_version: Type.Integer(),
  keys: Type.Integer({ description: 'keys in the RDB, expired ones included' }),
  expired_keys: Type.Integer({ description: 'keys already past their expiry, left out as SCAN leaves them out' }),
  module_keys: Type.Integer(),
  fork_usec: Type.Union([Type.Integer(), Type.Null()], { description: "how long the fork blocked the node's main thread (INFO latest_fork_usec); null when the node sent a save already under way" }),
  cow_bytes: Type.Union([Type.Integer(), Type.Null()], { description: 'memory copied on write while the child ran (INFO rdb_last_cow_size)' }),
  backlog_bytes: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: 'a primary without a replication backlog created one for the SYNC: its size, kept for repl-backlog-ttl' }),
  ),
  protocol: Type.Union([Type.Literal('rdb-only'), Type.Literal('sync'), Type.Literal('file')]),
  wait_ms: Type.Integer({ description: 'from SYNC to the first byte of the RDB: the fork and repl-diskless-sync-delay' }),
  transfer_ms: Type.Integer(),
  replica_skipped: Type.Union([Type.String(), Type.Null()]),
});

/** With strategy snapshot: each RDB read and what it cost its node. */
export const SnapshotBody = Type.Object(
  { source: Type.Union([Type.Literal('live'), Type.Literal('file')]), nodes: Type.Array(SnapshotNodeBody) },
  { description: 'keyheat: with strategy snapshot, each RDB read and what it cost its node' },
);

/** What a finished task's result means (keyheat additions, docs/reading-results.md). */
export const InsightFields = {
  prefixes: Type.Optional(Type.Array(PrefixBody, { description: 'keyheat: the hottest namespaces over every warm key scanned' })),
  shards: Type.Optional(Type.Array(ShardHeat, { description: 'keyheat: cluster instances: the heat per shard' })),
  databases: Type.Optional(Type.Array(DatabaseHeat, { description: 'keyheat: standalone instances: the heat per database' })),
  trend: Type.Optional(Type.Union([TrendBody, Type.Null()], { description: 'keyheat: compared with the previous successful task; null for the first' })),
  advice: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String() }), { description: 'keyheat: what the numbers mean for an operator' })),
  sampled: Type.Optional(Type.Array(SampledKeyBody, { description: 'keyheat: with sample_seconds, the top keys by measured rate (MONITOR), which may include keys the LFU list lacks' })),
  sample: Type.Optional(SampleBody),
  snapshot: Type.Optional(SnapshotBody),
};

export const NodeProgressBody = Type.Object({ node: Type.String(), scanned_keys: Type.Integer(), expected_keys: Type.Integer() });

export const Progress = Type.Object({
  nodes: Type.Array(NodeProgressBody),
});

const NodeReportBody = Type.Object({
  node: Type.String(),
  scanned_keys: Type.Integer(),
  expected_keys: Type.Integer(),
  cpu_share: Type.Union([Type.Number(), Type.Null()], { description: "share of the node's main thread in SCAN and OBJECT while it was scanned (INFO commandstats); null if unmeasured" }),
  longest_block_us: Type.Union([Type.Integer(), Type.Null()], { description: "longest block of work one batch of the scan cost the node, microseconds (its keys times the per-key cost measured around it)" }),
  traffic_seen: Type.Boolean({ description: 'the node served other clients during its scan: the busy budgets applied' }),
});

export const AnalysisStats = Type.Object({
  scanned_keys: Type.Integer(),
  vanished_keys: Type.Integer(),
  changed_keys: Type.Integer(),
  duration_ms: Type.Integer(),
  nodes: Type.Optional(Type.Array(NodeReportBody, { description: 'keyheat: per node scanned, what its scan cost it' })),
  lfu: Type.Optional(LfuBody),
});

/** Optional body of create (DCS sends none): pacing and sampling for this task only. */
export const CreateTaskBody = createBodyOf('hot');

export const TaskBody = Type.Object(
  {
    id: Type.String(),
    instance_id: Type.String(),
    status: TaskStatus,
    scan_type: ScanType,
    created_at: WireTime,
    started_at: Type.Optional(WireTime),
    finished_at: Type.Optional(WireTime),
    num: Type.Integer(),
    keys: Type.Optional(Type.Array(HotkeysBody)),
    error_msg: Type.Optional(Type.String({ description: 'keyheat: why a failed task failed' })),
    progress: Type.Optional(Progress),
    analysis: Type.Optional(AnalysisStats),
    options: optionsBodyOf('hot', 'keyheat: pacing, sampling and strategy given at creation'),
    ...InsightFields,
  },
  { $id: 'Task', title: 'Task' },
);

export const RecordsResponse = Type.Object(
  {
    id: Type.String(),
    status: TaskStatus,
    scan_type: ScanType,
    created_at: WireTime,
    started_at: Type.Optional(WireTime),
    finished_at: Type.Optional(WireTime),
    error_msg: Type.Optional(Type.String()),
  },
  { $id: 'RecordsResponse', title: 'RecordsResponse' },
);

export const TaskList = Type.Object(
  {
    instance_id: Type.String(),
    count: Type.Integer({ description: 'all records matching the filter, not only this page' }),
    records: Type.Array(RecordsResponse),
  },
  { $id: 'TaskList', title: 'TaskList' },
);

export const ListTasksQuery = Type.Object({
  // Bounded so that 1e300 or 2^63 is a 400 here, not a database error (retention keeps far fewer).
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  status: Type.Optional(TaskStatus),
});

/** The daily schedule of a kind: DCS's two fields, and keyheat's `options` for each run's task (a daily snapshot analysis). */
export const autoscanRequestOf = (kind: 'hot' | 'big') =>
  Type.Object({
    enable_auto_scan: Type.Boolean(),
    schedule_at: Type.Array(Type.String({ description: 'UTC HH:mm' })),
    options: Type.Optional(Type.Object(optionProperties(kind), { additionalProperties: false, description: "keyheat: what each run's task is given, as a manual task's body (strategy, pacing...)" })),
  });

export const AutoscanConfigRequest = autoscanRequestOf('hot');

export const AutoscanConfig = Type.Object(
  {
    instance_id: Type.String(),
    enable_auto_scan: Type.Boolean(),
    schedule_at: Type.Array(Type.String()),
    updated_at: WireTime,
    options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean(), Type.String()]), { description: "keyheat: what each run's task is given" })),
  },
  { $id: 'AutoscanConfig', title: 'AutoscanConfig' },
);
