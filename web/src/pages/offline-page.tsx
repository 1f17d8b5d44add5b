/**
 * One offline analysis: the node and RDB it read, the totals, the bytes and keys per type, the
 * largest keys and prefixes, the hot keys of the same pass where the RDB carries LFU counters,
 * what a fresh RDB cost the node, export and delete.
 */
import type { Session } from '../api';
import { AdvicePanel, TaskFrame } from '../components/task-frame';
import { HotKeyTable } from '../components/hot-key-table';
import { LargestKeysTable, LargestPrefixesTable, OfflineCharts } from '../components/offline-report';
import { SnapshotPanel } from '../components/snapshot-panel';
import { bytes } from '../format';
import type { OfflineTask } from '../wire';

export function OfflinePage(props: { readonly session: Session; readonly instanceId: string; readonly taskId: string }) {
  return (
    <TaskFrame kind="offline" {...props} context={(task) => <p class="sub">Node {sourceOf(task)}.</p>}>
      {(task) => <OfflineBody task={task} />}
    </TaskFrame>
  );
}

/** The node and the RDB, in words: "127.0.0.1:6379, primary of shard single; a fresh RDB". */
function sourceOf(task: OfflineTask): string {
  const role = task.node_type === 'slave' ? 'replica' : task.node_type === 'master' ? 'primary' : null;
  const node = `${task.node_id}${role === null ? '' : `, ${role}`}${task.group_name === undefined ? '' : ` of ${task.group_name}`}`;
  return `${node}; ${task.analysis_type === 'old_backup' ? `the saved backup ${task.backup_id ?? ''}` : 'a fresh RDB from the node'}`;
}

function OfflineBody(props: { readonly task: OfflineTask }) {
  const { task } = props;
  const hot = task.hot_keys ?? [];
  return (
    <>
      <dl class="stats">
        <div>
          <dt>Keys</dt>
          <dd>{(task.total_num ?? 0).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Bytes in the RDB</dt>
          <dd title={`${(task.total_bytes ?? 0).toLocaleString()} bytes`}>{bytes(task.total_bytes ?? 0)}</dd>
        </div>
        <div>
          <dt>Types</dt>
          <dd>{(task.type_num ?? []).filter((t) => t.num > 0).length}</dd>
        </div>
      </dl>
      <p class="sub">Bytes are what the keys take in the RDB (their serialised values and names), not their memory in Redis.</p>
      <AdvicePanel advice={task.advice} id="offline-advice-title" />
      <LargestKeysTable task={task} />
      <OfflineCharts task={task} />
      <LargestPrefixesTable task={task} />
      {hot.length > 0 ? <HotKeyTable task={{ keys: hot }} /> : null}
      {hot.length === 0 && task.hot_keys_skipped !== undefined ? <p class="notice">No hot keys: {task.hot_keys_skipped}</p> : null}
      {task.snapshot !== undefined ? <SnapshotPanel snapshot={task.snapshot} /> : null}
    </>
  );
}
