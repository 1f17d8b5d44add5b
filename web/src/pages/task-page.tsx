/** One task: its hot keys (sortable, filterable), its measured rates when it sampled, what they mean (charts, advice), export and delete. */
import type { Session } from '../api';
import { AdvicePanel, TaskFrame } from '../components/task-frame';
import { HotKeyTable } from '../components/hot-key-table';
import { SampledTable } from '../components/sampled-table';
import { SnapshotPanel } from '../components/snapshot-panel';
import { TaskCharts } from '../components/task-charts';
import { duration } from '../format';
import type { Task } from '../wire';

export function TaskPage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  return (
    <TaskFrame kind="hot" {...props}>
      {(task) => <TaskBody task={task} />}
    </TaskFrame>
  );
}

function TaskBody(props: { readonly task: Task }) {
  const { task } = props;
  const lfu = task.analysis?.lfu;
  const keys = task.keys ?? [];
  // Without an LFU list (an instance without LFU counters) the measured ranking is the answer: it comes first.
  const sampledFirst = task.sampled !== undefined && keys.length === 0;
  const charted = keys.length > 0 || (task.prefixes ?? []).length > 0 || (task.shards ?? task.databases ?? []).length > 0;
  return (
    <>
      <p class="sub">
        {task.scan_type === 'auto' ? 'Daily analysis' : 'Manual analysis'}: {task.analysis?.scanned_keys.toLocaleString() ?? '?'} keys {task.snapshot !== undefined ? 'read from snapshots' : 'scanned'} in{' '}
        {duration(task.analysis?.duration_ms ?? 0)}, {task.num} hot keys.
        {lfu !== undefined
          ? ` LFU: lfu-log-factor ${lfu.log_factor}, lfu-decay-time ${lfu.decay_time} (${lfu.source})${lfu.ceiling_qps === null ? '.' : `; a counter of 255 means at least ${lfu.ceiling_qps} reads/s.`}`
          : ''}
      </p>
      <AdvicePanel advice={task.advice} id="advice-title" />
      {task.snapshot !== undefined ? <SnapshotPanel snapshot={task.snapshot} /> : null}
      {sampledFirst ? <SampledTable task={task} /> : null}
      {charted ? <TaskCharts task={task} /> : null}
      <HotKeyTable task={task} />
      {task.sampled !== undefined && !sampledFirst ? <SampledTable task={task} /> : null}
    </>
  );
}
