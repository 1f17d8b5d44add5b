/**
 * Parsing of INFO replies (INFO works where CONFIG is disabled, as on managed services). Every
 * value is server text: what keyheat shows or stores of it is checked or escaped here.
 */
import { escapeControls } from '../domain/display-text.js';
import type { RedisEngine } from '../domain/instance.js';

export type InfoFields = ReadonlyMap<string, string>;

export function parseInfo(text: string): InfoFields {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * Who the server is. Every place that needs the server's identity reads it through
 * serverIdentity(): Valkey reports `server_name:valkey`, its own version in `valkey_version` and
 * its mode in `server_mode` (redis_mode only with extended-redis-compatibility), and a frozen
 * `redis_version:7.2.4`, the Redis version whose commands and formats it kept.
 */
export interface ServerIdentity {
  readonly engine: RedisEngine;
  /** The engine's own version, dotted digits (7.0.15, 8.0.1), or '' when the server reports none that looks like one. */
  readonly version: string;
  /**
   * The Redis version the server is compatible with (redis_version): what feature checks compare
   * against (OBJECT FREQ since 4.0, CLIENT NO-TOUCH since 7.2). Valkey 8 and 9 say 7.2.4.
   */
  readonly redisVersion: string;
  /** standalone, cluster or sentinel */
  readonly mode: 'standalone' | 'cluster' | 'sentinel';
  /** master or slave (a replica). */
  readonly role: 'master' | 'slave';
}

export interface ServerFacts extends ServerIdentity {
  /** Escaped for display; empty when the server does not report one (very old servers). */
  readonly maxmemoryPolicy: string;
  /** Databases that hold keys, with their key count, from the Keyspace section. */
  readonly keyspace: readonly { db: number; keys: number }[];
  /** Online replicas a primary reports (INFO replication), as `host:port`. */
  readonly replicas: readonly string[];
}

const VERSION = /^\d{1,4}(\.\d{1,6}){0,3}$/;
/** Redis has at most a few thousand databases (databases N); db0..db99999 is generous. */
const DB_FIELD = /^db(\d{1,5})$/;

export function serverFacts(info: InfoFields): ServerFacts {
  const keyspace: { db: number; keys: number }[] = [];
  for (const [name, value] of info) {
    const db = DB_FIELD.exec(name);
    if (db === null) continue;
    const keys = /(?:^|,)keys=(\d{1,15})(?:,|$)/.exec(value);
    const count = keys === null ? 0 : Number(keys[1]);
    if (count > 0) keyspace.push({ db: Number(db[1]), keys: count });
  }
  keyspace.sort((a, b) => a.db - b.db);
  const replicas: string[] = [];
  for (const [name, value] of info) {
    if (!/^slave\d{1,5}$/.test(name)) continue;
    const ip = /(?:^|,)ip=([0-9A-Za-z.:-]{1,253})(?:,|$)/.exec(value)?.[1];
    const port = Number(/(?:^|,)port=(\d{1,5})(?:,|$)/.exec(value)?.[1]);
    const online = /(?:^|,)state=online(?:,|$)/.test(value);
    if (ip !== undefined && port >= 1 && port <= 65_535 && online) replicas.push(`${ip.includes(':') ? `[${ip}]` : ip}:${port}`);
  }
  return {
    ...serverIdentity(info),
    maxmemoryPolicy: escapeControls(info.get('maxmemory_policy') ?? '', 64),
    keyspace,
    replicas,
  };
}

export function serverIdentity(info: InfoFields): ServerIdentity {
  const valkey = info.get('server_name') === 'valkey' || info.has('valkey_version');
  const redisVersion = dotted(info.get('redis_version'));
  const mode = info.get('server_mode') ?? info.get('redis_mode');
  return {
    engine: valkey ? 'Valkey' : 'Redis',
    version: valkey ? dotted(info.get('valkey_version')) || redisVersion : redisVersion,
    redisVersion,
    mode: mode === 'cluster' || mode === 'sentinel' ? mode : 'standalone',
    role: info.get('role') === 'slave' ? 'slave' : 'master',
  };
}

/** "Valkey 8.0.1", "Redis 7.0.15", for messages. */
export function describeServer(identity: Pick<ServerIdentity, 'engine' | 'version'>): string {
  return `${identity.engine} ${identity.version || '(unknown version)'}`;
}

function dotted(text: string | undefined): string {
  return text !== undefined && VERSION.test(text) ? text : '';
}

/** Compares dotted versions numerically: 7.0.15 < 7.2.0. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const b = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
