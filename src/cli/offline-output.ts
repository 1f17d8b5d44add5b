/**
 * Human output of an offline key analysis (DCS's report of one node's RDB): the largest keys and
 * prefixes of each type, the totals by type, the RDB read, and the hot keys of the same pass
 * where the RDB has LFU counters. It reads the API's shape (wire/offline-mappers.ts
 * offlineResultToWire, a task's fields), so `keyheat scan --offline` and `keyheat tasks show
 * --offline` print the same thing.
 */
import type { Static } from '@sinclair/typebox';
import { escapeControls, escapeKeyName } from '../domain/display-text.js';
import { LFU_DEFAULTS } from '../domain/lfu.js';
import type { OfflineTask } from '../wire/offline-schemas.js';
import { hotKeyFromWire, snapshotFromWire } from '../wire/wire-readers.js';
import { formatSnapshot, hotKeyTable, plural, shownName, sizeText } from './scan-output.js';
import { textTable } from './text-table.js';

type OfflineTaskWire = Static<typeof OfflineTask>;

/** What the report needs: a finished analysis's report fields. */
export type OfflineView = Pick<
  OfflineTaskWire,
  'largest_key_prefixes' | 'largest_keys' | 'total_bytes' | 'total_num' | 'type_bytes' | 'type_num' | 'hot_keys' | 'hot_keys_skipped' | 'snapshot' | 'advice'
>;

const bytes = (n: number): string => sizeText(n, 'byte');

/**
 * The report of a finished analysis; null for one without a report (not finished). `source`
 * names what was read (a node, a file); `durationMs` where it is known.
 */
export function formatOfflineReport(view: OfflineView, source: string, durationMs?: number): string | null {
  if (view.total_num === undefined || view.total_bytes === undefined) return null;
  const out: string[] = [];
  const keys = view.largest_keys ?? [];
  if (keys.length > 0) {
    out.push('Largest keys of each type (bytes in the RDB):');
    let rank = 0;
    const rows = keys.map((key, i) => {
      rank = i > 0 && keys[i - 1]?.type === key.type ? rank + 1 : 1;
      const name = { name: key.key, ...(key.key_base64 === undefined ? {} : { nameBase64: key.key_base64 }), ...(key.truncated === true ? { truncated: true } : {}) };
      return [String(rank), bytes(key.bytes), key.num_of_elem.toLocaleString('en-US'), escapeControls(key.type), key.db === undefined ? '' : String(key.db), shownName(name)];
    });
    out.push(...textTable(['#', 'bytes', 'elements', 'type', 'db', 'key'], rows, 3));
  }
  const prefixes = view.largest_key_prefixes ?? [];
  if (prefixes.length > 0) {
    out.push('Largest prefixes of each type:');
    let rank = 0;
    const rows = prefixes.map((p, i) => {
      rank = i > 0 && prefixes[i - 1]?.type === p.type ? rank + 1 : 1;
      const name = p.key_prefix === '' ? '(no prefix)' : escapeKeyName(p.key_prefix, p.key_prefix_base64 !== undefined);
      return [String(rank), `${p.error_bytes === undefined ? '' : '~'}${bytes(p.bytes)}`, p.num.toLocaleString('en-US'), escapeControls(p.type), name];
    });
    out.push(...textTable(['#', 'bytes', 'keys', 'type', 'prefix'], rows, 3));
    if (prefixes.some((p) => p.error_bytes !== undefined)) out.push('  ~: more prefixes than counters; these sums may be high (error_bytes in --json says by how much)');
  }
  const took = durationMs === undefined ? '' : ` in ${(durationMs / 1000).toFixed(2)} s`;
  out.push(`${source}: ${plural(view.total_num, 'key')}, ${bytes(view.total_bytes)} in the RDB${took}`);
  const counts = new Map((view.type_num ?? []).map((t) => [t.type, t.num]));
  if ((view.type_bytes ?? []).length > 0) {
    out.push('By type:');
    for (const t of view.type_bytes ?? []) {
      const share = view.total_bytes > 0 ? ` (${((t.bytes / view.total_bytes) * 100).toFixed(1)}%)` : '';
      out.push(`  ${escapeControls(t.type)}: ${plural(counts.get(t.type) ?? 0, 'key')}, ${bytes(t.bytes)}${share}`);
    }
  }
  out.push('bytes: what a key takes in the RDB (its name and serialised value), not its memory.');
  if (view.snapshot !== undefined) out.push(formatSnapshot(snapshotFromWire(view.snapshot)).trimEnd());
  if (view.hot_keys !== undefined) {
    if (view.hot_keys.length === 0) {
      out.push("Hot keys: none (no key's LFU counter in the RDB is above a new key's)");
    } else {
      out.push('Hot keys (the LFU counters in the RDB):');
      out.push(hotKeyTable(view.hot_keys.map(hotKeyFromWire), false));
      // A file does not say which LFU settings its server had.
      if (view.snapshot?.source === 'file') out.push(`  estimates assume Redis's defaults, lfu-log-factor ${LFU_DEFAULTS.logFactor} and lfu-decay-time ${LFU_DEFAULTS.decayTime}: a file does not say its server's`);
    }
  } else if (view.hot_keys_skipped !== undefined) {
    out.push(`Hot keys: none reported: ${escapeControls(view.hot_keys_skipped)}`);
  }
  for (const a of view.advice ?? []) out.push(`Advice (${escapeControls(a.code)}): ${escapeControls(a.message)}`);
  return out.map((l) => `${l}\n`).join('');
}
