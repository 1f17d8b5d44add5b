/**
 * The client's only way to keyheat: the DCS REST API over HTTP (Node's fetch). Every answer is
 * checked against the wire schema the server itself answers with (src/wire), so the commands
 * work on typed bodies and a server of another kind is reported, not misread.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { kindSpec } from '../../domain/task-kinds.js';
import type { TaskKind } from '../../domain/task-status.js';
import { BigTaskBody } from '../../wire/bigkey-schemas.js';
import { ErrorBody } from '../../wire/common-schemas.js';
import { ExpireAutoscanConfig, ExpireHistories, ExpireRecord, ExpireTaskBody, ScanTask, type ExpireAutoscanRequest } from '../../wire/expire-schemas.js';
import { InstanceBody, InstanceList, type RegisterInstanceBody } from '../../wire/instance-schemas.js';
import { Backups, OfflineCreated, OfflineDeleted, OfflineList, OfflineNodes, OfflineTask } from '../../wire/offline-schemas.js';
import { AutoscanConfig, TaskBody, TaskList } from '../../wire/task-schemas.js';
import { ApiError, Interrupted, ServerUnreachable, shown, UnexpectedAnswer } from './client-errors.js';
import type { Connection } from './connection.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Bad gateway, unavailable, gateway timeout: what a load balancer says when its backends are down. */
const GATEWAY_ERRORS: ReadonlySet<number> = new Set([502, 503, 504]);

export type InstanceWire = Static<typeof InstanceBody>;
export type TaskWire = Static<typeof TaskBody>;
export type BigTaskWire = Static<typeof BigTaskBody>;
export type ExpireTaskWire = Static<typeof ExpireTaskBody>;
export type OfflineTaskWire = Static<typeof OfflineTask>;
export type TaskListWire = Static<typeof TaskList>;
export type ExpireListWire = Static<typeof ExpireHistories>;
export type OfflineListWire = Static<typeof OfflineList>;
export type AutoscanWire = Static<typeof AutoscanConfig>;
export type ExpireAutoscanWire = Static<typeof ExpireAutoscanConfig>;
export type ExpireAutoscanBody = Static<typeof ExpireAutoscanRequest>;
export type OfflineNodesWire = Static<typeof OfflineNodes>;
export type BackupsWire = Static<typeof Backups>;

/** A task of each kind as the API reads it back (GET of one task). */
export interface KindTasks {
  readonly hot: TaskWire;
  readonly big: BigTaskWire;
  readonly expire: ExpireTaskWire;
  readonly offline: OfflineTaskWire;
}

/** A page of each kind's list. */
export interface KindLists {
  readonly hot: TaskListWire;
  readonly big: TaskListWire;
  readonly expire: ExpireListWire;
  readonly offline: OfflineListWire;
}

/** A task of any kind. */
export type AnyTaskWire = KindTasks[TaskKind];

/**
 * The answers of each kind's calls: its task, a page of its list, what its create and its
 * delete answer (DCS's expired key scan answers the new scan without its report, offline key
 * analysis only the new id; deleting either answers less than the task).
 */
const KIND_WIRE = {
  hot: { task: TaskBody, list: TaskList, created: TaskBody, deleted: TaskBody },
  big: { task: BigTaskBody, list: TaskList, created: BigTaskBody, deleted: BigTaskBody },
  expire: { task: ExpireTaskBody, list: ExpireHistories, created: ScanTask, deleted: ExpireRecord },
  offline: { task: OfflineTask, list: OfflineList, created: OfflineCreated, deleted: OfflineDeleted },
} as const;

/** Whether the API reports a running task's progress for the kind (per node keys scanned). */
export function hasProgress(kind: TaskKind): boolean {
  return 'progress' in KIND_WIRE[kind].task.properties;
}

/** What a delete answers: the task as it was (hot, big, expire) or only its id (offline). */
export type DeletedWire = Static<(typeof KIND_WIRE)[TaskKind]['deleted']>;

/** The registration body (RegisterInstanceBody). */
export type RegisterRequest = Static<typeof RegisterInstanceBody>;

export interface TaskQuery {
  readonly offset?: number;
  readonly limit?: number;
  readonly status?: string;
}

export class ApiClient {
  constructor(
    private readonly connection: Connection,
    /** Ctrl-C: aborts the request in flight. */
    private readonly signal: AbortSignal,
  ) {}

  listInstances(): Promise<Static<typeof InstanceList>> {
    return this.call('GET', '/instances', InstanceList);
  }

  addInstance(request: RegisterRequest): Promise<InstanceWire> {
    return this.call('POST', '/instances', InstanceBody, request);
  }

  getInstance(instanceId: string): Promise<InstanceWire> {
    return this.call('GET', `/instances/${encodeURIComponent(instanceId)}`, InstanceBody);
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.exchange('DELETE', `/instances/${encodeURIComponent(instanceId)}`);
  }

  /** Creates a task of `kind` and reads it back whole (the create answers of the expired key scan and offline analysis are partial). */
  async createTask<K extends TaskKind>(instanceId: string, kind: K, body: Readonly<Record<string, number | boolean | string>>): Promise<KindTasks[K]> {
    const created: Static<(typeof KIND_WIRE)[TaskKind]['created']> = await this.call('POST', `${instancePath(instanceId)}/${kindSpec(kind).dcs.create}`, KIND_WIRE[kind].created, body);
    if ('task_id' in created) return this.getTask(instanceId, created.task_id, kind);
    if (kind === 'expire') return this.getTask(instanceId, created.id, kind);
    return created as KindTasks[K];
  }

  listTasks<K extends TaskKind>(instanceId: string, query: TaskQuery, kind: K): Promise<KindLists[K]> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
    const suffix = search.size === 0 ? '' : `?${search.toString()}`;
    return this.call('GET', `${instancePath(instanceId)}/${kindSpec(kind).dcs.list}${suffix}`, KIND_WIRE[kind].list) as Promise<KindLists[K]>;
  }

  getTask<K extends TaskKind>(instanceId: string, taskId: string, kind: K): Promise<KindTasks[K]> {
    return this.call('GET', taskPath(instanceId, taskId, kind), KIND_WIRE[kind].task) as Promise<KindTasks[K]>;
  }

  removeTask(instanceId: string, taskId: string, kind: TaskKind): Promise<DeletedWire> {
    return this.call('DELETE', taskPath(instanceId, taskId, kind), KIND_WIRE[kind].deleted);
  }

  /** The nodes an offline analysis may read (GET .../offline/key-analysis/{task_id}/nodes). */
  offlineNodes(instanceId: string, taskId: string): Promise<OfflineNodesWire> {
    return this.call('GET', `${taskPath(instanceId, taskId, 'offline')}/nodes`, OfflineNodes);
  }

  /** The saved RDB files offline analyses may read (GET .../backups, keyheat's). */
  backups(instanceId: string): Promise<BackupsWire> {
    return this.call('GET', `${instancePath(instanceId)}/backups`, Backups);
  }

  /** A daily schedule (hot and big keys). */
  getAutoscan(instanceId: string, kind: TaskKind = 'hot'): Promise<AutoscanWire> {
    return this.call('GET', autoscanPath(instanceId, kind), AutoscanConfig);
  }

  putAutoscan(instanceId: string, enabled: boolean, times: readonly string[], kind: TaskKind = 'hot'): Promise<AutoscanWire> {
    return this.call('PUT', autoscanPath(instanceId, kind), AutoscanConfig, { enable_auto_scan: enabled, schedule_at: times });
  }

  /** The expired key scan's schedule (DCS's autoscan-config, in seconds). */
  getExpireAutoscan(instanceId: string): Promise<ExpireAutoscanWire> {
    return this.call('GET', autoscanPath(instanceId, 'expire'), ExpireAutoscanConfig);
  }

  putExpireAutoscan(instanceId: string, body: ExpireAutoscanBody): Promise<ExpireAutoscanWire> {
    return this.call('PUT', autoscanPath(instanceId, 'expire'), ExpireAutoscanConfig, body);
  }

  private async call<T extends TSchema>(method: Method, path: string, schema: T, body?: unknown): Promise<Static<T>> {
    const { status, json } = await this.exchange(method, path, body);
    if (!Value.Check(schema, json)) throw new UnexpectedAnswer(`${this.connection.server} answered ${method} ${path} with HTTP ${status} and a body that is not keyheat's`);
    return json;
  }

  /** One request; a DCS error becomes an ApiError, no answer a ServerUnreachable. */
  private async exchange(method: Method, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const { server, project, token, timeoutMs } = this.connection;
    const url = `${server}/v2/${encodeURIComponent(project)}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { 'x-auth-token': token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // A redirect is not followed: fetch would send X-Auth-Token on to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.any([this.signal, AbortSignal.timeout(timeoutMs)]),
      });
      text = await response.text();
    } catch (error) {
      throw this.noAnswer(error);
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      throw new UnexpectedAnswer(`${server} answered with a redirect${location === null ? '' : ` to ${shown(location)}`}; give keyheat's own address as --server`);
    }
    const json = parseJson(text);
    if (response.status < 300) return { status: response.status, json };
    if (Value.Check(ErrorBody, json)) throw new ApiError(response.status, json, response.headers.get('x-request-id'));
    // A proxy in front answering for a keyheat that does not: as good as no answer.
    if (GATEWAY_ERRORS.has(response.status)) throw new ServerUnreachable(`${server} answered HTTP ${response.status}: no keyheat is answering behind it`);
    throw new UnexpectedAnswer(`${server} answered ${method} ${path} with HTTP ${response.status}, not a DCS error (is --server a keyheat?)`);
  }

  private noAnswer(error: unknown): Error {
    if (this.signal.aborted) return new Interrupted();
    const { server, timeoutMs } = this.connection;
    if (error instanceof DOMException && error.name === 'TimeoutError') return new ServerUnreachable(`keyheat at ${server} did not answer within ${timeoutMs} ms`);
    return new ServerUnreachable(`cannot reach keyheat at ${server} (${reasonOf(error)}); is keyheat serve running there?`);
  }
}

function instancePath(instanceId: string): string {
  return `/instances/${encodeURIComponent(instanceId)}`;
}

/** One task of a kind: its DCS item path and the id. */
function taskPath(instanceId: string, taskId: string, kind: TaskKind): string {
  return `${instancePath(instanceId)}/${kindSpec(kind).dcs.item}/${encodeURIComponent(taskId)}`;
}

function autoscanPath(instanceId: string, kind: TaskKind): string {
  const path = kindSpec(kind).dcs.autoscan;
  if (path === null) throw new Error(`${kindSpec(kind).label} has no schedule`);
  return `${instancePath(instanceId)}/${path}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch says only "fetch failed"; the system's reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
function reasonOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const message = cause instanceof Error ? cause.message : undefined;
    const reason = code ?? message;
    if (reason !== undefined && reason !== '') return shown(reason);
  }
  return shown(error instanceof Error ? error.message : String(error));
}
