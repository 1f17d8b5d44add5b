/**
 * Type and size of the final candidates, in two pipelined rounds per database (TYPE, then the
 * type's size command). Runs for at most top-K keys per node.
 */
import type { Candidate } from '../analysis/candidate.js';
import { classifyRedisError, RedisFailure } from '../redis/classify-redis-error.js';
import { sizeProbeFor } from '../redis/key-probes.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';

export interface ProbedKey {
  readonly candidate: Candidate;
  readonly type: string;
  readonly size: number;
  readonly unit: 'byte' | 'count';
}

export interface ProbeOutcome {
  readonly keys: ProbedKey[];
  readonly vanished: number;
  readonly changed: number;
  /** Whether CLIENT NO-TOUCH kept the probes from counting as accesses. */
  readonly noTouch: boolean;
}

export async function probeCandidates(connection: RespConnection, candidates: readonly Candidate[]): Promise<ProbeOutcome> {
  const address = connection.address;
  const noTouch = await enableNoTouch(connection);
  const byDb = new Map<number, Candidate[]>();
  for (const candidate of candidates) {
    const list = byDb.get(candidate.db) ?? [];
    list.push(candidate);
    byDb.set(candidate.db, list);
  }
  const keys: ProbedKey[] = [];
  let vanished = 0;
  let changed = 0;
  try {
    for (const [db, group] of byDb) {
      await connection.call(['SELECT', db]);
      const types = await connection.pipeline(group.map((c) => ['TYPE', c.name]));
      const present: { candidate: Candidate; type: string }[] = [];
      group.forEach((candidate, i) => {
        const type = asText(types[i] ?? null, address);
        if (type === 'none') vanished += 1;
        else present.push({ candidate, type });
      });
      const sizes = await connection.pipeline(present.map((p) => sizeProbeFor(p.type).command(p.candidate.name)));
      present.forEach((p, i) => {
        const reply = sizes[i] ?? null;
        if (reply instanceof RedisReplyError && reply.prefix === 'WRONGTYPE') {
          changed += 1;
          return;
        }
        if (reply === null) {
          vanished += 1; // MEMORY USAGE of a key deleted after TYPE
          return;
        }
        if (typeof reply !== 'number') throw classifyRedisError(reply, address);
        keys.push({ candidate: p.candidate, type: p.type, size: reply, unit: sizeProbeFor(p.type).unit });
      });
    }
  } catch (error) {
    throw classifyRedisError(error, address);
  }
  // Probing went database by database; give the keys back in the order they came (hottest first).
  const rank = new Map(candidates.map((candidate, i) => [candidate, i]));
  keys.sort((a, b) => (rank.get(a.candidate) ?? 0) - (rank.get(b.candidate) ?? 0));
  return { keys, vanished, changed, noTouch };
}

/** CLIENT NO-TOUCH exists since Redis 7.2; older servers answer with an error, which is fine. */
async function enableNoTouch(connection: RespConnection): Promise<boolean> {
  try {
    await connection.call(['CLIENT', 'NO-TOUCH', 'ON']);
    return true;
  } catch (error) {
    const failure = classifyRedisError(error, connection.address);
    if (failure.kind === 'unknown-command' || failure.kind === 'no-permission' || failure.kind === 'other') return false;
    throw failure;
  }
}

function asText(reply: Reply, address: string): string {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (reply instanceof RedisReplyError) throw classifyRedisError(reply, address);
  throw new RedisFailure('other', `${address}: unexpected TYPE reply`);
}
