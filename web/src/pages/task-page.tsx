/** One task: its hot keys (sortable, filterable), its measured rates when it sampled, what they mean (charts, advice), export and delete. */
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { Confirm } from '../components/confirm';
import { HotKeyTable } from '../components/hot-key-table';
import { NodeProgress } from '../components/node-progress';
import { SampledTable } from '../components/sampled-table';
import { SnapshotPanel } from '../components/snapshot-panel';
import { TaskCharts } from '../components/task-charts';
import { download, duration, keysCsv, taskFileName, when } from '../format';
import { href, navigate } from '../router';
import { taskPath } from '../task-kinds';
import { useLoad } from '../use-load';
import type { Task } from '../wire';

export function TaskPage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  const { session, instanceId, taskId } = props;
  const path = taskPath('hot', instanceId, taskId);
  const task = useLoad(() => api<Task>(session, 'GET', path), [session, path]);
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
    <section aria-labelledby="task-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › <a href={href({ page: 'instance', instanceId })}>Instance</a> › Task
      </nav>
      <div class="heading">
        <h1 id="task-title">Analysis of {t === null ? '…' : when(t.created_at)}</h1>
        {t !== null ? (
          <div class="actions">
            <button type="button" onClick={() => download(taskFileName(t, 'csv'), 'text/csv', keysCsv(t.keys ?? []))} disabled={(t.keys ?? []).length === 0}>
              Export CSV
            </button>
            <button type="button" onClick={() => download(taskFileName(t, 'json'), 'application/json', `${JSON.stringify(t, null, 2)}\n`)}>
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
      {t !== null ? <TaskBody task={t} reload={task.reload} /> : task.loading ? <p>Loading…</p> : null}
      {deleting ? <Confirm title="Delete this task?" message="Its result is deleted; a running analysis is stopped." action="Delete" onConfirm={() => void remove()} onCancel={() => setDeleting(false)} /> : null}
    </section>
  );
}

function TaskBody(props: { readonly task: Task; readonly reload: () => void }) {
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
  const lfu = task.analysis?.lfu;
  const keys = task.keys ?? [];
  // Without an LFU list (an instance without LFU counters) the measured ranking is the answer: it comes first.
  const sampledFirst = task.sampled !== undefined && keys.length === 0;
  const charted = keys.length > 0 || (task.prefixes ?? []).length > 0 || (task.shards ?? task.databases ?? []).length > 0;
  return (
    <>
      <p class="sub">
        {task.scan_type === 'auto' ? 'Daily analysis' : 'Manual analysis'}: {task.analysis?.scanned_keys.toLocaleString() ?? '?'} keys {task.snapshot !== undefined ? 'read from snapshots' : 'scanned'} in{' '}
        {duration(task.analysis?.duration_ms ?? 0)}, {task.num} hot keys.
        {lfu !== undefined
          ? ` LFU: lfu-log-factor ${lfu.log_factor}, lfu-decay-time ${lfu.decay_time} (${lfu.source})${lfu.ceiling_qps === null ? '.' : `; a counter of 255 means at least ${lfu.ceiling_qps} reads/s.`}`
          : ''}
      </p>
      {(task.advice ?? []).length > 0 ? (
        <section aria-labelledby="advice-title" class="panel">
          <h2 id="advice-title">Advice</h2>
          <ul>
            {(task.advice ?? []).map((a) => (
              <li key={a.code}>{a.message}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {task.snapshot !== undefined ? <SnapshotPanel snapshot={task.snapshot} /> : null}
      {sampledFirst ? <SampledTable task={task} /> : null}
      {charted ? <TaskCharts task={task} /> : null}
      <HotKeyTable task={task} />
      {task.sampled !== undefined && !sampledFirst ? <SampledTable task={task} /> : null}
    </>
  );
}
