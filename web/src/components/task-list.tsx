/**
 * An instance's tasks of one family, newest first, a page at a time, with a status filter. The
 * family's row in task-kinds.ts gives the path, the words, and the columns it has (`scan_type`,
 * and `num` for the expired key scan). A token that may write can delete a task from here, after
 * a confirmation.
 */
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { when } from '../format';
import { href, taskRoute } from '../router';
import { instancePath, KINDS, taskPath, type ListedTask } from '../task-kinds';
import { useLoad } from '../use-load';
import type { KindWire, TaskKind } from '../wire';
import { Confirm } from './confirm';

const PAGE = 10;
const STATUSES = ['', 'waiting', 'running', 'success', 'failed'] as const;

export function TaskList<K extends TaskKind>(props: {
  readonly session: Session;
  readonly instanceId: string;
  readonly kind: K;
  readonly refresh: number;
  /** The heading's level: 3 inside a section of its own. */
  readonly level?: 2 | 3;
}) {
  const { session, instanceId, kind } = props;
  const row = KINDS[kind];
  const labels = row.labels.list;
  const Heading = props.level === 3 ? 'h3' : 'h2';
  const titleId = `tasks-${kind}-title`;
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('');
  const [deleting, setDeleting] = useState<ListedTask | null>(null);
  const [deleted, setDeleted] = useState(0);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const tasks = useLoad(async () => {
    const query = `offset=${offset}&limit=${PAGE}${status === '' ? '' : `&status=${status}`}`;
    return row.listed(await api<KindWire[K]['list']>(session, 'GET', `${instancePath(instanceId)}${row.api.list}?${query}`));
  }, [session, instanceId, kind, offset, status, props.refresh, deleted]);
  const count = tasks.value?.count ?? 0;
  const records = tasks.value?.records ?? [];
  const scanType = records.some((r) => r.scan_type !== undefined);
  const num = labels.num !== undefined;
  const writable = !session.readOnly;

  const remove = async (task: ListedTask): Promise<void> => {
    setDeleting(null);
    try {
      await api(session, 'DELETE', taskPath(kind, instanceId, task.id));
      setMessage({ text: `The ${labels.item} of ${when(task.created_at)} was deleted.`, error: false });
      // The last task of a page gone: the page before.
      if (records.length === 1 && offset > 0) setOffset(Math.max(0, offset - PAGE));
      setDeleted((n) => n + 1);
    } catch (failure) {
      setMessage({ text: messageOf(failure), error: true });
    }
  };

  return (
    <section aria-labelledby={titleId}>
      <div class="heading">
        <Heading id={titleId}>{labels.title}</Heading>
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
      {message !== null ? (
        <p class={message.error ? 'error' : ''} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      ) : null}
      {tasks.value !== null && records.length === 0 ? (
        <p>
          {labels.none}
          {status === '' ? '' : ` is ${status}`}.
        </p>
      ) : null}
      {tasks.value !== null && records.length > 0 ? (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">{labels.caption}</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                {scanType ? <th scope="col">Type</th> : null}
                {num ? <th scope="col">{labels.num}</th> : null}
                <th scope="col">Finished</th>
                {writable ? (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    <a href={href(taskRoute(kind, instanceId, r.id))}>{when(r.created_at)}</a>
                  </th>
                  <td>
                    <span class={`status ${r.status}`}>{r.status}</span>
                    {r.error_msg !== undefined ? <div class="sub">{r.error_msg}</div> : null}
                  </td>
                  {scanType ? <td>{r.scan_type}</td> : null}
                  {num ? <td class="num">{r.status === 'success' && r.num !== undefined ? r.num.toLocaleString() : ''}</td> : null}
                  <td>{when(r.finished_at)}</td>
                  {writable ? (
                    <td>
                      <button type="button" class="danger small" onClick={() => setDeleting(r)} aria-label={`Delete the ${labels.item} of ${when(r.created_at)}`}>
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {tasks.value?.total !== undefined && labels.total !== undefined && count > 0 ? <p class="sub">{labels.total(tasks.value.total)}</p> : null}
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
      {deleting !== null ? (
        <Confirm
          title={`Delete this ${labels.item}?`}
          message={`The ${labels.item} of ${when(deleting.created_at)}: ${row.labels.deleted}`}
          action="Delete"
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </section>
  );
}
