/**
 * The dashboard's only way to the service: the public API, with the project's token. A 401
 * means the token expired or was revoked: the session ends and sign-in says why. The token's
 * role comes from the X-Keyheat-Access header of every answer.
 */
import type { DcsError } from './wire';

export interface Session {
  readonly projectId: string;
  readonly token: string;
  readonly readOnly: boolean;
}

const KEY = 'keyheat.session';

export function loadSession(): Session | null {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return parsed !== null && typeof parsed.projectId === 'string' && typeof parsed.token === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(session));
}

/** An answer other than 2xx, with the DCS error when the body is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }

  /** "DCS.4921: ..." as the API says it, or the HTTP status. */
  get shown(): string {
    return this.code === null ? this.message : `${this.code}: ${this.message}`;
  }
}

type Listener = (reason: string) => void;
let onSessionEnd: Listener = () => undefined;

/** Called once by the app: what to do when the token is refused. */
export function whenSessionEnds(listener: Listener): void {
  onSessionEnd = listener;
}

export interface Answer<T> {
  readonly body: T;
  readonly readOnly: boolean;
}

export async function call<T>(session: Pick<Session, 'projectId' | 'token'>, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const response = await fetch(`/v2/${encodeURIComponent(session.projectId)}${path}`, {
    method,
    headers: { 'X-Auth-Token': session.token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const parsed: unknown = text === '' ? null : safeJson(text);
  if (!response.ok) throw errorOf(response.status, parsed);
  return { body: parsed as T, readOnly: response.headers.get('X-Keyheat-Access') === 'read-only' };
}

/** Like call, for pages of a signed-in session: a refused token ends the session. */
export async function api<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  try {
    return (await call<T>(session, method, path, body)).body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) onSessionEnd(`The token was refused (${error.shown}). It may have expired or been revoked: sign in again.`);
    throw error;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  const dcs = body as Partial<DcsError> | null;
  if (dcs !== null && typeof dcs === 'object' && typeof dcs.error_code === 'string' && typeof dcs.error_msg === 'string') {
    return new ApiError(status, dcs.error_code, dcs.error_msg);
  }
  return new ApiError(status, null, `the service answered HTTP ${status}`);
}

/** A message for any failure of a call: the DCS error, or what went wrong on the way. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.status === 403 && error.code === 'DCS.3002' ? `This token is read-only: ${error.message}` : error.shown;
  if (error instanceof TypeError) return 'keyheat cannot be reached: is keyheat serve running?';
  return error instanceof Error ? error.message : String(error);
}
