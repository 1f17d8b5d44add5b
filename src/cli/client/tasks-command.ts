/** `keyheat tasks create|list|show|rm`: hot key analysis tasks (big key ones with --big), over the API. */
import { SCAN_EXIT } from '../../domain/failure-map.js';
import { isTaskStatus, TASK_STATUSES } from '../../domain/task-status.js';
import { ListTasksQuery } from '../../wire/task-schemas.js';
import { optionalNumeric } from '../flag-values.js';
import { UsageError } from '../usage-error.js';
import type { TaskKind } from '../../domain/task-status.js';
import type { AnyTaskWire, BigTaskWire, TaskQuery, TaskWire } from './api-client.js';
import { exitCodeOfFailureText, shown } from './client-errors.js';
import { TASKS_CREATE_HELP, TASKS_HELP, TASKS_LIST_HELP, TASKS_RM_HELP, TASKS_SHOW_HELP } from './client-help.js';
import { formatBigResult, formatResult, formatTask, formatTaskList } from './client-output.js';
import { OPTION_FLAGS, optionsFromFlags } from './pacing-flags.js';
import { runGroup, type ClientIo, type CommandContext, type CommandGroup } from './run-client.js';
import { waitForTask } from './task-wait.js';

/** The list's paging ranges, read from the route's own query schema. */
const OFFSET = { min: ListTasksQuery.properties.offset.minimum ?? 0, max: ListTasksQuery.properties.offset.maximum ?? Number.MAX_SAFE_INTEGER, integer: true };
const LIMIT = { min: ListTasksQuery.properties.limit.minimum ?? 1, max: ListTasksQuery.properties.limit.maximum ?? 1000, integer: true };

const TASKS: CommandGroup = {
  name: 'tasks',
  help: TASKS_HELP,
  subcommands: [
    { name: 'create', help: TASKS_CREATE_HELP, options: { wait: { type: 'boolean' }, big: { type: 'boolean' }, ...OPTION_FLAGS }, args: ['instance_id'], run: create },
    {
      name: 'list',
      help: TASKS_LIST_HELP,
      options: { status: { type: 'string' }, offset: { type: 'string' }, limit: { type: 'string' }, big: { type: 'boolean' } },
      args: ['instance_id'],
      run: async ({ api, io, json, flags, usage, args: [instanceId = ''] }) => {
        const query = taskQuery(flags.string('status'), flags.string('offset'), flags.string('limit'), usage);
        const list = await api.listTasks(instanceId, query, kindOf(flags));
        io.stdout.write(json ? `${JSON.stringify(list)}\n` : formatTaskList(list, query.offset ?? 0));
        return SCAN_EXIT.ok;
      },
    },
    { name: 'show', help: TASKS_SHOW_HELP, options: { big: { type: 'boolean' } }, args: ['instance_id', 'task_id'], run: show },
    {
      name: 'rm',
      help: TASKS_RM_HELP,
      options: { big: { type: 'boolean' } },
      args: ['instance_id', 'task_id'],
      run: async ({ api, io, json, flags, args: [instanceId = '', taskId = ''] }) => {
        const task = await api.removeTask(instanceId, taskId, kindOf(flags));
        const stopped = task.status === 'running' ? ' (its analysis was stopped)' : task.status === 'waiting' ? ' (it had not started)' : '';
        io.stdout.write(json ? `${JSON.stringify(task)}\n` : `Task ${shown(task.id)} deleted${stopped}.\n`);
        return SCAN_EXIT.ok;
      },
    },
  ],
};

export function tasksCommand(args: readonly string[], io?: ClientIo): Promise<number> {
  return runGroup(TASKS, args, io);
}

/** --big: the big key family. */
function kindOf(flags: CommandContext['flags']): TaskKind {
  return flags.boolean('big') ? 'big' : 'hot';
}

async function create(context: CommandContext): Promise<number> {
  const { api, io, json, flags, usage, args: [instanceId = ''] } = context;
  const kind = kindOf(flags);
  const body = optionsFromFlags(flags, kind, usage);
  const created = kind === 'big' ? await api.createBigTask(instanceId, body) : await api.createTask(instanceId, body);
  if (!flags.boolean('wait')) {
    const follow = `Follow it with: keyheat tasks show ${shown(instanceId)} ${shown(created.id)}${kind === 'big' ? ' --big' : ''} (or create it with --wait)\n`;
    io.stdout.write(json ? `${JSON.stringify(created)}\n` : `${formatTask(created)}${follow}`);
    return SCAN_EXIT.ok;
  }
  return finished(context, await waitForTask<AnyTaskWire>(context, created, kind), kind);
}

/** A waited-for task: its keys, or why it failed with the exit code `keyheat scan` gives that failure. */
async function finished({ api, io, json }: CommandContext, task: AnyTaskWire, kind: TaskKind): Promise<number> {
  if (task.status === 'failed') {
    if (json) io.stdout.write(`${JSON.stringify(task)}\n`);
    io.stderr.write(`keyheat: task ${shown(task.id)} failed: ${shown(task.error_msg ?? 'no reason recorded')}\n`);
    return exitCodeOfFailureText(task.error_msg);
  }
  if (json) {
    io.stdout.write(`${JSON.stringify(task)}\n`);
    return SCAN_EXIT.ok;
  }
  // The table needs the instance's mode (a shard column for a cluster) and names it.
  const instance = await api.getInstance(task.instance_id);
  io.stdout.write(resultOf(task, kind, instance) ?? formatTask(task));
  return SCAN_EXIT.ok;
}

function resultOf(task: AnyTaskWire, kind: TaskKind, instance: Awaited<ReturnType<CommandContext['api']['getInstance']>>): string | null {
  return kind === 'big' ? formatBigResult(task as BigTaskWire, instance) : formatResult(task as TaskWire, instance);
}

async function show({ api, io, json, flags, args: [instanceId = '', taskId = ''] }: CommandContext): Promise<number> {
  const kind = kindOf(flags);
  const task = await api.getAnyTask(instanceId, taskId, kind);
  if (json) {
    io.stdout.write(`${JSON.stringify(task)}\n`);
    return SCAN_EXIT.ok;
  }
  const result = task.status === 'success' ? resultOf(task, kind, await api.getInstance(instanceId)) : null;
  io.stdout.write(result === null ? formatTask(task) : `${formatTask(task)}\n${result}`);
  return SCAN_EXIT.ok;
}

function taskQuery(status: string | undefined, offset: string | undefined, limit: string | undefined, usage: string): TaskQuery {
  if (status !== undefined && !isTaskStatus(status)) throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')}, got "${shown(status)}"`, usage);
  return {
    ...(status === undefined ? {} : { status }),
    ...optionalEntry('offset', optionalNumeric(offset, '--offset', OFFSET)),
    ...optionalEntry('limit', optionalNumeric(limit, '--limit', LIMIT)),
  };
}

function optionalEntry<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
