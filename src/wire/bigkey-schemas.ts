/** DCS wire shapes of the big key task family (dcs-api.md sections 1, 2.4). Fields marked "keyheat" are additions. */
import { Type } from '@sinclair/typebox';
import { WireNameFields } from './wire-names.js';
import { Progress, ScanType, SnapshotBody, TaskStatus, WireTime } from './task-schemas.js';
import { createBodyOf, optionsBodyOf } from './task-option-schemas.js';

export const BigkeysBody = Type.Object(
  {
    ...WireNameFields,
    type: Type.String({ description: 'string, list, set, zset, hash, or the server type name (stream, module types)' }),
    shard: Type.Optional(Type.String({ description: 'ip:port of the primary; cluster instances only' })),
    db: Type.Integer(),
    size: Type.Integer({ description: 'bytes (string, module types) or elements (collections)' }),
    unit: Type.String({ description: 'byte or count' }),
    memory_bytes: Type.Optional(Type.Integer({ description: 'keyheat: MEMORY USAGE of the key' })),
    ttl: Type.Optional(Type.Integer({ description: 'keyheat: seconds to live; -1 = no expiry' })),
    idle_seconds: Type.Optional(Type.Integer({ minimum: 0, description: "keyheat: seconds since the last access, from a snapshot's RDB (IDLE, written under an LRU policy)" })),
    volatile_fields: Type.Optional(Type.Integer({ minimum: 0, description: "keyheat: a hash's fields with a TTL of their own (HEXPIRE), from a snapshot's RDB" })),
    also_hot: Type.Optional(Type.Boolean({ description: "keyheat: also in the instance's latest successful hot key task" })),
  },
  { $id: 'BigkeysBody', title: 'BigkeysBody' },
);

const Largest = Type.Union([
  Type.Object({ ...WireNameFields, db: Type.Integer(), shard: Type.Optional(Type.String()), size: Type.Integer() }),
  Type.Null(),
]);

const BigKeyNodeBody = Type.Object({
  node: Type.String({ description: 'the node scanned' }),
  role: Type.Union([Type.Literal('primary'), Type.Literal('replica')]),
  shard: Type.Optional(Type.String({ description: 'cluster: the primary of the shard' })),
  scanned_keys: Type.Integer(),
  expected_keys: Type.Integer(),
  no_touch: Type.Boolean({ description: 'CLIENT NO-TOUCH was accepted (Redis 7.2+): the scan left LRU/LFU data alone' }),
  no_touch_denied: Type.Optional(Type.Boolean({ description: 'the node has CLIENT NO-TOUCH but the ACL user may not run it (+client|no-touch)' })),
  cpu_share: Type.Union([Type.Number(), Type.Null()]),
  longest_block_us: Type.Union([Type.Integer(), Type.Null()]),
  traffic_seen: Type.Boolean(),
  replica_skipped: Type.Union([Type.String(), Type.Null()], { description: 'why the primary was scanned although it has replicas' }),
});

export const BigKeyAnalysis = Type.Object({
  scanned_keys: Type.Integer(),
  vanished_keys: Type.Integer(),
  changed_keys: Type.Integer(),
  duration_ms: Type.Integer(),
  nodes: Type.Array(BigKeyNodeBody),
});

/** keyheat's additions to a finished big key task. */
export const BigKeyFields = {
  thresholds: Type.Optional(
    Type.Object(
      { string_bytes: Type.Integer(), collection_count: Type.Integer(), per_type: Type.Integer() },
      { description: 'keyheat: a key is big above string_bytes (strings) or collection_count elements; per_type keys are reported per type' },
    ),
  ),
  types: Type.Optional(
    Type.Array(
      Type.Object({
        type: Type.String(),
        keys: Type.Integer(),
        total_size: Type.Integer(),
        unit: Type.String(),
        big_keys: Type.Integer({ description: 'keys over the threshold, reported or not' }),
        memory_bytes: Type.Optional(Type.Integer()),
        largest: Largest,
      }),
      { description: 'keyheat: every type scanned, streams and module types included' },
    ),
  ),
  prefixes: Type.Optional(
    Type.Array(
      Type.Object({ prefix: Type.String(), prefix_base64: Type.Optional(Type.String()), keys: Type.Integer(), weight: Type.Integer(), share: Type.Number() }),
      { description: 'keyheat: namespaces by size (prefixes_by says memory bytes or size)' },
    ),
  ),
  prefixes_by: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('size')])),
  advice: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String() }))),
  snapshot: Type.Optional(SnapshotBody),
};

/** Optional body of create (DCS sends none): pacing and thresholds for this task only. */
export const CreateBigTaskBody = createBodyOf('big');

export const BigTaskBody = Type.Object(
  {
    id: Type.String(),
    instance_id: Type.String(),
    status: TaskStatus,
    scan_type: ScanType,
    created_at: WireTime,
    started_at: Type.Optional(WireTime),
    finished_at: Type.Optional(WireTime),
    num: Type.Integer(),
    keys: Type.Optional(Type.Array(BigkeysBody)),
    error_msg: Type.Optional(Type.String({ description: 'keyheat: why a failed task failed' })),
    progress: Type.Optional(Progress),
    analysis: Type.Optional(BigKeyAnalysis),
    options: optionsBodyOf('big', 'keyheat: pacing and thresholds given at creation'),
    ...BigKeyFields,
  },
  { $id: 'BigTask', title: 'BigTask' },
);
