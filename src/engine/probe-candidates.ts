/**
 * Type and size of the final candidates, on the node that holds each: two pipelined rounds per
 * node and database (TYPE, then the type's size command), through redis/redirects.ts so a key
 * whose slot moved since the scan is probed where it went. Runs for at most top-K keys.
 * Every pipeline starts with CLIENT NO-TOUCH ON: on Redis 7.2+ the probes then leave the LFU
 * counters alone; older servers answer with an error, which is ignored.
 */
import type { Candidate } from '../analysis/candidate.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { isWrongType, unexpectedReply } from '../redis/classify-redis-error.js';
import { sizeProbeFor, TYPE_NAME } from '../redis/key-probes.js';
import type { NodePool } from '../redis/node-pool.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';
import { noTouchOf } from '../redis/shard-node.js';

export interface ProbedKey {
  readonly candidate: Candidate;
  /** Where the key was probed: its scan node, or where a redirect sent the probe. */
  readonly node: string;
  readonly type: string;
  readonly size: number;
  readonly unit: 'byte' | 'count';
}

export interface ProbeOutcome {
  /** In the order of the candidates given (hottest first). */
  readonly keys: ProbedKey[];
  readonly vanished: number;
  readonly changed: number;
  /** Nodes whose ACL denies CLIENT NO-TOUCH: the probes there counted as a read of each key. */
  readonly noTouchDenied: readonly string[];
}

/** `nameOf`: the name to send for a candidate (its kept name; the whole one, for a long name kept as its beginning). */
export async function probeCandidates(pool: NodePool, candidates: readonly Candidate[], nameOf: (candidate: Candidate) => Buffer = (candidate) => candidate.name): Promise<ProbeOutcome> {
  let vanished = 0;
  let changed = 0;
  const denied = new Set<string>();
  const NO_TOUCH = {
    prelude: [['CLIENT', 'NO-TOUCH', 'ON']],
    onPrelude: (node: string, [reply]: readonly Reply[], failureOf: (reply: RedisReplyError) => RedisFailure) => {
      if (noTouchOf(reply ?? null, failureOf) === 'denied') denied.add(node);
    },
  };
  const targets: KeyTarget<Candidate>[] = candidates.map((candidate) => ({ item: candidate, key: nameOf(candidate), db: candidate.db, node: candidate.node, ask: false }));
  const typed: (KeyTarget<Candidate> & { type: string })[] = [];
  for (const { item, node, ask, reply, failure } of await sendToOwners(pool, targets, (t) => ['TYPE', t.key], NO_TOUCH)) {
    if (failure !== null) throw failure;
    if (!Buffer.isBuffer(reply)) throw unexpectedReply(node, reply, 'TYPE');
    const type = reply.toString('latin1');
    if (type === 'none') vanished += 1;
    else if (!TYPE_NAME.test(type)) throw new RedisFailure('protocol', node, `${node} answered TYPE with something that is not a type name`);
    else typed.push({ item, key: nameOf(item), db: item.db, node, ask, type });
  }
  const typeOf = new Map(typed.map((t) => [t.item, t.type]));
  const keys: ProbedKey[] = [];
  const sized = await sendToOwners(pool, typed, (t) => sizeProbeFor(typeOf.get(t.item) ?? '').command(t.key), NO_TOUCH);
  for (const { item, node, reply, failure } of sized) {
    const type = typeOf.get(item) ?? '';
    if (reply instanceof RedisReplyError && isWrongType(reply)) {
      changed += 1;
    } else if (failure !== null) {
      throw failure;
    } else if (reply === null) {
      vanished += 1; // MEMORY USAGE of a key deleted after TYPE
    } else if (typeof reply !== 'number') {
      throw unexpectedReply(node, reply, String(sizeProbeFor(type).command(Buffer.alloc(0))[0]));
    } else {
      keys.push({ candidate: item, node, type, size: reply, unit: sizeProbeFor(type).unit });
    }
  }
  // Probing went node by node; give the keys back hottest first.
  const rank = new Map(candidates.map((candidate, i) => [candidate, i]));
  keys.sort((a, b) => (rank.get(a.candidate) ?? 0) - (rank.get(b.candidate) ?? 0));
  return { keys, vanished, changed, noTouchDenied: [...denied] };
}
