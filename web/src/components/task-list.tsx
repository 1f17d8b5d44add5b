/** An instance's tasks of one family (hot or big keys), newest first, a page at a time, with a status filter. */
import { useState } from 'preact/hooks';
import { api, type Session } from '../api';
import { when } from '../format';
import { href } from '../router';
import { kindPaths, taskRoute } from '../task-kinds';
import { useLoad } from '../use-load';
import type { TaskKind, TaskList as TaskListBody } from '../wire';

const PAGE = 10;
const STATUSES = ['', 'waiting', 'running', 'success', 'failed'] as const;

/** Names that tell the two lists of one page apart. */
const LABELS: Readonly<Record<TaskKind, { title: string; caption: string; pages: string; none: string }>> = {
  hot: { title: 'Hot key tasks', caption: 'Tasks of this instance: hot key analyses', pages: 'Hot key task pages', none: 'No hot key task' },
  big: { title: 'Big key analyses', caption: 'Big key analyses of this instance', pages: 'Big key analysis pages', none: 'No big key analysis' },
};

export function TaskList(props: { readonly session: Session; readonly instanceId: string; readonly kind: TaskKind; readonly refresh: number }) {
  const { session, instanceId, kind } = props;
  const labels = LABELS[kind];
  const titleId = `tasks-${kind}-title`;
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('');
  const tasks = useLoad(() => {
    const query = `offset=${offset}&limit=${PAGE}${status === '' ? '' : `&status=${status}`}`;
    return api<TaskListBody>(session, 'GET', `${kindPaths(kind, instanceId).tasks}?${query}`);
  }, [session, instanceId, kind, offset, status, props.refresh]);
  const count = tasks.value?.count ?? 0;

  return (
    <section aria-labelledby={titleId}>
      <div class="heading">
        <h2 id={titleId}>{labels.title}</h2>
        <label class="inline">
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value as (typeof STATUSES)[number]);
              setOffset(0);
            }}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'all' : s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {tasks.error !== null ? <p class="error" role="alert">{tasks.error}</p> : null}
      {tasks.value !== null && tasks.value.records.length === 0 ? <p>{labels.none}{status === '' ? '' : ` is ${status}`}.</p> : null}
      {tasks.value !== null && tasks.value.records.length > 0 ? (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">{labels.caption}</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">Type</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {tasks.value.records.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    <a href={href(taskRoute(kind, instanceId, r.id))}>{when(r.created_at)}</a>
                  </th>
                  <td>
                    <span class={`status ${r.status}`}>{r.status}</span>
                    {r.error_msg !== undefined ? <div class="sub">{r.error_msg}</div> : null}
                  </td>
                  <td>{r.scan_type}</td>
                  <td>{when(r.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav class="pager" aria-label={labels.pages}>
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Newer
        </button>
        <span>
          {count === 0 ? '0' : `${offset + 1}–${Math.min(count, offset + PAGE)}`} of {count}
        </span>
        <button type="button" disabled={offset + PAGE >= count} onClick={() => setOffset(offset + PAGE)}>
          Older
        </button>
      </nav>
    </section>
  );
}
