/**
 * Type and size of the final candidates, on the node that holds each: two pipelined rounds per
 * node and database (TYPE, then the type's size command). Runs for at most top-K keys.
 * A key whose slot moved since the scan is probed where it went.
 */
import type { Candidate } from '../analysis/candidate.js';
import { groupBy } from '../analysis/group-by.js';
import { classifyRedisError, redirectTarget, RedisFailure } from '../redis/classify-redis-error.js';
import { sizeProbeFor } from '../redis/key-probes.js';
import type { Arg, RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';
import type { NodePool } from './node-pool.js';

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
}

interface Target {
  readonly candidate: Candidate;
  /** Where to probe it (the scan's node, or where a redirect pointed). */
  readonly node: string;
  readonly ask: boolean;
}

export async function probeCandidates(pool: NodePool, candidates: readonly Candidate[]): Promise<ProbeOutcome> {
  const keys: ProbedKey[] = [];
  let vanished = 0;
  let changed = 0;
  const noTouchDone = new WeakSet<RespConnection>();
  let targets: Target[] = candidates.map((candidate) => ({ candidate, node: candidate.node, ask: false }));
  for (let hop = 0; hop < 3 && targets.length > 0; hop++) {
    const redirected: Target[] = [];
    for (const [node, group] of groupBy(targets, (t) => t.node)) {
      const connection = await pool.get(node);
      if (!noTouchDone.has(connection)) {
        await enableNoTouch(connection);
        noTouchDone.add(connection);
      }
      for (const [db, inDb] of groupBy(group, (t) => t.candidate.db)) {
        const outcome = await probeGroup(connection, db, inDb);
        keys.push(...outcome.keys);
        vanished += outcome.vanished;
        changed += outcome.changed;
        redirected.push(...outcome.redirected);
      }
    }
    targets = redirected;
  }
  vanished += targets.length; // still bouncing after three hops: treat as gone
  // Probing went node by node; give the keys back hottest first.
  const rank = new Map(candidates.map((candidate, i) => [candidate, i]));
  keys.sort((a, b) => (rank.get(a.candidate) ?? 0) - (rank.get(b.candidate) ?? 0));
  return { keys, vanished, changed };
}

async function probeGroup(
  connection: RespConnection,
  db: number,
  group: readonly Target[],
): Promise<{ keys: ProbedKey[]; vanished: number; changed: number; redirected: Target[] }> {
  const address = connection.address;
  const result = { keys: [] as ProbedKey[], vanished: 0, changed: 0, redirected: [] as Target[] };
  try {
    await connection.call(['SELECT', db]);
    const types = await sendEach(connection, group, (t) => ['TYPE', t.candidate.name]);
    const present: { target: Target; type: string }[] = [];
    group.forEach((target, i) => {
      const reply = types[i] ?? null;
      const redirect = redirectOf(reply, target, address);
      if (redirect !== null) result.redirected.push(redirect);
      else if (!Buffer.isBuffer(reply)) throw unexpected(reply, address, 'TYPE');
      else if (reply.toString() === 'none') result.vanished += 1;
      else present.push({ target, type: reply.toString() });
    });
    const sizes = await sendEach(connection, present.map((p) => p.target), (t, i) => sizeProbeFor(present[i]?.type ?? '').command(t.candidate.name));
    present.forEach(({ target, type }, i) => {
      const reply = sizes[i] ?? null;
      const redirect = redirectOf(reply, target, address);
      if (redirect !== null) result.redirected.push(redirect);
      else if (reply instanceof RedisReplyError && reply.prefix === 'WRONGTYPE') result.changed += 1;
      else if (reply === null) result.vanished += 1; // MEMORY USAGE of a key deleted after TYPE
      else if (typeof reply !== 'number') throw unexpected(reply, address, 'size probe');
      else result.keys.push({ candidate: target.candidate, node: target.node, type, size: reply, unit: sizeProbeFor(type).unit });
    });
  } catch (error) {
    throw classifyRedisError(error, address);
  }
  return result;
}

/** One command per target, each preceded by ASKING where the target came from an ASK. */
async function sendEach(connection: RespConnection, targets: readonly Target[], command: (t: Target, i: number) => Arg[]): Promise<Reply[]> {
  const commands: Arg[][] = [];
  targets.forEach((target, i) => {
    if (target.ask) commands.push(['ASKING']);
    commands.push(command(target, i));
  });
  const replies = await connection.pipeline(commands);
  const out: Reply[] = [];
  let at = 0;
  for (const target of targets) {
    at += target.ask ? 2 : 1;
    out.push(replies[at - 1] ?? null);
  }
  return out;
}

function redirectOf(reply: Reply, target: Target, address: string): Target | null {
  if (!(reply instanceof RedisReplyError) || (reply.prefix !== 'MOVED' && reply.prefix !== 'ASK')) return null;
  const to = redirectTarget(classifyRedisError(reply, address));
  return to === null ? null : { candidate: target.candidate, node: to.address, ask: reply.prefix === 'ASK' };
}

function unexpected(reply: Reply, address: string, what: string): RedisFailure {
  if (reply instanceof RedisReplyError) return classifyRedisError(reply, address);
  return new RedisFailure('other', `${address}: unexpected ${what} reply`);
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
