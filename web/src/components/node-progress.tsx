/**
 * Live per-node progress of a running task (progress.nodes of a hot or big key task). A family
 * without per-node progress (the expired key scan, offline analysis) says only that it runs.
 */
import type { Task } from '../wire';

export function NodeProgress(props: { readonly task: { readonly status: Task['status']; readonly progress?: Task['progress'] }; readonly running?: string }) {
  const nodes = props.task.progress?.nodes ?? [];
  if (props.task.status === 'waiting') return <p aria-live="polite">Waiting for a runner…</p>;
  if (props.running !== undefined) return <p aria-live="polite">{props.running}</p>;
  if (nodes.length === 0) return <p aria-live="polite">Starting…</p>;
  return (
    <ul class="progress-list" aria-live="polite">
      {nodes.map((n) => {
        const fraction = n.expected_keys === 0 ? 1 : Math.min(1, n.scanned_keys / n.expected_keys);
        return (
          <li key={n.node}>
            <label>
              <span class="mono">{n.node}</span>{' '}
              <progress max={1} value={fraction} aria-label={`${n.node} progress`} /> {n.scanned_keys.toLocaleString()} / {n.expected_keys.toLocaleString()} keys
            </label>
          </li>
        );
      })}
    </ul>
  );
}
