/**
 * One expired key scan: how many expired keys it made the primaries reclaim (`num`), how many
 * keys it visited, the times to live it saw (a histogram, per database, top namespaces), the
 * primaries it scanned, export and delete.
 */
import type { Session } from '../api';
import { AdvicePanel, TaskFrame } from '../components/task-frame';
import { PrimariesScanned, TtlChart, TtlDatabases, TtlNamespaces } from '../components/ttl-report';
import { duration } from '../format';
import type { ExpireTask } from '../wire';

export function ExpirePage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  return (
    <TaskFrame kind="expire" {...props}>
      {(task) => <ExpireBody task={task} />}
    </TaskFrame>
  );
}

function ExpireBody(props: { readonly task: ExpireTask }) {
  const { task } = props;
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
      <AdvicePanel advice={task.advice} id="expire-advice-title" />
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
