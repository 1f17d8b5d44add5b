/** Domain -> DCS wire (snake_case), one mapper per resource. Null fields are omitted, as DCS does. */
import type { Static } from '@sinclair/typebox';
import type { AnalysisStats as StatsDomain, HotKey } from '../domain/hot-key.js';
import { endpointAddress, type Instance, type RedisTls, type SentinelSettings } from '../domain/instance.js';
import { definedOptions, type NodeProgress, type Task, type TaskOptions } from '../domain/task.js';
import { TASK_OPTION_WIRE_NAMES } from '../domain/task-options.js';
import type { AutoscanConfig as AutoscanDomain } from '../domain/autoscan.js';
import type { Insights } from '../domain/insights.js';
import { insightsToWire, lfuToWire } from './insight-mappers.js';
import type { InstanceBody, RegisterInstanceBody } from './instance-schemas.js';
import type { AnalysisStats, AutoscanConfig, HotkeysBody, NodeProgressBody, RecordsResponse, TaskBody } from './task-schemas.js';
import { nameToWire } from './wire-names.js';

export function taskToWire(task: Task, options: { withKeys: boolean }): Static<typeof TaskBody> {
  const result = task.kind === 'hot' ? task.result : null;
  // A success whose result was not loaded (over retention.max_result_bytes) lists no keys, and says why in error_msg.
  const keys = result?.keys ?? (task.status === 'success' ? [] : null);
  return {
    ...taskEnvelopeToWire(task),
    num: keys?.length ?? 0,
    ...(options.withKeys && keys !== null ? { keys: keys.map(hotKeyToWire) } : {}),
    ...(result === null ? {} : { analysis: statsToWire(result.stats, result.insights) }),
    ...(result?.insights == null ? {} : insightsToWire(result.insights)),
  };
}

/** The fields every task has, of either kind: DCS's (but num and keys) and keyheat's error, progress and options. */
export function taskEnvelopeToWire(task: Task) {
  return {
    id: task.id,
    instance_id: task.instanceId,
    status: task.status,
    scan_type: task.scanType,
    created_at: task.createdAt,
    ...(task.startedAt === null ? {} : { started_at: task.startedAt }),
    ...(task.finishedAt === null ? {} : { finished_at: task.finishedAt }),
    ...(task.errorMsg === null ? {} : { error_msg: task.errorMsg }),
    ...(task.progress === null ? {} : { progress: { nodes: task.progress.nodes.map(nodeProgressToWire) } }),
    ...(task.options === null ? {} : { options: optionsToWire(task.options) }),
  };
}

/** A task's pacing options, snake_case, only those set. */
export function optionsToWire(options: TaskOptions): Record<string, number | boolean | string> {
  const wire: Record<string, number | boolean | string> = {};
  for (const [name, wireName] of Object.entries(TASK_OPTION_WIRE_NAMES) as [keyof TaskOptions, string][]) {
    const value = options[name];
    if (value !== undefined) wire[wireName] = value;
  }
  return wire;
}

/** The pacing options of a create body; null when it sets none. */
export function optionsFromWire(body: Readonly<Record<string, unknown>>): TaskOptions | null {
  const options: Record<string, number | boolean | string> = {};
  for (const [name, wireName] of Object.entries(TASK_OPTION_WIRE_NAMES)) {
    const value = body[wireName];
    // The body's schema allows only the strategies' names as strings.
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') options[name] = value;
  }
  return definedOptions(options);
}

/** A finished analysis's counters: the API's `analysis` and `keyheat scan --json`'s. */
export function statsToWire(stats: StatsDomain, insights: Insights | null = null): Static<typeof AnalysisStats> {
  const lfu = insights === null ? undefined : lfuToWire(insights.lfu);
  return {
    scanned_keys: stats.scannedKeys,
    vanished_keys: stats.vanishedKeys,
    changed_keys: stats.changedKeys,
    duration_ms: stats.durationMs,
    ...(stats.nodes === undefined
      ? {}
      : {
          nodes: stats.nodes.map((n) => ({
            node: n.node,
            scanned_keys: n.scannedKeys,
            expected_keys: n.expectedKeys,
            cpu_share: n.cpuShare,
            longest_block_us: n.longestBlockUs,
            traffic_seen: n.trafficSeen,
          })),
        }),
    ...(lfu === undefined ? {} : { lfu: lfu as Static<typeof AnalysisStats>['lfu'] }),
  };
}

export function nodeProgressToWire(node: NodeProgress): Static<typeof NodeProgressBody> {
  return { node: node.node, scanned_keys: node.scannedKeys, expected_keys: node.expectedKeys };
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
    ...nameToWire(key),
    type: key.type,
    ...(key.shard === undefined ? {} : { shard: key.shard }),
    db: key.db,
    size: key.size,
    unit: key.unit,
    freq: key.freq,
    // keyheat's additions, on keys of tasks that have them (absent from older tasks).
    ...(key.estQps === undefined ? {} : { est_qps: key.estQps }),
    ...(key.estAccesses === undefined || key.estAccesses === null ? {} : { est_accesses: key.estAccesses }),
    ...(key.saturated === undefined ? {} : { saturated: key.saturated }),
    ...(key.previousFreq === undefined ? {} : { previous_freq: key.previousFreq }),
    ...(key.sampledQps === undefined ? {} : { sampled_qps: key.sampledQps }),
    ...(key.sampledShare === undefined ? {} : { sampled_share: key.sampledShare }),
    ...(key.alsoBig === undefined ? {} : { also_big: key.alsoBig }),
  };
}

export function instanceToWire(instance: Instance): Static<typeof InstanceBody> {
  return {
    instance_id: instance.id,
    name: instance.name,
    engine: instance.engine,
    engine_version: instance.engineVersion,
    mode: instance.mode,
    ip: instance.endpoint.host,
    port: instance.endpoint.port,
    ...tlsToWire(instance.endpoint.tls),
    ...sentinelToWire(instance.endpoint.sentinel ?? null),
    status: instance.status,
    created_at: instance.createdAt,
  };
}

/** A registration body in keyheat's words. */
export function registrationFromWire(body: Static<typeof RegisterInstanceBody>): { name: string; url: string; password?: string; sentinelPassword?: string; tls?: RedisTls } {
  const tls = body.tls;
  return {
    name: body.name,
    url: body.url,
    ...(body.password === undefined ? {} : { password: body.password }),
    ...(body.sentinel_password === undefined ? {} : { sentinelPassword: body.sentinel_password }),
    ...(tls === undefined
      ? {}
      : { tls: { ca: tls.ca ?? null, cert: tls.cert ?? null, key: tls.key ?? null, servername: tls.servername ?? null, insecure: tls.insecure === true } }),
  };
}

function tlsToWire(tls: RedisTls | null): Pick<Static<typeof InstanceBody>, 'tls'> {
  if (tls === null) return {};
  const servername = tls.servername === null ? {} : { servername: tls.servername };
  return { tls: { ca: tls.ca === null ? 'system' : 'custom', client_certificate: tls.cert !== null, ...servername, insecure: tls.insecure } };
}

function sentinelToWire(sentinel: SentinelSettings | null): Pick<Static<typeof InstanceBody>, 'sentinel'> {
  if (sentinel === null) return {};
  return { sentinel: { master_name: sentinel.masterName, sentinels: sentinel.nodes.map(endpointAddress) } };
}

export function autoscanToWire(config: AutoscanDomain & { updatedAt: string }): Static<typeof AutoscanConfig> {
  return {
    instance_id: config.instanceId,
    enable_auto_scan: config.enableAutoScan,
    schedule_at: [...config.scheduleAt],
    updated_at: config.updatedAt,
    ...(config.options == null ? {} : { options: optionsToWire(config.options) }),
  };
}
