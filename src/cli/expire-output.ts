/**
 * Human output of an expired key scan: the keys reclaimed per primary, then the TTLs of the keys
 * the scan found, in total, per database and for the namespaces with the most keys. It reads the
 * API's shape (wire/expire-mappers.ts expireResultToWire, a task's fields), so `keyheat scan
 * --expired` and `keyheat tasks show --expired` print the same thing.
 */
import type { Static } from '@sinclair/typebox';
import { escapeControls, escapeKeyName } from '../domain/display-text.js';
import type { ExpireTaskBody } from '../wire/expire-schemas.js';
import { plural } from './scan-output.js';
import { textTable } from './text-table.js';

type ExpireTaskWire = Static<typeof ExpireTaskBody>;
type TtlWire = NonNullable<ExpireTaskWire['ttl']>;
type CountsWire = TtlWire['totals'];

/** What the report needs: a finished scan's num, analysis and ttl (with its mode). */
export interface ExpireView {
  readonly mode: string;
  readonly num: number;
  readonly analysis?: ExpireTaskWire['analysis'];
  readonly ttl?: ExpireTaskWire['ttl'];
  readonly advice?: ExpireTaskWire['advice'];
}

/** The histogram's columns, in the wire's order of buckets. */
const BUCKETS: readonly (readonly [keyof CountsWire['histogram'], string])[] = [
  ['none', 'no expiry'],
  ['under_1m', '< 1 min'],
  ['under_1h', '< 1 h'],
  ['under_1d', '< 1 day'],
  ['under_7d', '< 7 days'],
  ['longer', '>= 7 days'],
];

const count = (n: number): string => n.toLocaleString('en-US');

/** The report of a finished scan; null for a scan without one (not finished). */
export function formatExpireReport(view: ExpireView, target: string): string | null {
  const { analysis, ttl } = view;
  if (analysis === undefined || ttl === undefined) return null;
  const nodes = analysis.nodes;
  const cluster = view.mode === 'cluster';
  const lines: string[] = [];
  lines.push(
    `${target}: ${plural(view.num, 'expired key')} reclaimed; ${plural(analysis.scanned_keys, 'key')} scanned ` +
      `(${escapeControls(view.mode)}, ${plural(nodes.length, 'node')}) in ${(analysis.duration_ms / 1000).toFixed(2)} s, SCAN COUNT ${analysis.scan_keys_count}` +
      (analysis.vanished_keys > 0 ? `; ${plural(analysis.vanished_keys, 'key')} gone before PTTL read ${analysis.vanished_keys === 1 ? 'it' : 'them'}` : ''),
  );
  for (const n of nodes) {
    const shard = cluster && n.shard !== undefined && n.shard !== n.node ? ` (shard ${escapeControls(n.shard)})` : '';
    const share = n.cpu_share === null ? 'cost unmeasured' : `${(n.cpu_share * 100).toFixed(1)}% of its main thread`;
    const block = n.longest_block_us === null ? '' : `, longest block ${n.longest_block_us} us`;
    lines.push(
      `  ${escapeControls(n.node)}${shard}: ${count(n.reclaimed)} reclaimed (expired_keys ${count(n.expired_before)} -> ${count(n.expired_after)}), ` +
        `${plural(n.scanned_keys, 'key')} scanned, ${share}${block}${n.traffic_seen ? ', while serving other clients' : ', idle'}`,
    );
  }
  lines.push("Reclaimed: what INFO stats expired_keys rose by during the scan, the servers' own active expiry included.");
  const totals = ttl.totals;
  if (totals.keys === 0) {
    lines.push('No key was left to read a TTL of.');
  } else {
    lines.push(`TTLs of the ${plural(totals.keys, 'key')} found (${count(totals.with_expiry)} with an expiry, ${count(totals.without_expiry)} without), as PTTL read them:`);
    lines.push(...ttlTable('db', [[totals, 'all'], ...ttl.databases.map((d): [CountsWire, string] => [d, `db${d.db}`])]));
    if (ttl.namespaces.length > 0) {
      lines.push('Namespaces with the most keys:');
      lines.push(...ttlTable('namespace', ttl.namespaces.map((n): [CountsWire & { error?: number }, string] => [n, n.prefix === '' ? '(no namespace)' : escapeKeyName(n.prefix, n.prefix_base64 !== undefined)])));
      if (ttl.namespaces.some((n) => n.error > 0)) lines.push('  +N: up to N more keys of the namespace may not have been counted (more namespaces than counters)');
    }
  }
  for (const a of view.advice ?? []) lines.push(`Advice (${escapeControls(a.code)}): ${escapeControls(a.message)}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** Rows of TTL counts, numbers first, the row's name last (a name never pads the line). */
function ttlTable(label: string, rows: readonly (readonly [CountsWire & { error?: number }, string])[]): string[] {
  const header = ['keys', ...BUCKETS.map(([, title]) => title), label];
  const cells = rows.map(([counts, name]) => [
    `${count(counts.keys)}${counts.error !== undefined && counts.error > 0 ? ` +${count(counts.error)}` : ''}`,
    ...BUCKETS.map(([bucket]) => count(counts.histogram[bucket])),
    name,
  ]);
  return textTable(header, cells, header.length - 1).map((line) => `  ${line}`);
}
