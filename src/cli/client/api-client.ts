/**
 * The client's only way to keyheat: the DCS REST API over HTTP (Node's fetch). Every answer is
 * checked against the wire schema the server itself answers with (src/wire), so the commands
 * work on typed bodies and a server of another kind is reported, not misread.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ErrorBody } from '../../wire/common-schemas.js';
import { InstanceBody, InstanceList, type RegisterInstanceBody } from '../../wire/instance-schemas.js';
import { BigTaskBody } from '../../wire/bigkey-schemas.js';
import { AutoscanConfig, TaskBody, TaskList } from '../../wire/task-schemas.js';
import type { TaskKind } from '../../domain/task-status.js';
import { ApiError, Interrupted, ServerUnreachable, shown, UnexpectedAnswer } from './client-errors.js';
import type { Connection } from './connection.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Bad gateway, unavailable, gateway timeout: what a load balancer says when its backends are down. */
const GATEWAY_ERRORS: ReadonlySet<number> = new Set([502, 503, 504]);

export type InstanceWire = Static<typeof InstanceBody>;
export type TaskWire = Static<typeof TaskBody>;
export type BigTaskWire = Static<typeof BigTaskBody>;
/** What the task commands need of a task of either kind. */
export type AnyTaskWire = TaskWire | BigTaskWire;
export type TaskListWire = Static<typeof TaskList>;
export type AutoscanWire = Static<typeof AutoscanConfig>;

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

  createTask(instanceId: string, pacing: Readonly<Record<string, number | boolean | string>>): Promise<TaskWire> {
    return this.call('POST', `/instances/${encodeURIComponent(instanceId)}/hotkey-task`, TaskBody, pacing);
  }

  createBigTask(instanceId: string, options: Readonly<Record<string, number | boolean | string>>): Promise<BigTaskWire> {
    return this.call('POST', `/instances/${encodeURIComponent(instanceId)}/bigkey-task`, BigTaskBody, options);
  }

  listTasks(instanceId: string, query: TaskQuery, kind: TaskKind = 'hot'): Promise<TaskListWire> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
    const suffix = search.size === 0 ? '' : `?${search.toString()}`;
    return this.call('GET', `/instances/${encodeURIComponent(instanceId)}/${kind}key-tasks${suffix}`, TaskList);
  }

  getTask(instanceId: string, taskId: string): Promise<TaskWire> {
    return this.call('GET', taskPath(instanceId, taskId, 'hot'), TaskBody);
  }

  getBigTask(instanceId: string, taskId: string): Promise<BigTaskWire> {
    return this.call('GET', taskPath(instanceId, taskId, 'big'), BigTaskBody);
  }

  /** A task of either kind, by kind. */
  getAnyTask(instanceId: string, taskId: string, kind: TaskKind): Promise<AnyTaskWire> {
    return kind === 'big' ? this.getBigTask(instanceId, taskId) : this.getTask(instanceId, taskId);
  }

  removeTask(instanceId: string, taskId: string, kind: TaskKind = 'hot'): Promise<AnyTaskWire> {
    return kind === 'big' ? this.call('DELETE', taskPath(instanceId, taskId, 'big'), BigTaskBody) : this.call('DELETE', taskPath(instanceId, taskId, 'hot'), TaskBody);
  }

  getAutoscan(instanceId: string, kind: TaskKind = 'hot'): Promise<AutoscanWire> {
    return this.call('GET', autoscanPath(instanceId, kind), AutoscanConfig);
  }

  putAutoscan(instanceId: string, enabled: boolean, times: readonly string[], kind: TaskKind = 'hot'): Promise<AutoscanWire> {
    return this.call('PUT', autoscanPath(instanceId, kind), AutoscanConfig, { enable_auto_scan: enabled, schedule_at: times });
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

function taskPath(instanceId: string, taskId: string, kind: TaskKind): string {
  return `/instances/${encodeURIComponent(instanceId)}/${kind}key-task/${encodeURIComponent(taskId)}`;
}

function autoscanPath(instanceId: string, kind: TaskKind): string {
  return `/instances/${encodeURIComponent(instanceId)}/${kind}key/autoscan`;
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
