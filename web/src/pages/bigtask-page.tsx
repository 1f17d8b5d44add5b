/**
 * One big key task: the thresholds it used and its advice, the totals of every type, the
 * namespaces by size, its big keys (sortable, filterable, "also hot" marked), the nodes it read,
 * export and delete.
 */
import { SnapshotPanel } from '../components/snapshot-panel';
import type { Session } from '../api';
import { AdvicePanel, TaskFrame } from '../components/task-frame';
import { BigKeyTable } from '../components/big-key-table';
import { NodesScanned, thresholdsText, TypeTotals } from '../components/big-key-summary';
import { BigTaskCharts } from '../components/bigtask-charts';
import { duration } from '../format';
import type { BigTask } from '../wire';

export function BigTaskPage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  return (
    <TaskFrame kind="big" {...props}>
      {(task) => <BigTaskBody task={task} />}
    </TaskFrame>
  );
}

function BigTaskBody(props: { readonly task: BigTask }) {
  const { task } = props;
  const analysis = task.analysis;
  const changed = analysis === undefined ? 0 : analysis.vanished_keys + analysis.changed_keys;
  return (
    <>
      <p class="sub">
        {task.scan_type === 'auto' ? 'Daily analysis' : 'Manual analysis'}: {analysis?.scanned_keys.toLocaleString() ?? '?'} keys {task.snapshot !== undefined ? 'read from snapshots' : 'scanned'} in {duration(analysis?.duration_ms ?? 0)},{' '}
        {task.num} big keys listed.
        {changed > 0 ? ` ${changed.toLocaleString()} keys were deleted or changed type while the scan read them.` : ''}
      </p>
      {task.thresholds !== undefined ? <p class="sub">{thresholdsText(task)}</p> : null}
      <AdvicePanel advice={task.advice} id="bigadvice-title" />
      <BigKeyTable task={task} />
      <TypeTotals task={task} />
      <BigTaskCharts task={task} />
      {task.snapshot !== undefined ? <SnapshotPanel snapshot={task.snapshot} /> : <NodesScanned task={task} />}
    </>
  );
}
