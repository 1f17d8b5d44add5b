/** One instance: analyse now (with live progress), its tasks, its daily schedule and the trend of its hottest keys. */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { AutoscanEditor } from '../components/autoscan-editor';
import { NodeProgress } from '../components/node-progress';
import { TaskList } from '../components/task-list';
import { TrendChart } from '../components/trend-chart';
import { href, navigate } from '../router';
import { useLoad } from '../use-load';
import type { Instance, Task } from '../wire';

const POLL_MS = 500;

export function InstancePage(props: { readonly session: Session; readonly instanceId: string }) {
  const { session, instanceId } = props;
  const base = `/instances/${encodeURIComponent(instanceId)}`;
  const instance = useLoad(() => api<Instance>(session, 'GET', base), [session, base]);
  const [running, setRunning] = useState<Task | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState(0);

  // Polls the task while it runs; stops when it ends or the page is left.
  useEffect(() => {
    if (running === null || running.status === 'success' || running.status === 'failed') return;
    const timer = setTimeout(() => {
      api<Task>(session, 'GET', `${base}/hotkey-task/${encodeURIComponent(running.id)}`).then(
        (task) => {
          setRunning(task);
          if (task.status === 'success' || task.status === 'failed') setFinished((n) => n + 1);
        },
        (failure: unknown) => setError(messageOf(failure)),
      );
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [running, session, base]);

  const analyse = async (): Promise<void> => {
    setError(null);
    try {
      setRunning(await api<Task>(session, 'POST', `${base}/hotkey-task`));
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  if (instance.value === null) {
    return instance.error !== null ? <p class="error" role="alert">{instance.error}</p> : <p>Loading…</p>;
  }
  const busy = running !== null && (running.status === 'waiting' || running.status === 'running');
  return (
    <section aria-labelledby="instance-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › {instance.value.name}
      </nav>
      <div class="heading">
        <h1 id="instance-title">{instance.value.name}</h1>
        {!session.readOnly ? (
          <button type="button" onClick={() => void analyse()} disabled={busy}>
            Analyse now
          </button>
        ) : null}
      </div>
      <p class="sub">
        Redis {instance.value.engine_version}, {instance.value.mode === 'cluster' ? 'cluster' : 'standalone'},{' '}
        <span class="mono">
          {instance.value.ip}:{instance.value.port}
        </span>
        , {instance.value.status === 'RUNNING' ? 'reachable' : 'unreachable at the last check'}
      </p>
      {error !== null ? <p class="error" role="alert">{error}</p> : null}
      {running !== null ? <RunningTask task={running} /> : null}
      <TaskList session={session} instanceId={instanceId} refresh={finished} />
      <TrendChart session={session} instanceId={instanceId} refresh={finished} />
      <AutoscanEditor session={session} instanceId={instanceId} />
    </section>
  );
}

function RunningTask(props: { readonly task: Task }) {
  const { task } = props;
  const link = href({ page: 'task', instanceId: task.instance_id, taskId: task.id });
  return (
    <section class="panel" aria-labelledby="running-title">
      <h2 id="running-title">Analysis {task.status === 'success' ? 'finished' : task.status === 'failed' ? 'failed' : 'in progress'}</h2>
      {task.status === 'success' ? (
        <p>
          {task.num} hot keys found.{' '}
          <a href={link} onClick={(e) => (e.preventDefault(), navigate({ page: 'task', instanceId: task.instance_id, taskId: task.id }))}>
            See the result
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
