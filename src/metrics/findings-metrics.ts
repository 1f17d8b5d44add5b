/**
 * What the latest analyses found, as Prometheus series: read from the store at each scrape
 * (storage/findings-records.ts), so every keyheat process sharing a database reports the same
 * values. Those series describe the instances, not this process: do not sum them across
 * processes (use max by, or scrape one process).
 *
 * Cardinality is bounded by configuration whatever the keyspace: per instance at most
 * `metrics.hot_keys` x 2 hot key series, `metrics.big_keys` x 2 big key series, MAX_TYPES x 4
 * type series, 10 x 2 namespace series, and 9 more. Key names appear only in the hot and big key
 * series, in their display form, at most 256 bytes (domain/findings.ts keyLabel).
 *
 * A task's findings never change, so the exposition lines of each instance's latest tasks are
 * kept between scrapes (at most the series above, per instance) and a scrape reads from the
 * store only which tasks are latest, and the findings of tasks it has not seen: 1,000 instances
 * scrape in tens of milliseconds (bench/findings-scrape.ts). The text is written here rather
 * than through prom-client's gauges, whose label handling took most of a large scrape.
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { boundedProbe, type ProbeResult } from '../domain/bounded-probe.js';
import type { BigFindings, ExpireFindings, Findings, FindingsSource, HotFindings, RegisteredInstance } from '../domain/findings.js';
import { METRIC_PREFIX } from './process-metrics.js';

export interface FindingsSettings {
  /** Hot keys per instance with series (metrics.hot_keys). */
  readonly hotKeys: number;
  /** Big keys per instance with series (metrics.big_keys). */
  readonly bigKeys: number;
  /** How long a scrape waits for the store's findings before answering without them. */
  readonly deadlineMs: number;
}

/** Types per instance with series, the most keys first (a server may name any number of module types). */
export const MAX_TYPES = 16;

const OF = 'From the latest successful task of each instance, read from the store at scrape time: every keyheat process sharing the store reports the same value, do not sum across processes.';

/** The finding families, in the order they are written. */
const FAMILIES = {
  instance_info: `1 for every registered instance, with its name and project. ${OF}`,
  last_success_timestamp_seconds: `When the instance's latest successful task of a kind (hot, big, expire, offline) finished, Unix seconds. ${OF}`,
  hot_key_est_qps: `Estimated reads per second of the instance's hottest keys (metrics.hot_keys of them), from their LFU counters; a lower bound where the counter is saturated. ${OF}`,
  hot_key_freq: `The LFU counter (0-255, logarithmic) of the instance's hottest keys. ${OF}`,
  hot_keys_saturated: `Keys of the latest hot key analysis whose LFU counter is at 255: their real rate is above what the counter can tell. ${OF}`,
  big_key_size: `Size of the instance's biggest keys (metrics.big_keys of them): bytes for strings, elements for collections (unit label). ${OF}`,
  big_key_memory_bytes: `MEMORY USAGE of the instance's biggest keys, where the analysis measured it. ${OF}`,
  type_keys: `Keys of each type the latest big key analysis saw. ${OF}`,
  type_big_keys: `Keys of each type over the big key thresholds. ${OF}`,
  type_size: `Sum of the sizes of the keys of each type (unit: byte or count). ${OF}`,
  type_memory_bytes: `Sum of MEMORY USAGE of the keys of each type, where every key was measured. ${OF}`,
  namespace_keys: `Keys of the instance's biggest namespaces (up to 10, from the latest big key analysis). ${OF}`,
  namespace_share: `Share (0-1) of the instance's keyspace its biggest namespaces take, by memory where every key was measured, else by size (by label). ${OF}`,
  keys_without_expiry: `Keys without a time to live, from the latest expired key scan. ${OF}`,
  keys_with_expiry: `Keys with a time to live, from the latest expired key scan. ${OF}`,
  expired_keys_reclaimed: `Expired keys the latest expired key scan made the primaries reclaim. ${OF}`,
} as const;

type Family = keyof typeof FAMILIES;
type Lines = Partial<Record<Family, string[]>>;

/** A task's lines, and the instance name they were written with (a rename rewrites them). */
interface Rendered {
  readonly instanceName: string;
  readonly lines: Lines;
}

export class FindingsMetrics {
  private readonly up: Gauge;
  private readonly read: () => Promise<ProbeResult<string>>;
  private readonly rendered = new Map<string, Rendered>();

  constructor(
    registry: Registry,
    private readonly source: FindingsSource,
    private readonly settings: FindingsSettings,
    private readonly logger: Logger,
  ) {
    this.up = new Gauge({ name: `${METRIC_PREFIX}findings_up`, help: "1 if the store answered the scrape's findings in time, else 0 (and the findings series have no samples)", registers: [registry] });
    this.read = boundedProbe(() => this.text(), settings.deadlineMs);
  }

  /** The finding families in the exposition format; none (and findings_up 0) when the store does not answer in time. */
  async render(): Promise<string> {
    const result = await this.read();
    if (result.ok) {
      this.up.set(1);
      return result.value;
    }
    this.up.set(0);
    const err = result.reason === 'error' ? result.error : undefined;
    this.logger.warn({ err, reason: result.reason }, 'metrics: the store did not answer the findings; their series are left out of this scrape');
    return '';
  }

  private async text(): Promise<string> {
    const snapshot = await this.source.latest();
    const instances = new Map<string, RegisteredInstance>(snapshot.instances.map((i) => [i.id, i]));
    const latest = snapshot.latest.filter((task) => instances.has(task.instanceId));
    const unseen = latest.filter((task) => this.rendered.get(task.taskId)?.instanceName !== instances.get(task.instanceId)?.name).map((task) => task.taskId);
    const fetched = unseen.length === 0 ? new Map<string, Findings | null>() : await this.source.findings(unseen);
    const current = new Set<string>();
    const families: Record<Family, string[]> = Object.fromEntries(Object.keys(FAMILIES).map((name) => [name, []])) as unknown as Record<Family, string[]>;
    for (const instance of snapshot.instances) families.instance_info.push(sample('instance_info', { instance_id: instance.id, instance_name: instance.name, project_id: instance.projectId }, 1));
    for (const task of latest) {
      const instance = instances.get(task.instanceId) as RegisteredInstance;
      const labels = { instance_id: instance.id, instance_name: instance.name };
      families.last_success_timestamp_seconds.push(sample('last_success_timestamp_seconds', { ...labels, kind: task.kind }, Date.parse(task.finishedAt) / 1000));
      let rendered = this.rendered.get(task.taskId);
      if (rendered?.instanceName !== instance.name) {
        // Not fetched (a task without stored findings past what one scrape computes): next scrape.
        if (!fetched.has(task.taskId)) continue;
        rendered = { instanceName: instance.name, lines: this.lines(labels, fetched.get(task.taskId) ?? null) };
        this.rendered.set(task.taskId, rendered);
      }
      current.add(task.taskId);
      for (const [family, lines] of Object.entries(rendered.lines) as [Family, string[]][]) families[family].push(...lines);
    }
    // Only the latest tasks' lines are kept.
    for (const taskId of this.rendered.keys()) if (!current.has(taskId)) this.rendered.delete(taskId);
    return (Object.keys(FAMILIES) as Family[])
      .map((family) => `# HELP ${METRIC_PREFIX}${family} ${FAMILIES[family]}\n# TYPE ${METRIC_PREFIX}${family} gauge\n${families[family].map((line) => `${line}\n`).join('')}`)
      .join('');
  }

  private lines(labels: Labels, findings: Findings | null): Lines {
    if (findings?.kind === 'hot') return this.hotLines(labels, findings);
    if (findings?.kind === 'big') return this.bigLines(labels, findings);
    if (findings?.kind === 'expire') return expireLines(labels, findings);
    return {};
  }

  private hotLines(labels: Labels, findings: HotFindings): Lines {
    const keys = findings.keys.slice(0, this.settings.hotKeys);
    const keyLabels = (key: HotFindings['keys'][number]): Labels => ({ ...labels, key: key.key, db: String(key.db), shard: key.shard });
    return {
      hot_key_est_qps: keys.flatMap((key) => (key.estQps === null ? [] : [sample('hot_key_est_qps', keyLabels(key), key.estQps)])),
      hot_key_freq: keys.map((key) => sample('hot_key_freq', keyLabels(key), key.freq)),
      hot_keys_saturated: [sample('hot_keys_saturated', labels, findings.saturated)],
    };
  }

  private bigLines(labels: Labels, findings: BigFindings): Lines {
    const keys = findings.keys.slice(0, this.settings.bigKeys);
    const types = [...findings.types].sort((a, b) => b.keys - a.keys).slice(0, MAX_TYPES);
    const keyLabels = (key: BigFindings['keys'][number]): Labels => ({ ...labels, key: key.key, db: String(key.db), shard: key.shard, type: key.type });
    return {
      big_key_size: keys.map((key) => sample('big_key_size', { ...keyLabels(key), unit: key.unit }, key.size)),
      big_key_memory_bytes: keys.flatMap((key) => (key.memoryBytes === null ? [] : [sample('big_key_memory_bytes', keyLabels(key), key.memoryBytes)])),
      type_keys: types.map((t) => sample('type_keys', { ...labels, type: t.type }, t.keys)),
      type_big_keys: types.map((t) => sample('type_big_keys', { ...labels, type: t.type }, t.bigKeys)),
      type_size: types.map((t) => sample('type_size', { ...labels, type: t.type, unit: t.unit }, t.totalSize)),
      type_memory_bytes: types.flatMap((t) => (t.memoryBytes === null ? [] : [sample('type_memory_bytes', { ...labels, type: t.type }, t.memoryBytes)])),
      namespace_keys: findings.namespaces.map((ns) => sample('namespace_keys', { ...labels, namespace: ns.namespace }, ns.keys)),
      namespace_share: findings.namespaces.map((ns) => sample('namespace_share', { ...labels, namespace: ns.namespace, by: findings.namespacesBy }, ns.share)),
    };
  }
}

type Labels = Readonly<Record<string, string>>;

function expireLines(labels: Labels, findings: ExpireFindings): Lines {
  return {
    keys_without_expiry: [sample('keys_without_expiry', labels, findings.withoutExpiry)],
    keys_with_expiry: [sample('keys_with_expiry', labels, findings.withExpiry)],
    expired_keys_reclaimed: [sample('expired_keys_reclaimed', labels, findings.reclaimed)],
  };
}

/** One sample line; a label with an empty value is left out (Prometheus treats them alike). */
function sample(family: Family, labels: Labels, value: number): string {
  const pairs = Object.entries(labels)
    .filter(([, v]) => v !== '')
    .map(([name, v]) => `${name}="${escapeLabelValue(v)}"`)
    .join(',');
  return `${METRIC_PREFIX}${family}{${pairs}} ${formatValue(value)}`;
}

/** The exposition format's escaping of a label value: backslash, double quote, line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

