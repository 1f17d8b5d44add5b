/**
 * Human output of an analysis: the progress line and the result table. `keyheat scan` prints
 * its own result with them, and the client (`keyheat tasks create --wait`, `tasks show`) a
 * task read over HTTP, so both show a result the same way.
 */
import { escapeControls, escapeKeyName } from '../domain/display-text.js';
import type { ReportedName } from '../domain/reported-name.js';
import type { BigKeyNode, BigKeyResult } from '../domain/big-key.js';
import type { AnalysisStats, HotKey, NodeReport } from '../domain/hot-key.js';
import type { InstanceMode } from '../domain/instance.js';
import type { Heat, Insights, Trend } from '../domain/insights.js';
import type { NodeProgress } from '../domain/task.js';
import type { Sampling } from '../domain/sampling.js';
import type { SnapshotReport } from '../domain/snapshot.js';
import { textTable } from './text-table.js';

const BAR_WIDTH = 24;

/**
 * What the table shows: an engine result (AnalysisResult fits) or a task read back from the API,
 * where tasks finished by an older keyheat may lack the per-node report or the insights.
 */
export interface ResultView {
  readonly mode: InstanceMode;
  readonly keys: readonly HotKey[];
  readonly stats: AnalysisStats;
  readonly insights: Insights | null;
}

export function formatProgress(nodes: readonly NodeProgress[], elapsedMs: number): string {
  const scanned = nodes.reduce((n, p) => n + p.scannedKeys, 0);
  const expected = nodes.reduce((n, p) => n + p.expectedKeys, 0);
  const fraction = expected === 0 ? 0 : Math.min(1, scanned / expected);
  const filled = Math.round(fraction * BAR_WIDTH);
  const rate = elapsedMs > 0 ? Math.round((scanned * 1000) / elapsedMs) : 0;
  return (
    `[${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `${scanned.toLocaleString('en-US')}/${expected.toLocaleString('en-US')} keys, ${nodes.length} node${nodes.length === 1 ? '' : 's'}, ` +
    `${rate.toLocaleString('en-US')} keys/s`
  );
}

/** The hot key table's lines (no trailing newline): rank, counter, estimate, type, size, db, shard on a cluster, name. */
export function hotKeyTable(keys: readonly HotKey[], cluster: boolean): string {
  // Where no node's counters decay, every estimate is a count of accesses, and the column says so.
  const counts = keys.length > 0 && keys.every((key) => key.estQps === null);
  const measured = keys.some((key) => key.sampledQps !== undefined);
  const header = ['#', 'freq', counts ? 'est acc' : 'est/s', ...(measured ? ['seen/s'] : []), 'type', 'size', 'db', ...(cluster ? ['shard'] : []), 'key'];
  const rows = keys.map((key, i) => [
    String(i + 1),
    String(key.freq),
    estimateCell(key, counts),
    ...(measured ? [key.sampledQps === undefined ? '-' : String(key.sampledQps)] : []),
    // The type is the server's word for module types: a stranger's text like the name.
    escapeControls(key.type),
    `${key.size} ${key.unit === 'byte' ? 'B' : 'items'}`,
    String(key.db),
    ...(cluster ? [escapeControls(key.shard ?? '')] : []),
    // Control and bidi characters of a (valid UTF-8) name would move the cursor or reorder the line.
    shownName(key),
  ]);
  return textTable(header, rows, 3).join('\n');
}

export function formatTable(result: ResultView, target: string): string {
  const cluster = result.mode === 'cluster';
  const nodes = result.stats.nodes;
  const summary =
    `${target}: ${result.keys.length} hot key${result.keys.length === 1 ? '' : 's'} among ${result.stats.scannedKeys.toLocaleString('en-US')} keys ` +
    `(${result.mode}${nodes === undefined ? '' : `, ${nodes.length} node${nodes.length === 1 ? '' : 's'}`}) in ${(result.stats.durationMs / 1000).toFixed(2)} s` +
    (result.stats.vanishedKeys > 0 ? `; ${result.stats.vanishedKeys} keys vanished during the scan` : '');
  const reading = result.insights === null ? '' : formatInsights(result.insights, result.keys);
  // A snapshot's cost is its forks, not a share of each node's main thread.
  const cost = result.insights?.snapshot === undefined ? formatPacing(nodes ?? []) : formatSnapshot(result.insights.snapshot);
  const sampled = result.insights?.sampling === undefined ? '' : formatSampling(result.insights.sampling, cluster);
  if (result.keys.length === 0) return `${sampled}${summary}\n${cost}${reading}`;
  return `${hotKeyTable(result.keys, cluster)}\n${summary}\n${cost}${sampled}${reading}`;
}

/** The sampling phase's own ranking: keys by measured commands/s, with its error bound. */
export function formatSampling({ sampled, sample }: Sampling, cluster: boolean): string {
  const nodes = `${sample.nodes} node${sample.nodes === 1 ? '' : 's'}`;
  const title = `Measured rates: ${sample.seconds} s of MONITOR on ${nodes}, ${sample.commandsSeen.toLocaleString('en-US')} commands (${sample.commandsPerS.toLocaleString('en-US')}/s); a qps may be high by up to its err\n`;
  const stopped = sample.stoppedEarly === null ? '' : `  stopped early: ${escapeControls(sample.stoppedEarly)}\n`;
  if (sampled.length === 0) return `${title}${stopped}  no key was named by a command in the window\n`;
  const header = ['#', 'qps', 'err', 'share', 'db', ...(cluster ? ['shard'] : []), 'key'];
  const rows = sampled.map((key, i) => [
    String(i + 1),
    String(key.qps),
    String(key.error),
    `${(key.share * 100).toFixed(1)}%`,
    String(key.db),
    ...(cluster ? [escapeControls(key.shard ?? '')] : []),
    shownName(key),
  ]);
  return `${title}${stopped}${textTable(header, rows, 3).join('\n')}\n`;
}

/**
 * est/s: the estimated rate, ">= x" for a saturated counter; where counters hold no rate, "~N"
 * accesses (in an "est acc" column) or "~N acc" beside the rates of nodes that do.
 */
function estimateCell(key: HotKey, counts: boolean): string {
  if (key.estQps === undefined) return '';
  if (key.estQps === null) return key.estAccesses === null || key.estAccesses === undefined ? '' : `~${key.estAccesses}${counts ? '' : ' acc'}`;
  return key.saturated === true ? `>= ${key.estQps}` : String(key.estQps);
}

/**
 * The LFU settings, where the heat is, what changed since the previous task, and advice, under the
 * table. `keys`: the task's keys, whose names the trend's new keys are.
 */
export function formatInsights(insights: Insights, hotKeys: readonly ReportedName[] = []): string {
  const lines: string[] = [];
  const lfu = insights.lfu[0];
  if (lfu !== undefined) {
    const ceiling = lfu.ceilingQps === null ? 'counters count accesses, not a rate' : `a counter at 255 means >= ${lfu.ceilingQps} reads/s`;
    lines.push(`LFU: lfu-log-factor ${lfu.logFactor}, lfu-decay-time ${lfu.decayTime} (${lfu.source}${insights.lfu.length > 1 ? ', first node; the nodes differ' : ''}): ${ceiling}`);
  }
  const keys = (n: number): string => `${n.toLocaleString('en-US')} key${n === 1 ? '' : 's'}`;
  const warm = (n: number): string => `${n} warm key${n === 1 ? '' : 's'}`;
  // Sums keep four digits in the API; three are enough to read.
  const heat = (h: Heat): string => `${h.estQps === null ? `~${h.estAccesses ?? 0} accesses` : `~${Number(h.estQps.toPrecision(3))} reads/s`}, ${(h.share * 100).toFixed(1)}%`;
  if (insights.prefixes.length > 0) {
    lines.push('Hottest namespaces:');
    for (const p of insights.prefixes.slice(0, 5)) lines.push(`  ${p.prefix === '' ? '(no namespace)' : escapeControls(p.prefix)}: ${warm(p.keys)}, ${heat(p)}`);
  }
  for (const g of insights.shards ?? []) lines.push(`Shard ${escapeControls(g.shard ?? '')}: ${g.warmKeys} warm of ${keys(g.scannedKeys)}, ${heat(g)}`);
  for (const g of insights.databases ?? []) lines.push(`db${g.db ?? 0}: ${g.warmKeys} warm of ${keys(g.scannedKeys)}, ${heat(g)}`);
  if (insights.trend !== null) lines.push(formatTrend(insights.trend, hotKeys));
  for (const a of insights.advice) lines.push(`Advice (${escapeControls(a.code)}): ${escapeControls(a.message)}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** Names a trend line lists before it counts the rest: one line stays readable. */
const TREND_NAMES = 5;

/** What changed since the previous task of the instance (a one-shot scan has no trend). */
function formatTrend(trend: Trend, keys: readonly ReportedName[]): string {
  const names = (list: readonly ReportedName[]): string =>
    list.slice(0, TREND_NAMES).map(shownName).join(', ') + (list.length > TREND_NAMES ? `, and ${list.length - TREND_NAMES} more` : '');
  const byName = new Map(keys.map((key) => [key.name, key]));
  const added = trend.new.map((name): ReportedName => byName.get(name) ?? { name });
  const gone = trend.gone;
  const changes = [
    ...(added.length > 0 ? [`${added.length} new (${names(added)})`] : []),
    ...(gone.length > 0 ? [`${gone.length} gone (${names(gone)})`] : []),
  ];
  return `Since task ${escapeControls(trend.comparedWith)}: ${changes.length === 0 ? 'the same hot keys' : changes.join(', ')}`;
}

/** One line per RDB read (strategy snapshot): its size, the fork and its copy-on-write, the transfer. */
export function formatSnapshot(report: SnapshotReport): string {
  const lines = report.nodes.map((n) => {
    const role = n.role === 'file' ? 'file' : `${n.role}${n.shard === undefined || n.shard === n.node ? '' : ` of ${escapeControls(n.shard)}`}`;
    const rdb = `RDB v${n.rdbVersion} ${sizeText(n.rdbBytes, 'byte')}, ${plural(n.keys, 'key')}${n.expiredKeys > 0 ? ` (${n.expiredKeys.toLocaleString('en-US')} expired)` : ''}`;
    const fork = n.forkUsec === null ? '' : `, fork ${(n.forkUsec / 1000).toFixed(1)} ms`;
    const cow = n.cowBytes === null ? '' : `, copy-on-write ${sizeText(n.cowBytes, 'byte')}`;
    const seconds = n.transferMs / 1000;
    const speed = seconds > 0 ? ` (${(n.rdbBytes / 1048576 / seconds).toFixed(0)} MB/s)` : '';
    const wait = n.role === 'file' ? '' : `, waited ${(n.waitMs / 1000).toFixed(2)} s for it`;
    const skipped = n.replicaSkipped === null ? '' : `; ${escapeControls(n.replicaSkipped)}`;
    return `  ${escapeControls(n.node)} (${role}): ${rdb}${fork}${cow}${wait}, read in ${seconds.toFixed(2)} s${speed}${skipped}\n`;
  });
  return `${report.source === 'file' ? 'Read from a file:' : 'Snapshots read:'}\n${lines.join('')}`;
}

/** One line per node: what its scan cost it (share of its main thread, longest block), and whether others were served. */
export function formatPacing(nodes: readonly NodeReport[]): string {
  return nodes
    .map((n) => {
      const share = n.cpuShare === null ? 'unmeasured (INFO commandstats refused)' : `${(n.cpuShare * 100).toFixed(1)}% of its main thread`;
      const block = n.longestBlockUs === null ? '' : `, longest block ${n.longestBlockUs} us`;
      return `  ${escapeControls(n.node)}: ${share}${block}${n.trafficSeen ? ', while serving other clients' : ', idle'}\n`;
    })
    .join('');
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** A size for people: bytes in B/KB/MB, elements as items. */
export function sizeText(size: number, unit: 'byte' | 'count'): string {
  if (unit === 'count') return `${size.toLocaleString('en-US')} items`;
  if (size >= 1024 * 1024) return `${(size / (1024 * 1024)).toFixed(1)} MB`;
  if (size >= 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${size} B`;
}

/**
 * A big key analysis: the big keys (per type, biggest first), then every type's totals, the
 * nodes read (which, why a primary, NO-TOUCH, what it cost), namespaces by size, and advice.
 */
export function formatBigTable(result: BigKeyResult & { readonly mode: InstanceMode }, target: string): string {
  const cluster = result.mode === 'cluster';
  const memory = result.keys.some((key) => key.memoryBytes !== undefined);
  const header = ['#', 'size', ...(memory ? ['memory'] : []), 'ttl', 'type', 'db', ...(cluster ? ['shard'] : []), 'key'];
  const rows = result.keys.map((key, i) => [
    String(i + 1),
    sizeText(key.size, key.unit),
    ...(memory ? [key.memoryBytes === undefined ? '-' : sizeText(key.memoryBytes, 'byte')] : []),
    key.ttl === undefined ? '-' : key.ttl < 0 ? 'none' : `${key.ttl} s`,
    // The type is the server's word for module types: a stranger's text like the name.
    escapeControls(key.type),
    String(key.db),
    ...(cluster ? [escapeControls(key.shard ?? '')] : []),
    shownName(key),
  ]);
  const { stats, thresholds } = result;
  const limits = `strings over ${thresholds.stringBytes.toLocaleString('en-US')} B, collections over ${thresholds.collectionCount.toLocaleString('en-US')} items, ${thresholds.perType} per type`;
  const summary =
    `${target}: ${result.keys.length} big key${result.keys.length === 1 ? '' : 's'} (${limits}) among ${stats.scannedKeys.toLocaleString('en-US')} keys ` +
    `(${result.mode}, ${stats.nodes.length} node${stats.nodes.length === 1 ? '' : 's'}) in ${(stats.durationMs / 1000).toFixed(2)} s` +
    (stats.vanishedKeys > 0 ? `; ${stats.vanishedKeys} keys vanished during the scan` : '') +
    (stats.changedKeys > 0 ? `; ${stats.changedKeys} changed type` : '');
  const lines: string[] = [];
  if (result.types.length > 0) lines.push('By type:');
  for (const t of result.types) {
    const largest = t.largest === null ? '' : `, largest ${shownName(t.largest)} (${sizeText(t.largest.size, t.unit)})`;
    const used = t.memoryBytes === undefined ? '' : `, ${sizeText(t.memoryBytes, 'byte')} of memory`;
    lines.push(`  ${escapeControls(t.type)}: ${plural(t.keys, 'key')}, ${sizeText(t.totalSize, t.unit)} in all${used}, ${t.bigKeys.toLocaleString('en-US')} big${largest}`);
  }
  if (result.snapshot === undefined) {
    lines.push('Nodes read:');
    for (const n of stats.nodes) lines.push(bigNodeLine(n));
  } else {
    lines.push(formatSnapshot(result.snapshot).trimEnd());
  }
  if (result.prefixes.length > 0) {
    lines.push(`Biggest namespaces (by ${result.prefixesBy === 'memory' ? 'memory' : 'size: bytes and items added up'}):`);
    for (const p of result.prefixes.slice(0, 5)) {
      lines.push(`  ${p.prefix === '' ? '(no namespace)' : escapeControls(p.prefix)}: ${plural(p.keys, 'key')}, ${result.prefixesBy === 'memory' ? sizeText(p.weight, 'byte') : p.weight.toLocaleString('en-US')}, ${(p.share * 100).toFixed(1)}%`);
    }
  }
  for (const a of result.advice) lines.push(`Advice (${escapeControls(a.code)}): ${escapeControls(a.message)}`);
  const table = result.keys.length === 0 ? '' : `${textTable(header, rows, 2).join('\n')}\n`;
  return `${table}${summary}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** One node read: its role (and shard), why a primary, NO-TOUCH, and what the scan cost it. */
function bigNodeLine(n: BigKeyNode): string {
  const role = `${n.role}${n.shard === undefined || n.shard === n.node ? '' : ` of ${escapeControls(n.shard)}`}`;
  const share = n.cpuShare === null ? 'cost unmeasured' : `${(n.cpuShare * 100).toFixed(1)}% of its main thread`;
  const block = n.longestBlockUs === null ? '' : `, longest block ${n.longestBlockUs} us`;
  const touch = n.noTouch ? 'NO-TOUCH' : n.noTouchDenied === true ? 'no NO-TOUCH (the ACL denies +client|no-touch)' : 'no NO-TOUCH (Redis < 7.2)';
  const skipped = n.replicaSkipped === null ? '' : `; ${escapeControls(n.replicaSkipped)}`;
  return `  ${escapeControls(n.node)} (${role}): ${plural(n.scannedKeys, 'key')}, ${touch}, ${share}${block}${n.trafficSeen ? ', while serving other clients' : ', idle'}${skipped}`;
}

/** A key name for a terminal (domain/display-text.ts escapeKeyName), with … when it is only the beginning of a longer name. */
export function shownName(key: ReportedName): string {
  return `${escapeKeyName(key.name, key.nameBase64 !== undefined)}${key.truncated === true ? '…' : ''}`;
}
