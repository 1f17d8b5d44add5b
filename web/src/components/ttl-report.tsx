/**
 * What an expired key scan saw of the keys' times to live: the histogram of all keys as a chart
 * (with the same numbers in words), then per database and for the namespaces with the most keys
 * as tables, and the primaries it scanned with what the scan cost them.
 */
import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'preact/hooks';
import { percent } from '../format';
import type { ExpireNode, ExpireTask, ExpireTtl, TtlCounts, TtlHistogram } from '../wire';
import { Chart, PALETTE } from './chart';
import { KeyName, keyTitle } from './key-name';
import { NodesTable, type NodeColumn } from './nodes-table';

/** The histogram's buckets in order: remaining time to live when the scan read the key (upper bounds exclusive). */
const BUCKETS: readonly { readonly key: keyof TtlHistogram; readonly label: string }[] = [
  { key: 'under_1m', label: 'under 1 min' },
  { key: 'under_1h', label: '1 min – 1 h' },
  { key: 'under_1d', label: '1 h – 1 day' },
  { key: 'under_7d', label: '1 – 7 days' },
  { key: 'longer', label: '7 days or more' },
  { key: 'none', label: 'no expiry' },
];

/** The buckets of keys with an expiry: the tables show "no expiry" in a column of its own. */
const EXPIRING = BUCKETS.filter((b) => b.key !== 'none');

export function TtlChart(props: { readonly ttl: ExpireTtl }) {
  const histogram = props.ttl.totals.histogram;
  const config = useMemo((): ChartConfiguration => {
    return {
      type: 'bar',
      data: {
        labels: BUCKETS.map((b) => b.label),
        datasets: [{ label: 'keys', data: BUCKETS.map((b) => histogram[b.key]), backgroundColor: BUCKETS.map((_, i) => PALETTE[i % PALETTE.length]) }],
      },
      options: {
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => `${Number(item.raw).toLocaleString()} keys` } } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    };
  }, [histogram]);
  const title = 'Keys by time to live';
  return (
    <section aria-labelledby="ttl-chart-title">
      <h2 id="ttl-chart-title">Time to live</h2>
      <div class="charts">
        <figure>
          <figcaption>{title}</figcaption>
          <Chart label={title} config={config} height={240} />
          <p class="sub">
            {BUCKETS.map((b) => `${b.label}: ${histogram[b.key].toLocaleString()}`).join(', ')}
          </p>
        </figure>
      </div>
    </section>
  );
}

function CountCells(props: { readonly counts: TtlCounts }) {
  const c = props.counts;
  return (
    <>
      <td class="num">{c.keys.toLocaleString()}</td>
      <td class="num">{c.with_expiry.toLocaleString()}</td>
      <td class="num">{c.without_expiry.toLocaleString()}</td>
      {EXPIRING.map((b) => (
        <td key={b.key} class="num">
          {c.histogram[b.key].toLocaleString()}
        </td>
      ))}
    </>
  );
}

function CountHeaders() {
  return (
    <>
      <th scope="col">Keys</th>
      <th scope="col">With expiry</th>
      <th scope="col">No expiry</th>
      {EXPIRING.map((b) => (
        <th key={b.key} scope="col">
          {b.label}
        </th>
      ))}
    </>
  );
}

export function TtlDatabases(props: { readonly ttl: ExpireTtl }) {
  const { databases, totals } = props.ttl;
  if (databases.length === 0) return null;
  return (
    <section aria-labelledby="ttl-dbs-title">
      <h2 id="ttl-dbs-title">Per database</h2>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">Time to live per database: keys, with and without an expiry, and the keys with one by time left</caption>
          <thead>
            <tr>
              <th scope="col">DB</th>
              <CountHeaders />
            </tr>
          </thead>
          <tbody>
            {databases.map((d) => (
              <tr key={d.db}>
                <th scope="row">{d.db}</th>
                <CountCells counts={d} />
              </tr>
            ))}
          </tbody>
          {databases.length > 1 ? (
            <tfoot>
              <tr>
                <th scope="row">All</th>
                <CountCells counts={totals} />
              </tr>
            </tfoot>
          ) : null}
        </table>
      </div>
    </section>
  );
}

export function TtlNamespaces(props: { readonly ttl: ExpireTtl }) {
  const namespaces = props.ttl.namespaces;
  if (namespaces.length === 0) return null;
  const inexact = namespaces.some((n) => n.error > 0);
  return (
    <section aria-labelledby="ttl-ns-title">
      <h2 id="ttl-ns-title">Top namespaces</h2>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">Namespaces with the most keys: keys, with and without an expiry, and the keys with one by time left</caption>
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <CountHeaders />
              {inexact ? <th scope="col">Uncounted</th> : null}
            </tr>
          </thead>
          <tbody>
            {namespaces.map((n) => (
              <tr key={n.prefix_base64 ?? n.prefix}>
                <th scope="row" class="mono key-name" title={keyTitle({ name: n.prefix, name_base64: n.prefix_base64 })}>
                  {n.prefix === '' ? <span class="sub">(no namespace)</span> : <KeyName named={{ name: n.prefix, name_base64: n.prefix_base64 }} />}
                </th>
                <CountCells counts={n} />
                {inexact ? <td class="num" title="Keys of this namespace possibly not counted: more namespaces than counters">{n.error > 0 ? `up to ${n.error.toLocaleString()}` : ''}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function PrimariesScanned(props: { readonly task: ExpireTask }) {
  return (
    <NodesTable
      id="expire-nodes-title"
      title="Primaries scanned"
      caption="Primaries scanned: keys read, expired keys reclaimed, and what the scan cost each"
      nodes={props.task.analysis?.nodes ?? []}
      columns={EXPIRE_NODE_COLUMNS}
    />
  );
}

const EXPIRE_NODE_COLUMNS: readonly NodeColumn<ExpireNode>[] = [
  { header: 'Keys scanned', class: 'num', cell: (n) => n.scanned_keys.toLocaleString() },
  {
    header: 'Reclaimed',
    class: 'num',
    cell: (n) => n.reclaimed.toLocaleString(),
    title: (n) => `INFO stats expired_keys from ${n.expired_before.toLocaleString()} to ${n.expired_after.toLocaleString()}`,
  },
  { header: 'CPU share', class: 'num', cell: (n) => (n.cpu_share === null ? '–' : percent(n.cpu_share)) },
  { header: 'Longest block', class: 'num', cell: (n) => (n.longest_block_us === null ? '–' : `${n.longest_block_us.toLocaleString()} µs`) },
  { header: 'Other clients', cell: (n) => (n.traffic_seen ? 'served during the scan' : 'none seen') },
];
