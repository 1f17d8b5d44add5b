/**
 * What a snapshot task read (strategy "snapshot", docs/snapshots.md): one row per RDB, with
 * what it cost its node — the fork that blocked the main thread, the memory copy-on-write
 * duplicated — and how long the node took to start and to send it.
 */
import { bytes, duration } from '../format';
import type { BigTask, Task } from '../wire';

type Snapshot = NonNullable<Task['snapshot'] | BigTask['snapshot']>;

export function SnapshotPanel(props: { readonly snapshot: Snapshot }) {
  const { snapshot } = props;
  const file = snapshot.source === 'file';
  return (
    <section aria-labelledby="snapshot-title" class="panel">
      <h2 id="snapshot-title">{file ? 'Read from an RDB file' : 'Snapshots read'}</h2>
      <div class="table-scroll">
        <table class="keys">
          <caption class="visually-hidden">Snapshots read: one row per RDB, with the fork it cost its node</caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Role</th>
              <th scope="col">RDB</th>
              <th scope="col">Keys</th>
              <th scope="col">Fork</th>
              <th scope="col">Copy-on-write</th>
              <th scope="col">Waited</th>
              <th scope="col">Transfer</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.nodes.map((n) => (
              <tr key={n.node}>
                <th scope="row" class="mono">
                  {n.node}
                </th>
                <td>{n.role === 'replica' && n.shard !== undefined ? `replica of ${n.shard}` : n.role}</td>
                <td>
                  {bytes(n.rdb_bytes)} (v{n.rdb_version})
                </td>
                <td>
                  {n.keys.toLocaleString()}
                  {n.expired_keys > 0 ? ` (${n.expired_keys.toLocaleString()} expired)` : ''}
                </td>
                <td>{n.fork_usec === null ? '–' : `${(n.fork_usec / 1000).toFixed(1)} ms`}</td>
                <td>{n.cow_bytes === null ? '–' : bytes(n.cow_bytes)}</td>
                <td>{file ? '–' : duration(n.wait_ms)}</td>
                <td>{duration(n.transfer_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {snapshot.nodes.some((n) => n.replica_skipped !== null) ? (
        <ul>
          {snapshot.nodes
            .filter((n) => n.replica_skipped !== null)
            .map((n) => (
              <li key={n.node}>
                {n.node}: {n.replica_skipped}
              </li>
            ))}
        </ul>
      ) : null}
    </section>
  );
}
