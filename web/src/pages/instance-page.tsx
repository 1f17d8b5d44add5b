/**
 * One instance: analyse now (hot keys) and analyse big keys, each with live progress (the two
 * may run at the same time), the tasks of each family, their daily schedules and the trend of
 * the hottest keys.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { AutoscanEditor } from '../components/autoscan-editor';
import { NodeProgress } from '../components/node-progress';
import { TaskList } from '../components/task-list';
import { TrendChart } from '../components/trend-chart';
import { href, navigate } from '../router';
import { kindPaths, taskRoute } from '../task-kinds';
import { useLoad } from '../use-load';
import type { BigTask, Instance, Task, TaskKind } from '../wire';

const POLL_MS = 500;

type AnyTask = Task | BigTask;

interface Running {
  readonly task: AnyTask | null;
  readonly error: string | null;
  /** Counts the tasks that ended, so the lists reload when one does. */
  readonly finished: number;
  /** Starts a task; `snapshot` asks for strategy "snapshot" (one fork per node instead of a scan). */
  start(snapshot: boolean): Promise<void>;
}

const ended = (task: AnyTask): boolean => task.status === 'success' || task.status === 'failed';

/** A task of one family started from this page, polled while it runs; polling stops when it ends or the page is left. */
function useRunning(session: Session, instanceId: string, kind: TaskKind): Running {
  const path = kindPaths(kind, instanceId).task;
  const [task, setTask] = useState<AnyTask | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState(0);

  useEffect(() => {
    if (task === null || ended(task)) return;
    const timer = setTimeout(() => {
      api<AnyTask>(session, 'GET', `${path}/${encodeURIComponent(task.id)}`).then(
        (next) => {
          setTask(next);
          if (ended(next)) setFinished((n) => n + 1);
        },
        (failure: unknown) => setError(messageOf(failure)),
      );
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [task, session, path]);

  const start = async (snapshot: boolean): Promise<void> => {
    setError(null);
    try {
      // No body at all for a scan: DCS's own call.
      setTask(await api<AnyTask>(session, 'POST', path, snapshot ? { strategy: 'snapshot' } : undefined));
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  return { task, error, finished, start };
}

export function InstancePage(props: { readonly session: Session; readonly instanceId: string }) {
  const { session, instanceId } = props;
  const instance = useLoad(() => api<Instance>(session, 'GET', `/instances/${encodeURIComponent(instanceId)}`), [session, instanceId]);
  const hot = useRunning(session, instanceId, 'hot');
  const big = useRunning(session, instanceId, 'big');
  const [snapshot, setSnapshot] = useState(false);

  if (instance.value === null) {
    return instance.error !== null ? <p class="error" role="alert">{instance.error}</p> : <p>Loading…</p>;
  }
  const busy = (running: Running): boolean => running.task !== null && !ended(running.task);
  return (
    <section aria-labelledby="instance-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › {instance.value.name}
      </nav>
      <div class="heading">
        <h1 id="instance-title">{instance.value.name}</h1>
        {!session.readOnly ? (
          <div class="actions">
            <label class="inline" title="Each node forks once and sends its RDB instead of being scanned: faster on big keyspaces, but the fork costs memory (docs/snapshots.md)">
              <input type="checkbox" checked={snapshot} onChange={(e) => setSnapshot((e.target as HTMLInputElement).checked)} /> From a snapshot
            </label>
            <button type="button" onClick={() => void hot.start(snapshot)} disabled={busy(hot)}>
              Analyse now
            </button>
            <button type="button" onClick={() => void big.start(snapshot)} disabled={busy(big)}>
              Analyse big keys
            </button>
          </div>
        ) : null}
      </div>
      <p class="sub">
        {instance.value.engine} {instance.value.engine_version}, {instance.value.mode === 'cluster' ? 'cluster' : instance.value.mode === 'sentinel' ? `behind Sentinel (master ${instance.value.sentinel?.master_name ?? '?'})` : 'standalone'},{' '}
        <span class="mono">
          {instance.value.ip}:{instance.value.port}
        </span>
        , {instance.value.status === 'RUNNING' ? 'reachable' : 'unreachable at the last check'}
      </p>
      {hot.error !== null ? <p class="error" role="alert">{hot.error}</p> : null}
      {big.error !== null ? <p class="error" role="alert">{big.error}</p> : null}
      {hot.task !== null ? <RunningTask kind="hot" task={hot.task} /> : null}
      {big.task !== null ? <RunningTask kind="big" task={big.task} /> : null}
      <TaskList session={session} instanceId={instanceId} kind="hot" refresh={hot.finished} />
      <TaskList session={session} instanceId={instanceId} kind="big" refresh={big.finished} />
      <TrendChart session={session} instanceId={instanceId} refresh={hot.finished} />
      <AutoscanEditor session={session} instanceId={instanceId} kind="hot" />
      <AutoscanEditor session={session} instanceId={instanceId} kind="big" />
    </section>
  );
}

/** Names of the two panels; the links differ so that each is found by its own name. */
const RUNNING_LABELS: Readonly<Record<TaskKind, { title: string; found: string; link: string }>> = {
  hot: { title: 'Analysis', found: 'hot keys found', link: 'See the result' },
  big: { title: 'Big key analysis', found: 'big keys found', link: 'Open the big key result' },
};

function RunningTask(props: { readonly kind: TaskKind; readonly task: AnyTask }) {
  const { kind, task } = props;
  const labels = RUNNING_LABELS[kind];
  const route = taskRoute(kind, task.instance_id, task.id);
  const titleId = `running-${kind}-title`;
  return (
    <section class="panel" aria-labelledby={titleId}>
      <h2 id={titleId}>
        {labels.title} {task.status === 'success' ? 'finished' : task.status === 'failed' ? 'failed' : 'in progress'}
      </h2>
      {task.status === 'success' ? (
        <p>
          {task.num} {labels.found}.{' '}
          <a href={href(route)} onClick={(e) => (e.preventDefault(), navigate(route))}>
            {labels.link}
          </a>
        </p>
      ) : task.status === 'failed' ? (
        <p class="error" role="alert">
          {task.error_msg ?? 'The analysis failed.'}
        </p>
      ) : (
        <NodeProgress task={task} />
      )}
    </section>
  );
}
