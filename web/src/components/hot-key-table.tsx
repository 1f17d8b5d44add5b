/**
 * A task's hot keys as a real table: sortable by counter, estimated rate, size, db and shard
 * (and sampled rate, after a sampling phase), filterable by name, type, db and shard. Marks:
 * saturated (counter 255), new (not in the previous task), rising (counter up since then) and
 * also big (in the instance's latest successful big key task: big and hot, the worst kind).
 * Names not valid UTF-8 arrive escaped (\xff) from the API and are shown as such.
 */
import { useMemo, useState } from 'preact/hooks';
import { percent, perSecond, rate, size } from '../format';
import type { HotKey, Task } from '../wire';
import { KeyName, keyIdentity, keyTitle } from './key-name.js';

type SortKey = 'freq' | 'est' | 'size' | 'db' | 'shard' | 'sampled';
interface Sort {
  readonly by: SortKey;
  readonly descending: boolean;
}

const value = (key: HotKey, by: SortKey): number | string => {
  switch (by) {
    case 'freq':
      return key.freq;
    case 'est':
      return key.est_qps ?? key.est_accesses ?? -1;
    case 'size':
      return key.size;
    case 'db':
      return key.db;
    case 'shard':
      return key.shard ?? '';
    case 'sampled':
      return key.sampled_qps ?? -1;
  }
};

/** The fields of a task the table reads: an offline analysis passes its hot keys alone. */
type KeysOf = Pick<Task, 'keys' | 'trend' | 'sampled' | 'analysis'>;

export function HotKeyTable(props: { readonly task: KeysOf }) {
  const keys = props.task.keys ?? [];
  const cluster = keys.some((k) => k.shard !== undefined);
  const compared = props.task.trend !== null && props.task.trend !== undefined;
  // The column only where the sampling phase saw at least one of these keys.
  const sampled = keys.some((k) => k.sampled_qps !== undefined);
  const [sort, setSort] = useState<Sort>({ by: 'freq', descending: true });
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const [db, setDb] = useState('');
  const [shard, setShard] = useState('');

  const shown = useMemo(() => {
    const needle = name.toLowerCase();
    const filtered = keys.filter(
      (k) => (needle === '' || k.name.toLowerCase().includes(needle)) && (type === '' || k.type === type) && (db === '' || String(k.db) === db) && (shard === '' || k.shard === shard),
    );
    // Stable: ties keep the API's order (freq, then db, node, name).
    return filtered
      .map((k, i) => ({ k, i }))
      .sort((a, b) => {
        const [x, y] = [value(a.k, sort.by), value(b.k, sort.by)];
        const order = x < y ? -1 : x > y ? 1 : 0;
        return (sort.descending ? -order : order) || a.i - b.i;
      })
      .map(({ k }) => k);
  }, [keys, sort, name, type, db, shard]);

  const options = (pick: (k: HotKey) => string | undefined): string[] => [...new Set(keys.map(pick).filter((v): v is string => v !== undefined))].sort();
  const header = (label: string, by: SortKey) => {
    const active = sort.by === by;
    return (
      <th scope="col" aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
        <button type="button" class="sort" onClick={() => setSort({ by, descending: active ? !sort.descending : by !== 'db' && by !== 'shard' })}>
          {label}
          <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };

  if (keys.length === 0) {
    return (
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Hot keys</h2>
        <EmptyKeys task={props.task} />
      </section>
    );
  }

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">Hot keys</h2>
      <div class="filters" role="group" aria-label="Filter the hot keys">
        <label>
          Filter by name
          <input type="search" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <Select label="Type" value={type} onChange={setType} options={options((k) => k.type)} />
        <Select label="DB" value={db} onChange={setDb} options={options((k) => String(k.db))} />
        {cluster ? <Select label="Shard" value={shard} onChange={setShard} options={options((k) => k.shard)} /> : null}
      </div>
      <p class="sub" aria-live="polite">
        {shown.length === keys.length ? `${keys.length} keys` : `${shown.length} of ${keys.length} keys`}
      </p>
      <div class="table-scroll">
        <table class="keys">
          <caption class="visually-hidden">Hot keys, sortable by the column buttons</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Type</th>
              {header('Size', 'size')}
              {header('DB', 'db')}
              {cluster ? header('Shard', 'shard') : null}
              {header('Counter', 'freq')}
              {header('Est. rate', 'est')}
              {sampled ? header('Sampled qps', 'sampled') : null}
              <th scope="col">Previous</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={keyIdentity(k)}>
                <th scope="row" class="mono key-name" title={keyTitle(k)}>
                  <KeyName named={k} />
                  <Marks hotKey={k} compared={compared} />
                </th>
                <td>{k.type}</td>
                <td class="num">{size(k)}</td>
                <td class="num">{k.db}</td>
                {cluster ? <td class="mono">{k.shard}</td> : null}
                <td class="num">{k.freq}</td>
                <td class="num">{rate(k)}</td>
                {sampled ? (
                  <td class="num" title={k.sampled_share === undefined ? 'Not seen during the sampling phase' : `${percent(k.sampled_share)} of the commands sampled`}>
                    {k.sampled_qps === undefined ? '–' : perSecond(k.sampled_qps)}
                  </td>
                ) : null}
                <td class="num">{k.previous_freq ?? (compared ? '—' : '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Why there is no LFU list. Without LFU counters (a maxmemory-policy that is not LFU) only a
 * sampling phase can rank keys, so the page points there rather than showing an empty table.
 */
function EmptyKeys(props: { readonly task: KeysOf }) {
  const { task } = props;
  if (task.sampled === undefined) return <p class="notice">This analysis found no keys to report.</p>;
  if (task.analysis?.lfu === undefined) {
    return (
      <p class="notice">
        This instance keeps no LFU counters (its maxmemory-policy is not an LFU one), so there is no LFU ranking. Its keys are ranked by their measured
        rates: see “Measured rates (sampling)” above.
      </p>
    );
  }
  return <p class="notice">The LFU scan found no keys to report; the measured rates (sampling) above rank the keys seen during the window.</p>;
}

function Marks(props: { readonly hotKey: HotKey; readonly compared: boolean }) {
  const k = props.hotKey;
  const rising = k.previous_freq !== null && k.previous_freq !== undefined && k.freq > k.previous_freq;
  const fresh = props.compared && k.previous_freq === null;
  return (
    <>
      {k.saturated === true ? <span class="mark saturated" title="Counter at 255: the rate is at least the ceiling">saturated</span> : null}
      {fresh ? <span class="mark new" title="Not in the previous analysis">new</span> : null}
      {rising ? <span class="mark rising" title={`Counter up from ${k.previous_freq}`}>rising</span> : null}
      {k.also_big === true ? <span class="mark also-big" title="Also a big key in the latest big key analysis">also big</span> : null}
    </>
  );
}

export function Select(props: { readonly label: string; readonly value: string; readonly onChange: (v: string) => void; readonly options: readonly string[] }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">all</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
