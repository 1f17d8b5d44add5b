/**
 * What a Redis node must offer for hot key analysis. Read from INFO only, so it works where
 * CONFIG is disabled. Runs on every primary before a task is accepted and again when it starts.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { RespConnection } from './resp-connection.js';
import { describeServer, parseInfo, serverFacts, versionAtLeast, type ServerFacts } from './server-info.js';

export const LFU_POLICIES: readonly string[] = ['allkeys-lfu', 'volatile-lfu'];
/** OBJECT FREQ exists since Redis 4.0.0. */
export const MIN_HOTKEY_VERSION = '4.0.0';

/** The greatest database number an analysis reads (the RDB parser's bound too). */
export const MAX_DB = 65_535;

export async function readServerFacts(connection: RespConnection): Promise<ServerFacts> {
  const facts = serverFacts(parseInfo(await connection.text(['INFO'])));
  const beyond = facts.keyspace.find((db) => db.db > MAX_DB);
  if (beyond !== undefined) {
    throw new RedisFailure('limit', connection.address, `${connection.address} reports keys in database ${beyond.db}: keyheat reads databases 0 to ${MAX_DB}`);
  }
  return facts;
}

/**
 * Null when hot key analysis can run on this node, else the reason, for a human. (A Sentinel
 * never gets here: topology.ts refuses it when the deployment is opened.)
 */
export function hotkeyUnsupportedReason(facts: ServerFacts, address: string): string | null {
  // A replica keeps its own counters, fed by reads sent to it, not the primary's traffic.
  if (facts.role !== 'master') return `${address} is a replica; analyse its primary, where the traffic is counted`;
  if (facts.redisVersion === '' || !versionAtLeast(facts.redisVersion, MIN_HOTKEY_VERSION)) {
    return `${address} runs ${describeServer(facts)}; hot key analysis needs Redis ${MIN_HOTKEY_VERSION} or later`;
  }
  if (!LFU_POLICIES.includes(facts.maxmemoryPolicy)) {
    return (
      `${address} has maxmemory-policy ${facts.maxmemoryPolicy || '(unknown)'}; hot key analysis needs allkeys-lfu or volatile-lfu ` +
      `(for example: CONFIG SET maxmemory-policy allkeys-lfu)`
    );
  }
  return null;
}

/**
 * What a sampling phase asks of a registered node: a primary. Any version and policy will do.
 */
export function nodeUnsupportedReason(facts: ServerFacts, address: string): string | null {
  if (facts.role !== 'master') return `${address} is a replica; register its primary (keyheat finds its replicas itself)`;
  return null;
}

/** Whether the LFU scan can run on this node (hot key analysis proper). */
export function lfuScanPossible(facts: ServerFacts): boolean {
  return hotkeyUnsupportedReason(facts, '') === null;
}

/** INFO, then a failure of kind 'unsupported' when this node cannot be analysed. */
export async function checkedFacts(connection: RespConnection, lfuOptional: boolean | 'big' = false): Promise<ServerFacts> {
  const facts = await readServerFacts(connection);
  refuseUnsupported(facts, connection.address, lfuOptional);
  return facts;
}

/** Throws when facts already read show the node cannot be analysed (lfuOptional: a sampling phase; 'big': a big key analysis). */
export function refuseUnsupported(facts: ServerFacts, address: string, lfuOptional: boolean | 'big' = false): void {
  // A big key analysis reads any node (a replica as it is: it prefers replicas anyway).
  const reason = lfuOptional === 'big' ? null : lfuOptional ? nodeUnsupportedReason(facts, address) : hotkeyUnsupportedReason(facts, address);
  if (reason !== null) throw new RedisFailure('unsupported', address, reason);
}
