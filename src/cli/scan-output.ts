/** Human output of `keyheat scan`: the progress line and the result table. */
import { escapeControls } from '../domain/display-text.js';
import type { NodeReport } from '../domain/hot-key.js';
import type { NodeProgress } from '../domain/task.js';
import type { AnalysisResult } from '../engine/analyze-deployment.js';

const BAR_WIDTH = 24;

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

export function formatTable(result: AnalysisResult, target: string): string {
  const cluster = result.mode === 'cluster';
  const header = ['#', 'freq', 'type', 'size', 'db', ...(cluster ? ['shard'] : []), 'key'];
  const rows = result.keys.map((key, i) => [
    String(i + 1),
    String(key.freq),
    key.type,
    `${key.size} ${key.unit === 'byte' ? 'B' : 'items'}`,
    String(key.db),
    ...(cluster ? [key.shard ?? ''] : []),
    // Control and bidi characters of a (valid UTF-8) name would move the cursor or reorder the line.
    escapeControls(key.name),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell : c <= 1 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ');
  const summary =
    `${target}: ${result.keys.length} hot key${result.keys.length === 1 ? '' : 's'} among ${result.stats.scannedKeys.toLocaleString('en-US')} keys ` +
    `(${result.mode}, ${result.stats.nodes.length} node${result.stats.nodes.length === 1 ? '' : 's'}) in ${(result.stats.durationMs / 1000).toFixed(2)} s` +
    (result.stats.vanishedKeys > 0 ? `; ${result.stats.vanishedKeys} keys vanished during the scan` : '');
  const cost = formatPacing(result.stats.nodes);
  if (result.keys.length === 0) return `${summary}\n${cost}No key has an LFU counter above 5: nothing was accessed enough to be hot.\n`;
  return `${[line(header), ...rows.map(line)].join('\n')}\n${summary}\n${cost}`;
}

/** One line per node: what its scan cost it (share of its main thread, longest page), and whether others were served. */
export function formatPacing(nodes: readonly NodeReport[]): string {
  return nodes
    .map((n) => {
      const share = n.cpuShare === null ? 'unmeasured (INFO commandstats refused)' : `${(n.cpuShare * 100).toFixed(1)}% of its main thread`;
      const block = n.longestBlockUs === null ? '' : `, longest page ${n.longestBlockUs} us`;
      return `  ${n.node}: ${share}${block}${n.trafficSeen ? ', while serving other clients' : ', idle'}\n`;
    })
    .join('');
}
