import { DEFAULT_TLS, type RedisEndpoint, type RedisTls } from '../domain/instance.js';

/** A user name or password keyheat will not send: RESP is binary safe, line-protocol listeners are not. */
export class CredentialError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

const FORBIDDEN_IN_CREDENTIALS = /[\r\n\0]/;

/** What goes with a URL from elsewhere: a password kept out of it, TLS files, the Sentinels' password. */
export interface EndpointExtras {
  /** Overrides the password in the URL. */
  readonly password?: string | null | undefined;
  /** TLS settings; given for a redis:// URL, they turn TLS on (like rediss://). */
  readonly tls?: RedisTls | null | undefined;
  /** The Sentinels' own password (redis+sentinel:// only). */
  readonly sentinelPassword?: string | null | undefined;
}

/** Sentinels listed in one URL: more would only be a way to make keyheat connect everywhere. */
export const MAX_SENTINELS = 16;

/**
 * Parses `redis://[[user]:password@]host[:port][/db]`, `rediss://...` (TLS), and
 * `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master_name>[/db]` (and
 * `rediss+sentinel://`: TLS to the Sentinels and the data nodes). The db part is accepted and
 * ignored: an analysis always covers every database. The user and password are the data nodes';
 * the Sentinels' password comes apart (`sentinelPassword`).
 */
export function parseRedisUrl(url: string, extras: EndpointExtras = {}): RedisEndpoint {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis+sentinel' || scheme === 'rediss+sentinel') return parseSentinelUrl(url, scheme, extras);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('expected redis://host:port, rediss://host:port or redis+sentinel://host:port/<master_name>');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`unsupported scheme ${parsed.protocol.replace(/:$/, '')}: use redis://, rediss:// or redis+sentinel://`);
  }
  if (parsed.hostname === '') throw new TypeError('the URL has no host');
  if (parsed.search !== '' || parsed.hash !== '') throw new TypeError('query strings and fragments are not supported');
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new TypeError(`unexpected path /${path}: only a database number may follow the port`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!Number.isInteger(port) || port < 1) throw new TypeError('the port must be 1 to 65535');
  if (extras.sentinelPassword != null) throw new TypeError('a Sentinel password goes with a redis+sentinel:// URL only');
  const credentials = userInfo(parsed.username, parsed.password, extras);
  return { host, port, tls: tlsOf(parsed.protocol === 'rediss:', extras), ...credentials, sentinel: null };
}

function parseSentinelUrl(url: string, scheme: string, extras: EndpointExtras): RedisEndpoint {
  const rest = url.slice(scheme.length + 3);
  if (/[?#]/.test(rest)) throw new TypeError('query strings and fragments are not supported');
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1);
  const at = authority.lastIndexOf('@');
  const info = at === -1 ? '' : authority.slice(0, at);
  const hostList = at === -1 ? authority : authority.slice(at + 1);
  const [masterName = '', db, extra] = path.split('/');
  if (masterName === '') throw new TypeError('a redis+sentinel:// URL names the master after the hosts: redis+sentinel://host:26379/<master_name>');
  if ((db !== undefined && db !== '' && !/^\d+$/.test(db)) || extra !== undefined) throw new TypeError('only a database number may follow the master name');
  const name = decodePart(masterName, 'master name');
  if (!/^[\x20-\x7e]{1,128}$/.test(name)) throw new TypeError('the master name must be 1 to 128 printable ASCII characters');
  const hosts = hostList.split(',');
  if (hosts.length > MAX_SENTINELS) throw new TypeError(`at most ${MAX_SENTINELS} Sentinels may be listed`);
  const nodes = hosts.map((h) => sentinelHost(h));
  const colon = info.indexOf(':');
  const credentials = userInfo(colon === -1 ? info : info.slice(0, colon), colon === -1 ? '' : info.slice(colon + 1), extras);
  const sentinelPassword = extras.sentinelPassword ?? null;
  checkCredential(sentinelPassword, 'Sentinel password');
  const first = nodes[0] as { host: string; port: number };
  return {
    host: first.host,
    port: first.port,
    tls: tlsOf(scheme === 'rediss+sentinel', extras),
    ...credentials,
    sentinel: { masterName: name, nodes, password: sentinelPassword === '' ? null : sentinelPassword },
  };
}

/** `host[:port]` or `[v6][:port]` of a Sentinel; the port defaults to 26379. */
function sentinelHost(text: string): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text);
  if (match === null) throw new TypeError(`"${text.slice(0, 64)}" is not host:port`);
  const port = match[2] === undefined ? 26379 : Number(match[2]);
  if (port < 1 || port > 65_535) throw new TypeError('the port must be 1 to 65535');
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

function userInfo(user: string, password: string, extras: EndpointExtras): { username: string | null; password: string | null } {
  const urlPassword = password === '' ? null : decodeCredential(password, 'password');
  const username = user === '' ? null : decodeCredential(user, 'user name');
  const effective = extras.password ?? urlPassword;
  checkCredential(username, 'user name');
  checkCredential(effective, 'password');
  return { username, password: effective };
}

function tlsOf(schemeTls: boolean, extras: EndpointExtras): RedisTls | null {
  if (extras.tls != null) return extras.tls;
  return schemeTls ? DEFAULT_TLS : null;
}

function decodePart(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError(`the ${what} in the URL is not valid percent-encoding`);
  }
}

function decodeCredential(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new CredentialError(`the ${what} in the URL is not valid percent-encoding`);
  }
}

/** Refuses CR, LF and NUL: a server that reads lines would take what follows as another command. */
export function checkCredential(value: string | null, what: string): void {
  if (value !== null && FORBIDDEN_IN_CREDENTIALS.test(value)) throw new CredentialError(`the ${what} may not contain CR, LF or NUL characters`);
}

/** The URL without credentials, safe to show and log. */
export function redactedUrl(endpoint: RedisEndpoint): string {
  const bracket = (host: string): string => (host.includes(':') ? `[${host}]` : host);
  const sentinel = endpoint.sentinel ?? null;
  if (sentinel !== null) {
    const hosts = sentinel.nodes.map((n) => `${bracket(n.host)}:${n.port}`).join(',');
    return `${endpoint.tls === null ? 'redis' : 'rediss'}+sentinel://${hosts}/${encodeURIComponent(sentinel.masterName)}`;
  }
  return `${endpoint.tls === null ? 'redis' : 'rediss'}://${bracket(endpoint.host)}:${endpoint.port}`;
}
