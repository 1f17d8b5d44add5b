import type { RedisEndpoint } from '../domain/instance.js';

/** A user name or password keyheat will not send: RESP is binary safe, line-protocol listeners are not. */
export class CredentialError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

const FORBIDDEN_IN_CREDENTIALS = /[\r\n\0]/;

/**
 * Parses `redis://[[user]:password@]host[:port][/db]` and `rediss://...` (TLS). The db part is
 * accepted and ignored: an analysis always covers every database. A separate `password`
 * overrides the one in the URL.
 */
export function parseRedisUrl(url: string, password?: string | null): RedisEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('expected redis://host:port or rediss://host:port');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`unsupported scheme ${parsed.protocol.replace(/:$/, '')}: use redis:// or rediss://`);
  }
  if (parsed.hostname === '') throw new TypeError('the URL has no host');
  if (parsed.search !== '' || parsed.hash !== '') throw new TypeError('query strings and fragments are not supported');
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new TypeError(`unexpected path /${path}: only a database number may follow the port`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!Number.isInteger(port) || port < 1) throw new TypeError('the port must be 1 to 65535');
  const urlPassword = parsed.password === '' ? null : decodeCredential(parsed.password, 'password');
  const username = parsed.username === '' ? null : decodeCredential(parsed.username, 'user name');
  const effective = password ?? urlPassword;
  checkCredential(username, 'user name');
  checkCredential(effective, 'password');
  return {
    host,
    port,
    tls: parsed.protocol === 'rediss:',
    username,
    password: effective,
  };
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
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${host}:${endpoint.port}`;
}
