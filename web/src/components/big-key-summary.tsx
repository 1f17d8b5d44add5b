/**
 * What a big key task found beyond its keys: the totals of every type scanned (streams and
 * module types included, big or not), and the nodes it read, with whether the scan could leave
 * their LRU/LFU counters alone (CLIENT NO-TOUCH, Redis 7.2+) and why a primary was read
 * although it has replicas.
 */
import { bytes, size } from '../format';
import type { BigKeyNode, BigTask, BigTypeTotal } from '../wire';
import { KeyName, keyTitle } from './key-name.js';
import { NodesTable, type NodeColumn } from './nodes-table';

/** A total in its unit: bytes for strings and module types, elements for collections. */
const total = (t: BigTypeTotal): string => (t.unit === 'byte' ? bytes(t.total_size) : `${t.total_size.toLocaleString()} items`);

export function TypeTotals(props: { readonly task: BigTask }) {
  const types = props.task.types ?? [];
  if (types.length === 0) return null;
  const memory = types.some((t) => t.memory_bytes !== undefined);
  const cluster = types.some((t) => t.largest?.shard !== undefined);
  return (
    <section aria-labelledby="types-title">
      <h2 id="types-title">Totals per type</h2>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">Totals per type: keys, total size, big keys and the largest key of every type scanned</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Keys</th>
              <th scope="col">Total size</th>
              {memory ? <th scope="col">Memory</th> : null}
              <th scope="col">Big keys</th>
              <th scope="col">Largest key</th>
              <th scope="col">Largest size</th>
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t.type}>
                <th scope="row">{t.type}</th>
                <td class="num">{t.keys.toLocaleString()}</td>
                <td class="num" title={`${t.total_size.toLocaleString()} ${t.unit === 'byte' ? 'bytes' : 'elements'}`}>
                  {total(t)}
                </td>
                {memory ? <td class="num">{t.memory_bytes === undefined ? '' : bytes(t.memory_bytes)}</td> : null}
                <td class="num">{t.big_keys.toLocaleString()}</td>
                <td class="mono key-name" title={t.largest === null ? undefined : keyTitle(t.largest)}>
                  {t.largest === null ? '—' : <><KeyName named={t.largest} />{` (db ${t.largest.db}${cluster && t.largest.shard !== undefined ? `, ${t.largest.shard}` : ''})`}</>}
                </td>
                <td class="num">{t.largest === null ? '' : size({ size: t.largest.size, unit: t.unit })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function NodesScanned(props: { readonly task: BigTask }) {
  return (
    <NodesTable
      id="nodes-title"
      title="Nodes scanned"
      caption="Nodes scanned: role, keys read, whether LRU/LFU counters were left alone, and why a primary was read"
      nodes={props.task.analysis?.nodes ?? []}
      columns={BIG_KEY_NODE_COLUMNS}
    />
  );
}

const BIG_KEY_NODE_COLUMNS: readonly NodeColumn<BigKeyNode>[] = [
  { header: 'Role', cell: (n) => n.role },
  { header: 'Keys scanned', class: 'num', cell: (n) => `${n.scanned_keys.toLocaleString()} / ${n.expected_keys.toLocaleString()}` },
  { header: 'Counters untouched', cell: (n) => (n.no_touch ? 'yes (CLIENT NO-TOUCH)' : 'no: CLIENT NO-TOUCH needs Redis 7.2; reading each size counted as an access (LRU/LFU)') },
  { header: 'Replica skipped', cell: (n) => n.replica_skipped ?? (n.role === 'replica' ? 'no: a replica was scanned' : '—') },
];

/** The thresholds the task used, in words. */
export function thresholdsText(task: BigTask): string {
  const t = task.thresholds;
  if (t === undefined) return '';
  return `A string is big above ${t.string_bytes.toLocaleString()} bytes, a collection above ${t.collection_count.toLocaleString()} elements; up to ${t.per_type.toLocaleString()} keys per type are listed.`;
}
