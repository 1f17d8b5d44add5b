/** Domain -> DCS wire (snake_case), one mapper per resource. Null fields are omitted, as DCS does. */
import type { Static } from '@sinclair/typebox';
import type { HotKey } from '../domain/hot-key.js';
import type { Instance } from '../domain/instance.js';
import type { Task } from '../domain/task.js';
import type { AutoscanConfig as AutoscanDomain } from '../storage/autoscan-repository.js';
import type { InstanceBody } from './schemas/instance-schemas.js';
import type { AutoscanConfig, HotkeysBody, RecordsResponse, TaskBody } from './schemas/task-schemas.js';

export function taskToWire(task: Task, options: { withKeys: boolean }): Static<typeof TaskBody> {
  return {
    id: task.id,
    instance_id: task.instanceId,
    status: task.status,
    scan_type: task.scanType,
    created_at: task.createdAt,
    ...(task.startedAt === null ? {} : { started_at: task.startedAt }),
    ...(task.finishedAt === null ? {} : { finished_at: task.finishedAt }),
    num: task.keys?.length ?? 0,
    ...(options.withKeys && task.keys !== null ? { keys: task.keys.map(hotKeyToWire) } : {}),
    ...(task.errorMsg === null ? {} : { error_msg: task.errorMsg }),
    ...(task.progress === null
      ? {}
      : { progress: { nodes: task.progress.nodes.map((n) => ({ node: n.node, scanned_keys: n.scannedKeys, expected_keys: n.expectedKeys })) } }),
    ...(task.options === null
      ? {}
      : {
          options: {
            ...(task.options.batchSize === undefined ? {} : { batch_size: task.options.batchSize }),
            ...(task.options.busyBatchSize === undefined ? {} : { busy_batch_size: task.options.busyBatchSize }),
            ...(task.options.rateLimit === undefined ? {} : { rate_limit: task.options.rateLimit }),
          },
        }),
    ...(task.stats === null
      ? {}
      : {
          analysis: {
            scanned_keys: task.stats.scannedKeys,
            vanished_keys: task.stats.vanishedKeys,
            changed_keys: task.stats.changedKeys,
            duration_ms: task.stats.durationMs,
          },
        }),
  };
}

export function recordToWire(task: Task): Static<typeof RecordsResponse> {
  return {
    id: task.id,
    status: task.status,
    scan_type: task.scanType,
    created_at: task.createdAt,
    ...(task.startedAt === null ? {} : { started_at: task.startedAt }),
    ...(task.finishedAt === null ? {} : { finished_at: task.finishedAt }),
    ...(task.errorMsg === null ? {} : { error_msg: task.errorMsg }),
  };
}

export function hotKeyToWire(key: HotKey): Static<typeof HotkeysBody> {
  return {
    name: key.name,
    ...(key.nameBase64 === undefined ? {} : { name_base64: key.nameBase64 }),
    type: key.type,
    ...(key.shard === undefined ? {} : { shard: key.shard }),
    db: key.db,
    size: key.size,
    unit: key.unit,
    freq: key.freq,
  };
}

export function instanceToWire(instance: Instance): Static<typeof InstanceBody> {
  return {
    instance_id: instance.id,
    name: instance.name,
    engine: 'Redis',
    engine_version: instance.engineVersion,
    mode: instance.mode,
    ip: instance.endpoint.host,
    port: instance.endpoint.port,
    status: instance.status,
    created_at: instance.createdAt,
  };
}

export function autoscanToWire(config: AutoscanDomain & { updatedAt: string }): Static<typeof AutoscanConfig> {
  return {
    instance_id: config.instanceId,
    enable_auto_scan: config.enableAutoScan,
    schedule_at: [...config.scheduleAt],
    updated_at: config.updatedAt,
  };
}
