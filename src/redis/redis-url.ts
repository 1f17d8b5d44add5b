import type { RedisEndpoint } from '../domain/instance.js';

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
  const urlPassword = parsed.password === '' ? null : decodeURIComponent(parsed.password);
  const username = parsed.username === '' ? null : decodeURIComponent(parsed.username);
  return {
    host,
    port,
    tls: parsed.protocol === 'rediss:',
    username,
    password: password ?? urlPassword,
  };
}

/** The URL without credentials, safe to show and log. */
export function redactedUrl(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${host}:${endpoint.port}`;
}
