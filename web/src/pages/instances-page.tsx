/** Every registered instance with its health, its last analysis and its schedule; register and delete. */
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { Confirm } from '../components/confirm';
import { RegisterForm } from '../components/register-form';
import { localTimeOf, rate, when } from '../format';
import { href, taskRoute } from '../router';
import { instancePath, KINDS, taskPath } from '../task-kinds';
import { useLoad } from '../use-load';
import type { Autoscan, Instance, InstanceListBody, Task, TaskList } from '../wire';

interface Row {
  readonly instance: Instance;
  readonly last: Task | null;
  readonly autoscan: Autoscan | null;
}

/** Three small reads per instance, in parallel: the public API has no "last analysis" field. */
async function rowOf(session: Session, instance: Instance): Promise<Row> {
  const base = instancePath(instance.instance_id);
  const hot = KINDS.hot;
  const [list, autoscan] = await Promise.all([
    api<TaskList>(session, 'GET', `${base}${hot.api.list}?limit=1&status=success`),
    // The schedule is a detail of the row: the list still shows when it cannot be read.
    hot.schedule === null ? null : api<Autoscan>(session, 'GET', `${base}${hot.schedule.path}`).catch((): null => null),
  ]);
  const record = list.records[0];
  const last = record === undefined ? null : await api<Task>(session, 'GET', taskPath('hot', instance.instance_id, record.id));
  return { instance, last, autoscan };
}

export function InstancesPage(props: { readonly session: Session }) {
  const { session } = props;
  const rows = useLoad(async () => {
    const list = await api<InstanceListBody>(session, 'GET', '/instances');
    return Promise.all(list.instances.map((instance) => rowOf(session, instance)));
  }, [session]);
  const [registering, setRegistering] = useState(false);
  const [deleting, setDeleting] = useState<Instance | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const remove = async (instance: Instance): Promise<void> => {
    setDeleting(null);
    try {
      await api(session, 'DELETE', `/instances/${encodeURIComponent(instance.instance_id)}`);
      setMessage(`${instance.name} was unregistered.`);
      rows.reload();
    } catch (error) {
      setMessage(messageOf(error));
    }
  };

  return (
    <section aria-labelledby="instances-title">
      <div class="heading">
        <h1 id="instances-title">Instances</h1>
        {!session.readOnly && !registering ? (
          <button type="button" onClick={() => setRegistering(true)}>
            Register instance
          </button>
        ) : null}
      </div>
      {registering ? (
        <RegisterForm
          session={session}
          onDone={(name) => {
            setRegistering(false);
            if (name !== null) {
              setMessage(`${name} is registered.`);
              rows.reload();
            }
          }}
        />
      ) : null}
      {message !== null ? <p role="status">{message}</p> : null}
      {rows.error !== null ? <p class="error" role="alert">{rows.error}</p> : null}
      {rows.value === null ? <p>{rows.loading ? 'Loading…' : ''}</p> : <InstanceTable rows={rows.value} readOnly={session.readOnly} onDelete={setDeleting} />}
      {deleting !== null ? (
        <Confirm
          title={`Unregister ${deleting.name}?`}
          message="keyheat forgets the instance and all its tasks. The Redis itself is not touched."
          action="Delete"
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </section>
  );
}

function InstanceTable(props: { readonly rows: readonly Row[]; readonly readOnly: boolean; readonly onDelete: (instance: Instance) => void }) {
  if (props.rows.length === 0) return <p>No instance is registered yet.</p>;
  return (
    <div class="table-scroll">
      <table>
        <caption class="visually-hidden">Registered instances</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Mode</th>
            <th scope="col">Engine</th>
            <th scope="col">Health</th>
            <th scope="col">Last analysis</th>
            <th scope="col">Autoscan (UTC)</th>
            {props.readOnly ? null : <th scope="col"><span class="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {props.rows.map(({ instance, last, autoscan }) => (
            <tr key={instance.instance_id}>
              <th scope="row">
                <a href={href({ page: 'instance', instanceId: instance.instance_id })}>{instance.name}</a>
                <div class="sub mono">
                  {instance.ip}:{instance.port}
                </div>
              </th>
              <td>{instance.mode}</td>
              <td>
                {instance.engine} {instance.engine_version}
              </td>
              <td>
                <span class={`health ${instance.status === 'RUNNING' ? 'ok' : 'bad'}`}>{instance.status === 'RUNNING' ? 'reachable' : 'unreachable'}</span>
              </td>
              <td>
                <LastAnalysis task={last} />
              </td>
              <td>{autoscan === null ? <span class="sub">could not be read</span> : !autoscan.enable_auto_scan ? 'off' : autoscan.schedule_at.map((t) => `${t} (${localTimeOf(t)} local)`).join(', ')}</td>
              {props.readOnly ? null : (
                <td>
                  <button type="button" class="danger small" onClick={() => props.onDelete(instance)} aria-label={`Delete ${instance.name}`}>
                    Delete
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LastAnalysis(props: { readonly task: Task | null }) {
  const { task } = props;
  if (task === null) return <span class="sub">never</span>;
  const hottest = task.keys?.[0];
  const saturated = (task.keys ?? []).filter((k) => k.saturated === true).length;
  return (
    <a href={href(taskRoute('hot', task.instance_id, task.id))}>
      {when(task.finished_at)}
      <div class="sub">
        {hottest === undefined ? 'no hot key' : <span class="mono"><bdi>{hottest.name}</bdi></span>}
        {hottest !== undefined && rate(hottest) !== '' ? ` · ${rate(hottest)}` : null}
        {saturated > 0 ? ` · ${saturated} saturated` : null}
      </div>
    </a>
  );
}
