/** DCS wire shapes of the expired key scan family (scan-expire-keys-task, auto-expire/*). Fields marked "keyheat" are additions. */
import { Type } from '@sinclair/typebox';
import { EXPIRE_LIMITS } from '../domain/limits.js';
import { createBodyOf, optionsBodyOf } from './task-option-schemas.js';
import { Progress, ScanType, TaskStatus, WireTime } from './task-schemas.js';

/** Optional body of a manual scan (DCS sends none): scan_keys_count and pacing for this scan only (keyheat). */
export const CreateExpireBody = createBodyOf('expire');

/** The create answer: no num, no keys. */
export const ScanTask = Type.Object(
  { id: Type.String(), instance_id: Type.String(), status: TaskStatus, scan_type: ScanType, created_at: WireTime },
  { $id: 'ExpireScanTask', title: 'ScanTask' },
);

export const ExpireRecord = Type.Object(
  {
    id: Type.String(),
    instance_id: Type.String(),
    status: TaskStatus,
    scan_type: ScanType,
    num: Type.Integer({ description: 'expired keys the scan made the primaries reclaim (INFO stats expired_keys around it: the servers\' own active expiry meanwhile included)' }),
    created_at: WireTime,
    started_at: Type.Optional(WireTime),
    finished_at: Type.Optional(WireTime),
    error_msg: Type.Optional(Type.String({ description: 'keyheat: why a failed scan failed' })),
  },
  { $id: 'ExpireRecord', title: 'ExpireRecord' },
);

export const ExpireHistories = Type.Object(
  {
    instance_id: Type.String(),
    total: Type.Integer({ description: 'the sum of num over the records matching' }),
    count: Type.Integer({ description: 'the records matching the filter, not only this page' }),
    records: Type.Array(ExpireRecord),
  },
  { $id: 'ExpireHistories', title: 'ExpireHistories' },
);

const Histogram = Type.Object(
  {
    under_1m: Type.Integer(),
    under_1h: Type.Integer(),
    under_1d: Type.Integer(),
    under_7d: Type.Integer(),
    longer: Type.Integer(),
    none: Type.Integer({ description: 'keys without an expiry' }),
  },
  { description: 'keys by remaining time to live when the scan read them' },
);

const TtlCountsFields = {
  keys: Type.Integer(),
  with_expiry: Type.Integer(),
  without_expiry: Type.Integer(),
  histogram: Histogram,
};

const ExpireNodeBody = Type.Object({
  node: Type.String(),
  shard: Type.Optional(Type.String()),
  scanned_keys: Type.Integer(),
  expired_before: Type.Integer({ description: 'INFO stats expired_keys when the scan of the node began' }),
  expired_after: Type.Integer(),
  reclaimed: Type.Integer(),
  cpu_share: Type.Union([Type.Number(), Type.Null()]),
  longest_block_us: Type.Union([Type.Integer(), Type.Null()]),
  traffic_seen: Type.Boolean(),
});

/** keyheat: one scan with its TTL report (GET .../auto-expire/histories/{task_id}). */
export const ExpireTaskBody = Type.Object(
  {
    ...ExpireRecord.properties,
    options: optionsBodyOf('expire', 'keyheat: what the scan was given'),
    progress: Type.Optional(Progress),
    analysis: Type.Optional(
      Type.Object({
        scanned_keys: Type.Integer(),
        vanished_keys: Type.Integer({ description: 'keys gone between SCAN and PTTL (expired or deleted meanwhile)' }),
        duration_ms: Type.Integer(),
        scan_keys_count: Type.Integer(),
        nodes: Type.Array(ExpireNodeBody),
      }),
    ),
    ttl: Type.Optional(
      Type.Object(
        {
          totals: Type.Object(TtlCountsFields),
          databases: Type.Array(Type.Object({ db: Type.Integer(), ...TtlCountsFields })),
          namespaces: Type.Array(
            Type.Object({ prefix: Type.String(), prefix_base64: Type.Optional(Type.String()), ...TtlCountsFields, error: Type.Integer({ description: 'keys possibly not counted (0: exact)' }) }),
            { description: 'the namespaces with the most keys (top 20)' },
          ),
        },
        { description: 'keyheat: the TTLs of the keys the scan visited' },
      ),
    ),
    advice: Type.Optional(Type.Array(Type.Object({ code: Type.String(), message: Type.String() }))),
  },
  { $id: 'ExpireTask', title: 'ExpireTask' },
);

/** DCS's expired key autoscan-config, in seconds. */
export const ExpireAutoscanRequest = Type.Object(
  {
    enable_auto_scan: Type.Boolean(),
    first_scan_at: Type.String({ maxLength: 64, description: 'the first run, ISO 8601 UTC (2026-12-08T02:00:00Z); later than now when enabling' }),
    interval: Type.Integer({ description: 'seconds between runs; 0 = the first run only' }),
    timeout: Type.Integer({ description: 'seconds a run may take (at least 2 x interval; over 1 when interval is 0)' }),
    scan_keys_count: Type.Integer({ description: `keys per SCAN page, ${EXPIRE_LIMITS.scanKeysCount.min}-${EXPIRE_LIMITS.scanKeysCount.max}` }),
  },
  { additionalProperties: false },
);

export const ExpireAutoscanConfig = Type.Object(
  {
    instance_id: Type.String(),
    enable_auto_scan: Type.Boolean(),
    first_scan_at: Type.String(),
    interval: Type.Integer(),
    timeout: Type.Integer(),
    scan_keys_count: Type.Integer(),
    updated_at: WireTime,
  },
  { $id: 'ExpireAutoscanConfig', title: 'ExpireAutoscanConfig' },
);
