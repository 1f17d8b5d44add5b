/**
 * One big key task: the thresholds it used and its advice, the totals of every type, the
 * namespaces by size, its big keys (sortable, filterable, "also hot" marked), the nodes it read,
 * export and delete.
 */
import { SnapshotPanel } from '../components/snapshot-panel';
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { BigKeyTable } from '../components/big-key-table';
import { NodesScanned, thresholdsText, TypeTotals } from '../components/big-key-summary';
import { BigTaskCharts } from '../components/bigtask-charts';
import { Confirm } from '../components/confirm';
import { NodeProgress } from '../components/node-progress';
import { bigKeysCsv, download, duration, taskFileName, when } from '../format';
import { href, navigate } from '../router';
import { taskPath } from '../task-kinds';
import { useLoad } from '../use-load';
import type { BigTask } from '../wire';

export function BigTaskPage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  const { session, instanceId, taskId } = props;
  const path = taskPath('big', instanceId, taskId);
  const task = useLoad(() => api<BigTask>(session, 'GET', path), [session, path]);
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
    <section aria-labelledby="bigtask-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › <a href={href({ page: 'instance', instanceId })}>Instance</a> › Big key task
      </nav>
      <div class="heading">
        <h1 id="bigtask-title">Big key analysis of {t === null ? '…' : when(t.created_at)}</h1>
        {t !== null ? (
          <div class="actions">
            <button type="button" onClick={() => download(taskFileName(t, 'csv', 'bigkeys'), 'text/csv', bigKeysCsv(t.keys ?? []))} disabled={(t.keys ?? []).length === 0}>
              Export CSV
            </button>
            <button type="button" onClick={() => download(taskFileName(t, 'json', 'bigkeys'), 'application/json', `${JSON.stringify(t, null, 2)}\n`)}>
              Export JSON
            </button>
            {!session.readOnly ? (
              <button type="button" class="danger" onClick={() => setDeleting(true)}>
                Delete task
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {task.error !== null ? <p class="error" role="alert">{task.error}</p> : null}
      {error !== null ? <p class="error" role="alert">{error}</p> : null}
      {t !== null ? <BigTaskBody task={t} reload={task.reload} /> : task.loading ? <p>Loading…</p> : null}
      {deleting ? (
        <Confirm title="Delete this big key task?" message="Its result is deleted; a running analysis is stopped." action="Delete" onConfirm={() => void remove()} onCancel={() => setDeleting(false)} />
      ) : null}
    </section>
  );
}

function BigTaskBody(props: { readonly task: BigTask; readonly reload: () => void }) {
  const { task } = props;
  if (task.status === 'waiting' || task.status === 'running') {
    return (
      <>
        <NodeProgress task={task} />
        <button type="button" onClick={props.reload}>
          Refresh
        </button>
      </>
    );
  }
  if (task.status === 'failed') return <p class="error">{task.error_msg ?? 'The analysis failed.'}</p>;
  const analysis = task.analysis;
  const changed = analysis === undefined ? 0 : analysis.vanished_keys + analysis.changed_keys;
  return (
    <>
      <p class="sub">
        {task.scan_type === 'auto' ? 'Daily analysis' : 'Manual analysis'}: {analysis?.scanned_keys.toLocaleString() ?? '?'} keys {task.snapshot !== undefined ? 'read from snapshots' : 'scanned'} in {duration(analysis?.duration_ms ?? 0)},{' '}
        {task.num} big keys listed.
        {changed > 0 ? ` ${changed.toLocaleString()} keys were deleted or changed type while the scan read them.` : ''}
      </p>
      {task.thresholds !== undefined ? <p class="sub">{thresholdsText(task)}</p> : null}
      {(task.advice ?? []).length > 0 ? (
        <section aria-labelledby="bigadvice-title" class="panel">
          <h2 id="bigadvice-title">Advice</h2>
          <ul>
            {(task.advice ?? []).map((a) => (
              <li key={a.code}>{a.message}</li>
            ))}
          </ul>
        </section>
      ) : null}
      <BigKeyTable task={task} />
      <TypeTotals task={task} />
      <BigTaskCharts task={task} />
      {task.snapshot !== undefined ? <SnapshotPanel snapshot={task.snapshot} /> : <NodesScanned task={task} />}
    </>
  );
}
