/**
 * One instance: analyse now (hot keys) and analyse big keys, each with live progress (the two
 * may run at the same time), the tasks of each family, their daily schedules and the trend of
 * the hottest keys; then the expired key scan (scan now, its histories, its schedule in
 * seconds) and offline analysis of one node's RDB (a node, a fresh RDB or a saved backup; its
 * analyses). Every family is read from its row in task-kinds.ts.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { AutoscanEditor } from '../components/autoscan-editor';
import { NodeProgress } from '../components/node-progress';
import { OfflineStart } from '../components/offline-start';
import { TaskList } from '../components/task-list';
import { TrendChart } from '../components/trend-chart';
import { href, navigate, taskRoute } from '../router';
import { instancePath, KINDS, taskPath } from '../task-kinds';
import { useLoad } from '../use-load';
import type { AnyKindTask, Instance, KindWire, TaskKind } from '../wire';

const POLL_MS = 500;

/** A task of one family started from this page: its id at once, its body once polled. */
interface Run<K extends TaskKind> {
  readonly id: string;
  readonly task: KindWire[K]['task'] | null;
}

export interface Running<K extends TaskKind> {
  readonly kind: K;
  readonly run: Run<K> | null;
  readonly error: string | null;
  /** Counts the tasks that ended, so the lists reload when one does. */
  readonly finished: number;
  readonly busy: boolean;
  /** Starts a task; no body at all is DCS's own call. */
  start(body?: object): Promise<void>;
}

const ended = (task: AnyKindTask): boolean => task.status === 'success' || task.status === 'failed';

/** A task of one family started from this page, polled while it runs; polling stops when it ends or the page is left. */
function useRunning<K extends TaskKind>(session: Session, instanceId: string, kind: K): Running<K> {
  const row = KINDS[kind];
  const [run, setRun] = useState<Run<K> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState(0);

  useEffect(() => {
    if (run === null || (run.task !== null && ended(run.task))) return;
    const timer = setTimeout(() => {
      api<KindWire[K]['task']>(session, 'GET', taskPath(kind, instanceId, run.id)).then(
        (next) => {
          // A task started since is not overwritten by the answer about this one.
          setRun((current) => (current?.id === run.id ? { id: run.id, task: next } : current));
          if (ended(next)) setFinished((n) => n + 1);
        },
        (failure: unknown) => setError(messageOf(failure)),
      );
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [run, session, instanceId, kind]);

  const start = async (body?: object): Promise<void> => {
    setError(null);
    try {
      const answer = await api<KindWire[K]['created']>(session, 'POST', `${instancePath(instanceId)}${row.api.create}`, body);
      setRun(row.created(answer));
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  const busy = run !== null && (run.task === null || !ended(run.task));
  return { kind, run, error, finished, busy, start };
}

export function InstancePage(props: { readonly session: Session; readonly instanceId: string }) {
  const { session, instanceId } = props;
  const instance = useLoad(() => api<Instance>(session, 'GET', instancePath(instanceId)), [session, instanceId]);
  const hot = useRunning(session, instanceId, 'hot');
  const big = useRunning(session, instanceId, 'big');
  const expire = useRunning(session, instanceId, 'expire');
  const offline = useRunning(session, instanceId, 'offline');
  const [snapshot, setSnapshot] = useState(false);

  if (instance.value === null) {
    return instance.error !== null ? <p class="error" role="alert">{instance.error}</p> : <p>Loading…</p>;
  }
  // strategy "snapshot": one fork per node instead of a scan.
  const strategy = snapshot ? { strategy: 'snapshot' } : undefined;
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
            <button type="button" onClick={() => void hot.start(strategy)} disabled={hot.busy}>
              Analyse now
            </button>
            <button type="button" onClick={() => void big.start(strategy)} disabled={big.busy}>
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
      <RunningPanel running={hot} instanceId={instanceId} />
      <RunningPanel running={big} instanceId={instanceId} />
      <TaskList session={session} instanceId={instanceId} kind="hot" refresh={hot.finished} />
      <TaskList session={session} instanceId={instanceId} kind="big" refresh={big.finished} />
      <TrendChart session={session} instanceId={instanceId} refresh={hot.finished} />
      <AutoscanEditor session={session} instanceId={instanceId} kind="hot" />
      <AutoscanEditor session={session} instanceId={instanceId} kind="big" />

      <section aria-labelledby="expire-title" class="family">
        <div class="heading">
          <h2 id="expire-title">Expired keys</h2>
          {!session.readOnly ? (
            <button type="button" onClick={() => void expire.start()} disabled={expire.busy}>
              Scan for expired keys now
            </button>
          ) : null}
        </div>
        <p class="sub">
          A scan visits every key of the primaries, so Redis reclaims the keys whose time to live has passed but that nobody read. It also reports the keys’ times to
          live, per database and namespace.
        </p>
        <RunningPanel running={expire} instanceId={instanceId} level={3} />
        <TaskList session={session} instanceId={instanceId} kind="expire" refresh={expire.finished} level={3} />
        <AutoscanEditor session={session} instanceId={instanceId} kind="expire" level={3} />
      </section>

      <section aria-labelledby="offline-title" class="family">
        <h2 id="offline-title">Offline analysis</h2>
        <p class="sub">
          The keys and prefixes taking the most bytes in one node’s RDB: a fresh one the node sends (it forks once, as a snapshot does), or a backup saved under
          keyheat’s backup folder.
        </p>
        {!session.readOnly ? <OfflineStart session={session} instance={instance.value} busy={offline.busy} refresh={offline.finished} onStart={(body) => offline.start(body)} /> : null}
        <RunningPanel running={offline} instanceId={instanceId} level={3} />
        <TaskList session={session} instanceId={instanceId} kind="offline" refresh={offline.finished} level={3} />
      </section>
    </section>
  );
}

/** A start's refusal, and the task it started: live progress, then what it found and a link to it. */
function RunningPanel<K extends TaskKind>(props: { readonly running: Running<K>; readonly instanceId: string; readonly level?: 2 | 3 }) {
  const { running, instanceId } = props;
  return (
    <>
      {running.error !== null ? (
        <p class="error" role="alert">
          {running.error}
        </p>
      ) : null}
      {running.run !== null ? <RunningTask kind={running.kind} run={running.run} instanceId={instanceId} level={props.level ?? 2} /> : null}
    </>
  );
}

function RunningTask<K extends TaskKind>(props: { readonly kind: K; readonly run: Run<K>; readonly instanceId: string; readonly level: 2 | 3 }) {
  const { kind, run } = props;
  const Heading = props.level === 2 ? 'h2' : 'h3';
  const row = KINDS[kind];
  const labels = row.labels.running;
  const task = run.task;
  const route = taskRoute(kind, props.instanceId, run.id);
  const titleId = `running-${kind}-title`;
  const status = task?.status ?? 'waiting';
  return (
    <section class="panel" aria-labelledby={titleId}>
      <Heading id={titleId}>
        {labels.title} {status === 'success' ? 'finished' : status === 'failed' ? 'failed' : 'in progress'}
      </Heading>
      {task !== null && task.status === 'success' ? (
        <p>
          {row.found(task)}{' '}
          <a href={href(route)} onClick={(e) => (e.preventDefault(), navigate(route))}>
            {labels.link}
          </a>
        </p>
      ) : task !== null && task.status === 'failed' ? (
        <p class="error" role="alert">
          {task.error_msg ?? 'The analysis failed.'}
        </p>
      ) : task === null ? (
        <p aria-live="polite">Starting…</p>
      ) : (
        <NodeProgress task={task} {...(labels.doing === undefined ? {} : { running: labels.doing })} />
      )}
    </section>
  );
}
