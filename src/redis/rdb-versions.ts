/**
 * Which RDB format a server sends keyheat's SYNC, from its identity, before anything forks: a
 * server whose format keyheat does not read is refused at the preflight, never forked for an
 * RDB that would then be refused (the parser would stop at the header, after the fork's cost).
 * keyheat sends no REPLCONF version, so a Valkey primary sends its own newest format.
 *
 * From the servers' own sources (src/rdb.h): Redis 4.0 writes RDB 8, 5.0-6.2 RDB 9, 7.0 RDB 10,
 * 7.2 RDB 11, 7.4-8.4 RDB 12, 8.6 RDB 13; Valkey 7.2-8.x RDB 11, 9.0 RDB 80, 9.2 RDB 81. A
 * release newer than these may write a format keyheat has not seen: it is refused until keyheat
 * knows it, saying so.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import { describeServer, versionAtLeast, type ServerIdentity } from './server-info.js';

/** Versions from which a format is written, newest first. */
const REDIS_FORMATS: readonly [string, number][] = [
  ['8.6.0', 13],
  ['7.4.0', 12],
  ['7.2.0', 11],
  ['7.0.0', 10],
  ['5.0.0', 9],
  ['4.0.0', 8],
  ['3.2.0', 7],
  ['2.6.0', 6],
];
const VALKEY_FORMATS: readonly [string, number][] = [
  ['9.2.0', 81],
  ['9.0.0', 80],
  ['7.2.0', 11],
];
/** The first releases whose format keyheat has not seen. */
const REDIS_UNKNOWN_FROM = '8.8.0';
const VALKEY_UNKNOWN_FROM = '9.4.0';

/** The RDB version the server writes; null when keyheat does not know its format (newer, or no version reported). */
export function rdbVersionWritten(identity: Pick<ServerIdentity, 'engine' | 'version'>): number | null {
  const { engine, version } = identity;
  if (version === '') return null;
  const [formats, unknownFrom] = engine === 'Valkey' ? [VALKEY_FORMATS, VALKEY_UNKNOWN_FROM] : [REDIS_FORMATS, REDIS_UNKNOWN_FROM];
  if (versionAtLeast(version, unknownFrom)) return null;
  return formats.find(([since]) => versionAtLeast(version, since))?.[1] ?? 6;
}

/** Throws 'unsupported' when the node's RDB is a format keyheat does not read: no fork for nothing. */
export function refuseUnreadableRdb(identity: Pick<ServerIdentity, 'engine' | 'version'>, node: string): void {
  if (rdbVersionWritten(identity) !== null) return;
  throw new RedisFailure(
    'unsupported',
    node,
    `${node} runs ${describeServer(identity)}, whose RDB format keyheat does not know (it reads Redis up to 8.6 and Valkey up to 9.2), so it is not asked to fork for one: use the scan strategy`,
  );
}
