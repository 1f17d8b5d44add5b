/**
 * `keyheat tasks create|list|show|rm|nodes|backups`: analysis tasks over the API, of every kind
 * (kind-flags.ts): hot keys by default, --big, --expired (the expired key scan), --offline
 * (offline key analysis); `nodes` and `backups` list what an offline analysis may read.
 */
import { SCAN_EXIT } from '../../domain/failure-map.js';
import { isTaskStatus, TASK_STATUSES, type TaskKind } from '../../domain/task-status.js';
import { ListTasksQuery } from '../../wire/task-schemas.js';
import { optionalNumeric } from '../flag-values.js';
import { UsageError } from '../usage-error.js';
import type { AnyTaskWire, TaskQuery } from './api-client.js';
import { exitCodeOfFailureText, shown } from './client-errors.js';
import { TASKS_BACKUPS_HELP, TASKS_CREATE_HELP, TASKS_HELP, TASKS_LIST_HELP, TASKS_NODES_HELP, TASKS_RM_HELP, TASKS_SHOW_HELP } from './client-help.js';
import { formatBackups, formatKindResult, formatOfflineNodes, formatTask, formatTaskList } from './client-output.js';
import { kindOf, kindOptions, kindSuffix } from './kind-flags.js';
import { OPTION_FLAGS, optionsFromFlags } from './pacing-flags.js';
import { runGroup, type ClientIo, type CommandContext, type CommandGroup } from './run-client.js';
import { waitForTask } from './task-wait.js';

/** The list's paging ranges, read from the route's own query schema. */
const OFFSET = { min: ListTasksQuery.properties.offset.minimum ?? 0, max: ListTasksQuery.properties.offset.maximum ?? Number.MAX_SAFE_INTEGER, integer: true };
const LIMIT = { min: ListTasksQuery.properties.limit.minimum ?? 1, max: ListTasksQuery.properties.limit.maximum ?? 1000, integer: true };

const KINDS = kindOptions();

const TASKS: CommandGroup = {
  name: 'tasks',
  help: TASKS_HELP,
  subcommands: [
    { name: 'create', help: TASKS_CREATE_HELP, options: { wait: { type: 'boolean' }, ...KINDS, ...OPTION_FLAGS }, args: ['instance_id'], run: create },
    {
      name: 'list',
      help: TASKS_LIST_HELP,
      options: { status: { type: 'string' }, offset: { type: 'string' }, limit: { type: 'string' }, ...KINDS },
      args: ['instance_id'],
      run: async ({ api, io, json, flags, usage, args: [instanceId = ''] }) => {
        const query = taskQuery(flags.string('status'), flags.string('offset'), flags.string('limit'), usage);
        const list = await api.listTasks(instanceId, query, kindOf(flags, usage));
        io.stdout.write(json ? `${JSON.stringify(list)}\n` : formatTaskList(list, query.offset ?? 0));
        return SCAN_EXIT.ok;
      },
    },
    { name: 'show', help: TASKS_SHOW_HELP, options: { ...KINDS }, args: ['instance_id', 'task_id'], run: show },
    {
      name: 'rm',
      help: TASKS_RM_HELP,
      options: { ...KINDS },
      args: ['instance_id', 'task_id'],
      run: async ({ api, io, json, flags, usage, args: [instanceId = '', taskId = ''] }) => {
        const deleted = await api.removeTask(instanceId, taskId, kindOf(flags, usage));
        // Offline analysis's delete answers only the id.
        const status = 'status' in deleted ? deleted.status : null;
        const stopped = status === 'running' ? ' (its analysis was stopped)' : status === 'waiting' ? ' (it had not started)' : '';
        io.stdout.write(json ? `${JSON.stringify(deleted)}\n` : `Task ${shown('id' in deleted ? deleted.id : deleted.task_id)} deleted${stopped}.\n`);
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'nodes',
      help: TASKS_NODES_HELP,
      options: {},
      args: ['instance_id', 'task_id'],
      run: async ({ api, io, json, args: [instanceId = '', taskId = ''] }) => {
        const nodes = await api.offlineNodes(instanceId, taskId);
        io.stdout.write(json ? `${JSON.stringify(nodes)}\n` : formatOfflineNodes(nodes));
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'backups',
      help: TASKS_BACKUPS_HELP,
      options: {},
      args: ['instance_id'],
      run: async ({ api, io, json, args: [instanceId = ''] }) => {
        const backups = await api.backups(instanceId);
        io.stdout.write(json ? `${JSON.stringify(backups)}\n` : formatBackups(backups));
        return SCAN_EXIT.ok;
      },
    },
  ],
};

export function tasksCommand(args: readonly string[], io?: ClientIo): Promise<number> {
  return runGroup(TASKS, args, io);
}

async function create(context: CommandContext): Promise<number> {
  const { api, io, json, flags, usage, args: [instanceId = ''] } = context;
  const kind = kindOf(flags, usage);
  const body = optionsFromFlags(flags, kind, usage);
  const created = await api.createTask(instanceId, kind, body);
  if (!flags.boolean('wait')) {
    const follow = `Follow it with: keyheat tasks show ${shown(instanceId)} ${shown(created.id)}${kindSuffix(kind)} (or create it with --wait)\n`;
    io.stdout.write(json ? `${JSON.stringify(created)}\n` : `${formatTask(created, kind)}${follow}`);
    return SCAN_EXIT.ok;
  }
  return finished(context, await waitForTask(context, created, kind), kind);
}

/** A waited-for task: its result, or why it failed with the exit code `keyheat scan` gives that failure. */
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
  io.stdout.write(formatKindResult(task, kind, instance) ?? formatTask(task, kind));
  return SCAN_EXIT.ok;
}

async function show({ api, io, json, flags, usage, args: [instanceId = '', taskId = ''] }: CommandContext): Promise<number> {
  const kind = kindOf(flags, usage);
  const task = await api.getTask(instanceId, taskId, kind);
  if (json) {
    io.stdout.write(`${JSON.stringify(task)}\n`);
    return SCAN_EXIT.ok;
  }
  const result = task.status === 'success' ? formatKindResult(task, kind, await api.getInstance(instanceId)) : null;
  io.stdout.write(result === null ? formatTask(task, kind) : `${formatTask(task, kind)}\n${result}`);
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
