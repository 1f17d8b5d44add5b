/** DCS wire shapes of offline key analysis (offline/key-analysis). Fields marked "keyheat" are additions. */
import { Type } from '@sinclair/typebox';
import { createBodyOf } from './task-option-schemas.js';
import { HotkeysBody, Progress, SnapshotBody, TaskStatus, WireTime } from './task-schemas.js';

/** DCS: {node_id, backup_id?}; keyheat adds top_keys and top_prefixes. */
export const CreateOfflineBody = createBodyOf('offline');

export const OfflineCreated = Type.Object({ task_id: Type.String() }, { $id: 'OfflineCreated', title: 'CreateOfflineKeyAnalysisResponse' });

const OfflineRecord = Type.Object({
  id: Type.String(),
  status: TaskStatus,
  created_at: WireTime,
  started_at: Type.Optional(WireTime),
  finished_at: Type.Optional(WireTime),
  error_msg: Type.Optional(Type.String({ description: 'keyheat: why a failed analysis failed' })),
});

export const OfflineList = Type.Object(
  {
    instance_id: Type.String(),
    total: Type.Integer({ description: 'the analyses matching the filter, not only this page' }),
    records: Type.Array(OfflineRecord),
  },
  { $id: 'OfflineList', title: 'ListOfflineKeyAnalysisResponse' },
);

const LargestKey = Type.Object({
  key: Type.String({ description: "the key's name; redis-cli escaping when not valid UTF-8; its first 1024 bytes when truncated" }),
  key_base64: Type.Optional(Type.String({ description: 'keyheat: exact name bytes, only when key is escaped' })),
  truncated: Type.Optional(Type.Boolean()),
  name_sha1: Type.Optional(Type.String({ description: "keyheat: SHA-1 of the whole name, when it is truncated" })),
  type: Type.String(),
  bytes: Type.Integer({ description: 'bytes the key takes in the RDB (its serialised value and name): not its memory' }),
  num_of_elem: Type.Integer({ description: 'elements of a collection; 1 for a string or a module value' }),
  db: Type.Optional(Type.Integer({ description: 'keyheat: its database' })),
});

const LargestPrefix = Type.Object({
  key_prefix: Type.String(),
  key_prefix_base64: Type.Optional(Type.String()),
  type: Type.String(),
  bytes: Type.Integer({ description: 'bytes its keys of this type take in the RDB' }),
  num: Type.Integer(),
  error_bytes: Type.Optional(Type.Integer({ description: 'keyheat: bytes and num may be overestimated by up to this (more prefixes than counters); absent = exact' })),
});

export const OfflineTask = Type.Object(
  {
    id: Type.String(),
    instance_id: Type.String(),
    node_id: Type.String(),
    backup_id: Type.Optional(Type.String()),
    group_name: Type.Optional(Type.String()),
    node_ip: Type.String(),
    node_type: Type.Optional(Type.String({ description: 'master or slave' })),
    analysis_type: Type.Union([Type.Literal('new_backup'), Type.Literal('old_backup')]),
    status: TaskStatus,
    created_at: WireTime,
    started_at: Type.Optional(WireTime),
    finished_at: Type.Optional(WireTime),
    error_msg: Type.Optional(Type.String({ description: 'keyheat: why a failed analysis failed' })),
    progress: Type.Optional(Progress),
    largest_key_prefixes: Type.Optional(Type.Array(LargestPrefix)),
    largest_keys: Type.Optional(Type.Array(LargestKey)),
    total_bytes: Type.Optional(Type.Integer()),
    total_num: Type.Optional(Type.Integer()),
    type_bytes: Type.Optional(Type.Array(Type.Object({ type: Type.String(), bytes: Type.Integer() }))),
    type_num: Type.Optional(Type.Array(Type.Object({ type: Type.String(), num: Type.Integer() }))),
    hot_keys: Type.Optional(Type.Array(HotkeysBody, { description: 'keyheat: the hottest keys of the same pass, where the RDB carries LFU counters' })),
    hot_keys_skipped: Type.Optional(Type.String({ description: 'keyheat: why there are no hot keys (the RDB has no LFU counters)' })),
    snapshot: Type.Optional(SnapshotBody),
    advice: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String() }))),
  },
  { $id: 'OfflineTask', title: 'ShowOfflineKeyAnalysisTaskResponse' },
);

export const OfflineDeleted = Type.Object({ task_id: Type.String() });

export const OfflineNodes = Type.Object(
  { nodes: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), group_name: Type.String(), node_type: Type.Optional(Type.String({ description: 'keyheat: master or slave' })) })) },
  { $id: 'OfflineNodes', title: 'ListOfflineKeyAnalysisNodesResponse' },
);

export const Backups = Type.Object(
  { backups: Type.Array(Type.Object({ backup_id: Type.String(), size_bytes: Type.Integer(), created_at: WireTime })) },
  { $id: 'Backups', title: 'Backups', description: "keyheat: the RDB files under <offline.backup_dir>/<instance_id>/, newest first" },
);
