/**
 * `tasks create --wait`: polls the task until it ends, with a progress line on stderr when it is
 * a terminal. The analysis runs in the service; leaving (Ctrl-C) does not stop it.
 */
import { ERROR_CATALOGUE } from '../../domain/errors.js';
import { SCAN_EXIT } from '../../domain/failure-map.js';
import { kindSpec } from '../../domain/task-kinds.js';
import type { TaskKind } from '../../domain/task-status.js';
import { hasProgress, type AnyTaskWire, type KindTasks } from './api-client.js';
import { ApiError, CommandFailure, Interrupted, ServerUnreachable, shown } from './client-errors.js';
import { progressNodes, progressOf } from './client-output.js';
import { kindSuffix } from './kind-flags.js';
import type { CommandContext } from './run-client.js';

/** The service records progress once a second; twice as often shows each step without lag. */
const POLL_MS = 500;
/** A poll that gets no answer is tried again this often before giving up: a keyheat restarting behind a load balancer. */
const MAX_MISSED_POLLS = 5;

export function isFinished(task: AnyTaskWire): boolean {
  return task.status === 'success' || task.status === 'failed';
}

/** The task once it succeeded or failed. Throws Interrupted on Ctrl-C, CommandFailure if it is deleted meanwhile. */
export async function waitForTask<K extends TaskKind>(context: CommandContext, created: KindTasks[K], kind: K): Promise<KindTasks[K]> {
  const line = context.io.stderr.isTTY === true ? progressLine(context.io.stderr, hasProgress(kind)) : null;
  let task = created;
  // The task was recorded just before its creation was answered: the difference between the
  // clocks, so the rate is measured from the analysis's start on this machine's clock.
  const skew = Date.now() - Date.parse(created.created_at);
  let missed = 0;
  try {
    while (!isFinished(task)) {
      line?.show(task, task.started_at === undefined ? Date.now() : Date.parse(task.started_at) + skew);
      await sleep(POLL_MS, context.signal);
      try {
        task = await context.api.getTask(task.instance_id, task.id, kind);
        missed = 0;
      } catch (error) {
        if (error instanceof ServerUnreachable && ++missed < MAX_MISSED_POLLS) continue;
        throw explained(error, task, kind);
      }
    }
  } catch (error) {
    if (error instanceof Interrupted) throw new Interrupted(`stopped waiting; task ${shown(task.id)} goes on in keyheat (keyheat tasks rm ${shown(task.instance_id)} ${shown(task.id)}${kindSuffix(kind)} stops it)`);
    throw error;
  } finally {
    line?.clear();
  }
  return task;
}

/**
 * A task deleted while it was waited for is a failure of its own, said in words. The kind's
 * "unknown id" answer says so (for the expired key scan and offline analysis, DCS's generic
 * DCS.4800 naming the id's parameter).
 */
function explained(error: unknown, task: AnyTaskWire, kind: TaskKind): unknown {
  const { errors, dcs } = kindSpec(kind);
  const gone = error instanceof ApiError && error.body.error_code === ERROR_CATALOGUE[errors.notFound].dcsCode && (kind === 'hot' || kind === 'big' || error.body.error_msg.includes(dcs.idParam));
  if (gone) return new CommandFailure(`task ${shown(task.id)} was deleted while it was waited for`, SCAN_EXIT.failure);
  return error;
}

function progressLine(stderr: NodeJS.WritableStream, withProgress: boolean): { show: (task: AnyTaskWire, startedAt: number) => void; clear: () => void } {
  let drawn = false;
  let last = '';
  return {
    show: (task, startedAt) => {
      // The service records progress once a second: redrawn between two records, the rate
      // (keys so far over time so far) would sag; it is redrawn when the count moves.
      // Kinds without progress (the API gives none for them) show the seconds they have run.
      const seconds = Math.max(0, Math.floor((Date.now() - startedAt) / 1000));
      const state = `${task.status} ${withProgress ? (progressNodes(task) ?? []).map((n) => n.scanned_keys).join(',') : seconds}`;
      if (state === last) return;
      last = state;
      const text =
        task.status === 'waiting' ? `task ${shown(task.id)}: waiting for a runner` : withProgress ? progressOf(task, Date.now(), startedAt) : `task ${shown(task.id)}: running for ${seconds} s`;
      // \x1b[K: the previous line may have been longer.
      stderr.write(`\r\x1b[K${text}`);
      drawn = true;
    },
    clear: () => {
      if (drawn) stderr.write('\r\x1b[K');
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted());
    const done = (): void => {
      signal.removeEventListener('abort', abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}
