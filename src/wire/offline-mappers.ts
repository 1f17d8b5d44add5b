/** Offline key analysis domain -> DCS wire (snake_case). */
import type { Static } from '@sinclair/typebox';
import type { OfflineAnalysis, OfflineLargestKey } from '../domain/offline-report.js';
import type { Task } from '../domain/task.js';
import { snapshotToWire } from './insight-mappers.js';
import type { OfflineTask } from './offline-schemas.js';
import { hotKeyToWire, nodeProgressToWire } from './wire-mappers.js';

/** The ip of `ip:port` (or `[v6]:port`). */
function ipOf(node: string): string {
  const at = node.lastIndexOf(':');
  return (at < 0 ? node : node.slice(0, at)).replace(/^\[(.*)\]$/, '$1');
}

export function offlineTaskToWire(task: Task): Static<typeof OfflineTask> {
  const result = task.kind === 'offline' ? task.result : null;
  const nodeId = task.options?.nodeId ?? result?.node ?? '';
  const backup = task.options?.backupId;
  return {
    id: task.id,
    instance_id: task.instanceId,
    node_id: nodeId,
    ...(backup === undefined ? {} : { backup_id: backup }),
    ...(result?.groupName == null ? {} : { group_name: result.groupName }),
    node_ip: ipOf(nodeId),
    ...(result?.nodeType == null ? {} : { node_type: result.nodeType }),
    analysis_type: backup === undefined ? 'new_backup' : 'old_backup',
    status: task.status,
    created_at: task.createdAt,
    ...(task.startedAt === null ? {} : { started_at: task.startedAt }),
    ...(task.finishedAt === null ? {} : { finished_at: task.finishedAt }),
    ...(task.errorMsg === null ? {} : { error_msg: task.errorMsg }),
    ...(task.progress === null ? {} : { progress: { nodes: task.progress.nodes.map(nodeProgressToWire) } }),
    ...(result === null ? {} : offlineResultToWire(result)),
  };
}

/** The report: a task's fields, and `keyheat scan --rdb FILE --offline --json`. */
export function offlineResultToWire(result: OfflineAnalysis) {
  const r = result.report;
  return {
    largest_key_prefixes: r.largestKeyPrefixes.map((p) => ({
      key_prefix: p.keyPrefix,
      ...(p.keyPrefixBase64 === undefined ? {} : { key_prefix_base64: p.keyPrefixBase64 }),
      type: p.type,
      bytes: p.bytes,
      num: p.num,
      ...(p.errorBytes === undefined ? {} : { error_bytes: p.errorBytes }),
    })),
    largest_keys: r.largestKeys.map(largestKeyToWire),
    total_bytes: r.totalBytes,
    total_num: r.totalNum,
    type_bytes: r.typeBytes.map((t) => ({ type: t.type, bytes: t.bytes })),
    type_num: r.typeNum.map((t) => ({ type: t.type, num: t.num })),
    ...(result.hot === null ? {} : { hot_keys: result.hot.keys.map(hotKeyToWire) }),
    ...(result.hotSkipped === null ? {} : { hot_keys_skipped: result.hotSkipped }),
    snapshot: snapshotToWire(result.snapshot),
    ...(result.trimmed === undefined ? {} : { advice: [{ code: 'result-trimmed', message: result.trimmed }] }),
  };
}

function largestKeyToWire(key: OfflineLargestKey) {
  return {
    key: key.name,
    ...(key.nameBase64 === undefined ? {} : { key_base64: key.nameBase64 }),
    ...(key.truncated === true ? { truncated: true } : {}),
    ...(key.nameSha1 === undefined ? {} : { name_sha1: key.nameSha1 }),
    type: key.type,
    bytes: key.bytes,
    num_of_elem: key.numOfElem,
    db: key.db,
  };
}
