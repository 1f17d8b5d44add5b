/**
 * A big key task's keys as a real table. By default in the API's order, per type (strings,
 * lists, sets, sorted sets, hashes, streams, then module types), biggest first within a type;
 * sortable by size, memory, TTL, db and shard, filterable by name, type, db and shard. A key
 * that is also in the latest successful hot key task says so in words ("also hot"): a key both
 * big and hot is the worst kind. Names not valid UTF-8 arrive escaped (\xff) and are shown so.
 */
import { useMemo, useState } from 'preact/hooks';
import { bytes, size, ttl } from '../format';
import type { BigKey, BigTask } from '../wire';
import { Select } from './hot-key-table';
import { KeyName, keyIdentity, keyTitle } from './key-name.js';

type SortKey = 'type' | 'size' | 'memory' | 'ttl' | 'db' | 'shard';
interface Sort {
  readonly by: SortKey;
  readonly descending: boolean;
}

interface Row {
  readonly key: BigKey;
  /** Position in the API's order: the type grouping. */
  readonly index: number;
}

const value = (row: Row, by: SortKey): number | string => {
  const k = row.key;
  switch (by) {
    case 'type':
      return row.index;
    case 'size':
      return k.size;
    case 'memory':
      return k.memory_bytes ?? -1;
    case 'ttl':
      // No expiry lives longest; an unknown TTL sorts below every known one.
      return k.ttl === undefined ? -2 : k.ttl < 0 ? Number.POSITIVE_INFINITY : k.ttl;
    case 'db':
      return k.db;
    case 'shard':
      return k.shard ?? '';
  }
};

/** Ascending first for the columns read in order (type grouping, db, shard); biggest first for amounts. */
const DESCENDING_FIRST: ReadonlySet<SortKey> = new Set(['size', 'memory', 'ttl']);

export function BigKeyTable(props: { readonly task: BigTask }) {
  const keys = props.task.keys ?? [];
  const cluster = keys.some((k) => k.shard !== undefined);
  const memory = keys.some((k) => k.memory_bytes !== undefined);
  const ttls = keys.some((k) => k.ttl !== undefined);
  const [sort, setSort] = useState<Sort>({ by: 'type', descending: false });
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const [db, setDb] = useState('');
  const [shard, setShard] = useState('');

  const shown = useMemo(() => {
    const needle = name.toLowerCase();
    return keys
      .map((key, index) => ({ key, index }))
      .filter(
        ({ key: k }) =>
          (needle === '' || k.name.toLowerCase().includes(needle)) && (type === '' || k.type === type) && (db === '' || String(k.db) === db) && (shard === '' || k.shard === shard),
      )
      .sort((a, b) => {
        const [x, y] = [value(a, sort.by), value(b, sort.by)];
        const order = x < y ? -1 : x > y ? 1 : 0;
        // Stable: ties keep the API's order.
        return (sort.descending ? -order : order) || a.index - b.index;
      })
      .map(({ key }) => key);
  }, [keys, sort, name, type, db, shard]);

  const options = (pick: (k: BigKey) => string | undefined): string[] => [...new Set(keys.map(pick).filter((v): v is string => v !== undefined))].sort();
  const header = (label: string, by: SortKey) => {
    const active = sort.by === by;
    return (
      <th scope="col" aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
        <button type="button" class="sort" onClick={() => setSort({ by, descending: active ? !sort.descending : DESCENDING_FIRST.has(by) })}>
          {label}
          <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };

  if (keys.length === 0) {
    return (
      <section aria-labelledby="bigkeys-title">
        <h2 id="bigkeys-title">Big keys</h2>
        <p class="notice">No key is over the thresholds.</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="bigkeys-title">
      <h2 id="bigkeys-title">Big keys</h2>
      <div class="filters" role="group" aria-label="Filter the big keys">
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
          <caption class="visually-hidden">Big keys, per type and biggest first; sortable by the column buttons</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              {header('Type', 'type')}
              {header('Size', 'size')}
              {memory ? header('Memory', 'memory') : null}
              {ttls ? header('TTL', 'ttl') : null}
              {header('DB', 'db')}
              {cluster ? header('Shard', 'shard') : null}
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={`${k.shard ?? ''}\u0000${keyIdentity(k)}`}>
                <th scope="row" class="mono key-name" title={keyTitle(k)}>
                  <KeyName named={k} />
                  {k.also_hot === true ? (
                    <span class="mark also-hot" title="Also a hot key in the latest hot key analysis">
                      also hot
                    </span>
                  ) : null}
                </th>
                <td>{k.type}</td>
                <td class="num">{size(k)}</td>
                {memory ? <td class="num">{k.memory_bytes === undefined ? '' : bytes(k.memory_bytes)}</td> : null}
                {ttls ? <td class="num">{ttl(k.ttl)}</td> : null}
                <td class="num">{k.db}</td>
                {cluster ? <td class="mono">{k.shard}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
