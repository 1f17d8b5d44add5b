/**
 * An offline analysis's report of one node's RDB: the bytes and keys per type as charts (with
 * the same numbers in words), the largest keys (names isolated as bidi text, escaped names with
 * their exact bytes, truncated names marked) and the prefixes taking the most bytes, per type.
 * `bytes` is what a key takes in the RDB (its serialised value and name), not its memory.
 */
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { bytes, percent } from '../format';
import type { LargestKey, OfflineTask } from '../wire';
import { Chart, PALETTE } from './chart';
import { Select } from './hot-key-table';
import { KeyName, keyTitle } from './key-name';

interface TypeChart {
  readonly title: string;
  readonly text: string;
  readonly config: ChartConfiguration;
}

function typeChart(title: string, unit: string, parts: readonly { type: string; value: number }[], shown: (n: number) => string): TypeChart | null {
  const sum = parts.reduce((s, p) => s + p.value, 0);
  if (parts.length === 0 || sum === 0) return null;
  const sorted = [...parts].sort((a, b) => b.value - a.value);
  return {
    title,
    text: sorted.map((p) => `${p.type} ${percent(p.value / sum)} (${shown(p.value)})`).join(', '),
    config: {
      type: 'doughnut',
      data: {
        labels: sorted.map((p) => p.type),
        datasets: [{ label: unit, data: sorted.map((p) => p.value), backgroundColor: sorted.map((_, i) => PALETTE[i % PALETTE.length]) }],
      },
      options: { plugins: { legend: { position: 'right' }, tooltip: { callbacks: { label: (item) => `${item.label}: ${shown(Number(item.raw))}` } } } },
    },
  };
}

export function OfflineCharts(props: { readonly task: OfflineTask }) {
  const { task } = props;
  const [open, setOpen] = useState(true);
  const charts = useMemo(
    () =>
      [
        typeChart('Bytes per type', 'bytes', (task.type_bytes ?? []).map((t) => ({ type: t.type, value: t.bytes })), bytes),
        typeChart('Keys per type', 'keys', (task.type_num ?? []).map((t) => ({ type: t.type, value: t.num })), (n) => `${n.toLocaleString()} ${n === 1 ? 'key' : 'keys'}`),
      ].filter((c): c is TypeChart => c !== null),
    [task],
  );
  if (charts.length === 0) return null;
  return (
    <section aria-labelledby="offline-charts-title">
      <div class="heading">
        <h2 id="offline-charts-title">Types</h2>
        <button type="button" aria-expanded={open} aria-controls="offline-charts" onClick={() => setOpen(!open)}>
          {open ? 'Hide charts' : 'Show charts'}
        </button>
      </div>
      {open ? (
        <div id="offline-charts" class="charts">
          {charts.map((c) => (
            <figure key={c.title}>
              <figcaption>{c.title}</figcaption>
              <Chart label={c.title} config={c.config} height={220} />
              <p class="sub">{c.text}</p>
            </figure>
          ))}
        </div>
      ) : null}
    </section>
  );
}

/** A largest key as key-name.tsx names it. */
const named = (k: LargestKey) => ({ name: k.key, name_base64: k.key_base64, truncated: k.truncated, name_sha1: k.name_sha1 });

export function LargestKeysTable(props: { readonly task: OfflineTask }) {
  const keys = props.task.largest_keys ?? [];
  const dbs = keys.some((k) => k.db !== undefined);
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const shown = useMemo(() => {
    const needle = name.toLowerCase();
    return keys.filter((k) => (needle === '' || k.key.toLowerCase().includes(needle)) && (type === '' || k.type === type));
  }, [keys, name, type]);

  if (keys.length === 0) {
    return (
      <section aria-labelledby="largest-keys-title">
        <h2 id="largest-keys-title">Largest keys</h2>
        <p class="notice">The RDB holds no key.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="largest-keys-title">
      <h2 id="largest-keys-title">Largest keys</h2>
      <div class="filters" role="group" aria-label="Filter the largest keys">
        <label>
          Filter by name
          <input type="search" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <Select label="Type" value={type} onChange={setType} options={[...new Set(keys.map((k) => k.type))]} />
      </div>
      <p class="sub" aria-live="polite">
        {shown.length === keys.length ? `${keys.length} keys` : `${shown.length} of ${keys.length} keys`}, per type and largest first
      </p>
      <div class="table-scroll">
        <table class="keys">
          <caption class="visually-hidden">Largest keys in the RDB, per type and largest first</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Type</th>
              <th scope="col">Bytes in the RDB</th>
              <th scope="col">Elements</th>
              {dbs ? <th scope="col">DB</th> : null}
            </tr>
          </thead>
          <tbody>
            {shown.map((k, i) => (
              <tr key={`${k.db ?? 0}\u0000${k.name_sha1 ?? k.key_base64 ?? k.key}\u0000${i}`}>
                <th scope="row" class="mono key-name" title={keyTitle(named(k))}>
                  <KeyName named={named(k)} />
                </th>
                <td>{k.type}</td>
                <td class="num" title={`${k.bytes.toLocaleString()} bytes`}>
                  {bytes(k.bytes)}
                </td>
                <td class="num">{k.num_of_elem.toLocaleString()}</td>
                {dbs ? <td class="num">{k.db ?? ''}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function LargestPrefixesTable(props: { readonly task: OfflineTask }) {
  const prefixes = props.task.largest_key_prefixes ?? [];
  if (prefixes.length === 0) return null;
  const inexact = prefixes.some((p) => p.error_bytes !== undefined);
  return (
    <section aria-labelledby="largest-prefixes-title">
      <h2 id="largest-prefixes-title">Largest prefixes</h2>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">Key prefixes taking the most bytes in the RDB, per type</caption>
          <thead>
            <tr>
              <th scope="col">Prefix</th>
              <th scope="col">Type</th>
              <th scope="col">Bytes in the RDB</th>
              <th scope="col">Keys</th>
              {inexact ? <th scope="col">Overestimated by</th> : null}
            </tr>
          </thead>
          <tbody>
            {prefixes.map((p, i) => {
              const prefix = { name: p.key_prefix, name_base64: p.key_prefix_base64 };
              return (
                <tr key={`${p.type}\u0000${p.key_prefix_base64 ?? p.key_prefix}\u0000${i}`}>
                  <th scope="row" class="mono key-name" title={keyTitle(prefix)}>
                    {p.key_prefix === '' ? <span class="sub">(no prefix)</span> : <KeyName named={prefix} />}
                  </th>
                  <td>{p.type}</td>
                  <td class="num" title={`${p.bytes.toLocaleString()} bytes`}>
                    {bytes(p.bytes)}
                  </td>
                  <td class="num">{p.num.toLocaleString()}</td>
                  {inexact ? <td class="num">{p.error_bytes === undefined ? '' : `up to ${bytes(p.error_bytes)}`}</td> : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
