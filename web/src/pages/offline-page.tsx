/**
 * One offline analysis: the node and RDB it read, the totals, the bytes and keys per type, the
 * largest keys and prefixes, the hot keys of the same pass where the RDB carries LFU counters,
 * what a fresh RDB cost the node, export and delete.
 */
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { Confirm } from '../components/confirm';
import { HotKeyTable } from '../components/hot-key-table';
import { NodeProgress } from '../components/node-progress';
import { LargestKeysTable, LargestPrefixesTable, OfflineCharts } from '../components/offline-report';
import { SnapshotPanel } from '../components/snapshot-panel';
import { bytes, download, largestKeysCsv, taskFileName, when } from '../format';
import { href, navigate } from '../router';
import { KINDS, taskPath } from '../task-kinds';
import { useLoad } from '../use-load';
import type { OfflineTask } from '../wire';

export function OfflinePage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  const { session, instanceId, taskId } = props;
  const path = taskPath('offline', instanceId, taskId);
  const task = useLoad(() => api<OfflineTask>(session, 'GET', path), [session, path]);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const remove = async (): Promise<void> => {
    setDeleting(false);
    try {
      await api(session, 'DELETE', path);
      navigate({ page: 'instance', instanceId });
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  const t = task.value;
  return (
    <section aria-labelledby="offlinetask-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › <a href={href({ page: 'instance', instanceId })}>Instance</a> › Offline analysis
      </nav>
      <div class="heading">
        <h1 id="offlinetask-title">Offline analysis of {t === null ? '…' : when(t.created_at)}</h1>
        {t !== null ? (
          <div class="actions">
            <button
              type="button"
              onClick={() => download(taskFileName(t, 'csv', 'offline'), 'text/csv', largestKeysCsv(t.largest_keys ?? []))}
              disabled={(t.largest_keys ?? []).length === 0}
            >
              Export CSV
            </button>
            <button type="button" onClick={() => download(taskFileName(t, 'json', 'offline'), 'application/json', `${JSON.stringify(t, null, 2)}\n`)}>
              Export JSON
            </button>
            {!session.readOnly ? (
              <button type="button" class="danger" onClick={() => setDeleting(true)}>
                Delete analysis
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {task.error !== null ? <p class="error" role="alert">{task.error}</p> : null}
      {error !== null ? <p class="error" role="alert">{error}</p> : null}
      {t !== null ? <OfflineBody task={t} reload={task.reload} /> : task.loading ? <p>Loading…</p> : null}
      {deleting ? <Confirm title="Delete this offline analysis?" message={KINDS.offline.labels.deleted} action="Delete" onConfirm={() => void remove()} onCancel={() => setDeleting(false)} /> : null}
    </section>
  );
}

/** The node and the RDB, in words: "127.0.0.1:6379, primary of shard single; a fresh RDB". */
function sourceOf(task: OfflineTask): string {
  const role = task.node_type === 'slave' ? 'replica' : task.node_type === 'master' ? 'primary' : null;
  const node = `${task.node_id}${role === null ? '' : `, ${role}`}${task.group_name === undefined ? '' : ` of ${task.group_name}`}`;
  return `${node}; ${task.analysis_type === 'old_backup' ? `the saved backup ${task.backup_id ?? ''}` : 'a fresh RDB from the node'}`;
}

function OfflineBody(props: { readonly task: OfflineTask; readonly reload: () => void }) {
  const { task } = props;
  const source = <p class="sub">Node {sourceOf(task)}.</p>;
  if (task.status === 'waiting' || task.status === 'running') {
    return (
      <>
        {source}
        <NodeProgress task={task} running={KINDS.offline.labels.running.doing ?? 'Running…'} />
        <button type="button" onClick={props.reload}>
          Refresh
        </button>
      </>
    );
  }
  if (task.status === 'failed') {
    return (
      <>
        {source}
        <p class="error">{task.error_msg ?? 'The analysis failed.'}</p>
      </>
    );
  }
  const hot = task.hot_keys ?? [];
  return (
    <>
      {source}
      <dl class="stats">
        <div>
          <dt>Keys</dt>
          <dd>{(task.total_num ?? 0).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Bytes in the RDB</dt>
          <dd title={`${(task.total_bytes ?? 0).toLocaleString()} bytes`}>{bytes(task.total_bytes ?? 0)}</dd>
        </div>
        <div>
          <dt>Types</dt>
          <dd>{(task.type_num ?? []).filter((t) => t.num > 0).length}</dd>
        </div>
      </dl>
      <p class="sub">Bytes are what the keys take in the RDB (their serialised values and names), not their memory in Redis.</p>
      {(task.advice ?? []).length > 0 ? (
        <section aria-labelledby="offline-advice-title" class="panel">
          <h2 id="offline-advice-title">Advice</h2>
          <ul>
            {(task.advice ?? []).map((a) => (
              <li key={a.code}>{a.message}</li>
            ))}
          </ul>
        </section>
      ) : null}
      <LargestKeysTable task={task} />
      <OfflineCharts task={task} />
      <LargestPrefixesTable task={task} />
      {hot.length > 0 ? <HotKeyTable task={{ keys: hot }} /> : null}
      {hot.length === 0 && task.hot_keys_skipped !== undefined ? <p class="notice">No hot keys: {task.hot_keys_skipped}</p> : null}
      {task.snapshot !== undefined ? <SnapshotPanel snapshot={task.snapshot} /> : null}
    </>
  );
}
