/**
 * The frame every task page shares, read from the kind's row (task-kinds.ts): the breadcrumb, the
 * heading with the task's date, CSV and JSON export, delete with its confirmation, load errors,
 * and the task's state while it waits, runs or failed. A page gives only what its kind found.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { download, taskFileName, when } from '../format';
import { href, navigate } from '../router';
import { KINDS, taskPath, type KindRow } from '../task-kinds';
import { useLoad } from '../use-load';
import type { KindWire, TaskKind } from '../wire';
import { Confirm } from './confirm';
import { NodeProgress } from './node-progress';

export interface TaskFrameProps<K extends TaskKind> {
  readonly kind: K;
  readonly session: Session;
  readonly instanceId: string;
  readonly taskId: string;
  /** What a finished task found. */
  readonly children: (task: KindWire[K]['task']) => ComponentChildren;
  /** Said above the task in every state (the offline analysis's node and RDB). */
  readonly context?: (task: KindWire[K]['task']) => ComponentChildren;
}

export function TaskFrame<K extends TaskKind>(props: TaskFrameProps<K>) {
  const { kind, session, instanceId, taskId } = props;
  const row = KINDS[kind] as KindRow<K>;
  const labels = row.labels.page;
  const path = taskPath(kind, instanceId, taskId);
  const task = useLoad(() => api<KindWire[K]['task']>(session, 'GET', path), [session, path]);
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
  const titleId = `${row.page}-title`;
  const csv = row.csv;
  return (
    <section aria-labelledby={titleId}>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › <a href={href({ page: 'instance', instanceId })}>Instance</a> › {labels.crumb}
      </nav>
      <div class="heading">
        <h1 id={titleId}>
          {labels.heading} of {t === null ? '…' : when(t.created_at)}
        </h1>
        {t !== null ? (
          <div class="actions">
            {csv !== undefined ? (
              <button type="button" onClick={() => download(taskFileName(t, 'csv', labels.file), 'text/csv', csv.text(t))} disabled={csv.rows(t) === 0}>
                Export CSV
              </button>
            ) : null}
            <button type="button" onClick={() => download(taskFileName(t, 'json', labels.file), 'application/json', `${JSON.stringify(t, null, 2)}\n`)}>
              Export JSON
            </button>
            {!session.readOnly ? (
              <button type="button" class="danger" onClick={() => setDeleting(true)}>
                {labels.remove}
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {task.error !== null ? <p class="error" role="alert">{task.error}</p> : null}
      {error !== null ? <p class="error" role="alert">{error}</p> : null}
      {t !== null ? (
        <>
          {props.context?.(t)}
          {t.status === 'waiting' || t.status === 'running' ? (
            <>
              <NodeProgress task={t} running={row.labels.running.doing} />
              <button type="button" onClick={task.reload}>
                Refresh
              </button>
            </>
          ) : t.status === 'failed' ? (
            <p class="error">{t.error_msg ?? labels.failed}</p>
          ) : (
            props.children(t)
          )}
        </>
      ) : task.loading ? (
        <p>Loading…</p>
      ) : null}
      {deleting ? <Confirm title={labels.confirm} message={row.labels.deleted} action="Delete" onConfirm={() => void remove()} onCancel={() => setDeleting(false)} /> : null}
    </section>
  );
}

/** What a task advises, as a panel; nothing when it advises nothing. */
export function AdvicePanel(props: { readonly advice: readonly { readonly code: string; readonly message: string }[] | undefined; readonly id: string }) {
  const advice = props.advice ?? [];
  if (advice.length === 0) return null;
  return (
    <section aria-labelledby={props.id} class="panel">
      <h2 id={props.id}>Advice</h2>
      <ul>
        {advice.map((a) => (
          <li key={a.code}>{a.message}</li>
        ))}
      </ul>
    </section>
  );
}
