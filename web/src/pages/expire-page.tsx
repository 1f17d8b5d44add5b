/**
 * One expired key scan: how many expired keys it made the primaries reclaim (`num`), how many
 * keys it visited, the times to live it saw (a histogram, per database, top namespaces), the
 * primaries it scanned, export and delete.
 */
import { useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { Confirm } from '../components/confirm';
import { NodeProgress } from '../components/node-progress';
import { PrimariesScanned, TtlChart, TtlDatabases, TtlNamespaces } from '../components/ttl-report';
import { download, duration, taskFileName, when } from '../format';
import { href, navigate } from '../router';
import { KINDS, taskPath } from '../task-kinds';
import { useLoad } from '../use-load';
import type { ExpireTask } from '../wire';

export function ExpirePage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  const { session, instanceId, taskId } = props;
  const path = taskPath('expire', instanceId, taskId);
  const task = useLoad(() => api<ExpireTask>(session, 'GET', path), [session, path]);
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
    <section aria-labelledby="expiretask-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href={href({ page: 'instances' })}>Instances</a> › <a href={href({ page: 'instance', instanceId })}>Instance</a> › Expired key scan
      </nav>
      <div class="heading">
        <h1 id="expiretask-title">Expired key scan of {t === null ? '…' : when(t.created_at)}</h1>
        {t !== null ? (
          <div class="actions">
            <button type="button" onClick={() => download(taskFileName(t, 'json', 'expire'), 'application/json', `${JSON.stringify(t, null, 2)}\n`)}>
              Export JSON
            </button>
            {!session.readOnly ? (
              <button type="button" class="danger" onClick={() => setDeleting(true)}>
                Delete scan
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {task.error !== null ? <p class="error" role="alert">{task.error}</p> : null}
      {error !== null ? <p class="error" role="alert">{error}</p> : null}
      {t !== null ? <ExpireBody task={t} reload={task.reload} /> : task.loading ? <p>Loading…</p> : null}
      {deleting ? <Confirm title="Delete this expired key scan?" message={KINDS.expire.labels.deleted} action="Delete" onConfirm={() => void remove()} onCancel={() => setDeleting(false)} /> : null}
    </section>
  );
}

function ExpireBody(props: { readonly task: ExpireTask; readonly reload: () => void }) {
  const { task } = props;
  if (task.status === 'waiting' || task.status === 'running') {
    return (
      <>
        <NodeProgress task={task} running={KINDS.expire.labels.running.doing ?? 'Running…'} />
        <button type="button" onClick={props.reload}>
          Refresh
        </button>
      </>
    );
  }
  if (task.status === 'failed') return <p class="error">{task.error_msg ?? 'The scan failed.'}</p>;
  const analysis = task.analysis;
  const ttl = task.ttl;
  return (
    <>
      <dl class="stats">
        <div>
          <dt>Expired keys reclaimed</dt>
          <dd>{task.num.toLocaleString()}</dd>
        </div>
        {analysis !== undefined ? (
          <div>
            <dt>Keys scanned</dt>
            <dd>{analysis.scanned_keys.toLocaleString()}</dd>
          </div>
        ) : null}
        {ttl !== undefined ? (
          <>
            <div>
              <dt>With an expiry</dt>
              <dd>{ttl.totals.with_expiry.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Without</dt>
              <dd>{ttl.totals.without_expiry.toLocaleString()}</dd>
            </div>
          </>
        ) : null}
      </dl>
      <p class="sub">
        {task.scan_type === 'auto' ? 'Scheduled scan' : 'Manual scan'}
        {analysis !== undefined
          ? `: ${analysis.scanned_keys.toLocaleString()} keys scanned in ${duration(analysis.duration_ms)}, ${analysis.scan_keys_count} keys per SCAN page${
              analysis.vanished_keys > 0 ? `; ${analysis.vanished_keys.toLocaleString()} keys expired or were deleted between SCAN and PTTL` : ''
            }.`
          : '.'}{' '}
        Reclaimed is what INFO stats expired_keys rose by on the primaries during the scan: the servers’ own active expiry meanwhile included.
      </p>
      {(task.advice ?? []).length > 0 ? (
        <section aria-labelledby="expire-advice-title" class="panel">
          <h2 id="expire-advice-title">Advice</h2>
          <ul>
            {(task.advice ?? []).map((a) => (
              <li key={a.code}>{a.message}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {ttl !== undefined ? (
        <>
          <TtlChart ttl={ttl} />
          <TtlDatabases ttl={ttl} />
          <TtlNamespaces ttl={ttl} />
        </>
      ) : (
        <p class="notice">This scan has no time to live report.</p>
      )}
      <PrimariesScanned task={task} />
    </>
  );
}
