/**
 * Key commands sent to the node that owns each key, following MOVED and ASK: the one module
 * for redirects, used by the scan (counters of keys whose slot moved), the size probes, and
 * the re-reading of slots at the end of a cluster scan.
 *
 * Per node and database, one pipeline: SELECT, an optional prelude (CLIENT NO-TOUCH ON), then
 * each key's command, preceded by ASKING where the key's slot is being imported there. Keys
 * answering MOVED/ASK are sent again where they point, at most MAX_HOPS times; every target
 * goes through the pool, so through network.allow.
 */
import { groupBy } from '../domain/group-by.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { parseRedirect } from './classify-redis-error.js';
import type { NodePool } from './node-pool.js';
import type { Arg } from './resp-encoder.js';
import { RedisReplyError, type Reply } from './resp-parser.js';

export const MAX_HOPS = 3;

export interface KeyTarget<T> {
  readonly item: T;
  readonly key: Buffer;
  readonly db: number;
  /** `host:port` of the node to ask. */
  readonly node: string;
  /** Send ASKING first: the node is importing the key's slot. */
  readonly ask: boolean;
}

export interface KeyReply<T> {
  readonly item: T;
  /** The node that finally answered, and whether it needed ASKING (a follow-up command does too). */
  readonly node: string;
  readonly ask: boolean;
  /** Never a MOVED or ASK: those are followed. Other error replies are returned as values... */
  readonly reply: Reply;
  /** ...with their failure, classified on the node's connection (secrets removed); null for a non-error reply. */
  readonly failure: RedisFailure | null;
}

export interface SendOptions {
  /** Sent before the key commands of each pipeline; their replies are not failures. */
  readonly prelude?: readonly (readonly Arg[])[];
  /** Told each node's prelude replies (whether CLIENT NO-TOUCH was taken, or an ACL denied it). */
  readonly onPrelude?: (node: string, replies: readonly Reply[], failureOf: (reply: RedisReplyError) => RedisFailure) => void;
}

/** The redirect in a reply, as a new target for the same key; null when the reply is not one. */
export function redirectedTarget<T>(reply: Reply, target: Omit<KeyTarget<T>, 'node' | 'ask'>, node: string): KeyTarget<T> | null {
  if (!(reply instanceof RedisReplyError)) return null;
  const redirect = parseRedirect(reply, node);
  return redirect === null ? null : { ...target, node: redirect.address, ask: redirect.ask };
}

/** Replies in no particular order (grouped by node); callers match them by `item`. */
export async function sendToOwners<T>(
  pool: NodePool,
  targets: readonly KeyTarget<T>[],
  command: (target: KeyTarget<T>) => Arg[],
  options: SendOptions = {},
): Promise<KeyReply<T>[]> {
  const answered: KeyReply<T>[] = [];
  let pending = targets;
  for (let hop = 0; hop <= MAX_HOPS && pending.length > 0; hop++) {
    const next: KeyTarget<T>[] = [];
    for (const [node, group] of groupBy(pending, (t) => t.node)) {
      for (const [db, inDb] of groupBy(group, (t) => t.db)) {
        await pool.withShared(node, async (connection) => {
          const replies = await connection.pipeline(pipelineFor(db, inDb, command, options));
          if (replies[0] instanceof RedisReplyError) throw connection.failureOf(replies[0]);
          const preludeLength = options.prelude?.length ?? 0;
          options.onPrelude?.(node, replies.slice(1, 1 + preludeLength), (reply) => connection.failureOf(reply));
          let at = 1 + preludeLength;
          for (const target of inDb) {
            at += target.ask ? 2 : 1;
            const reply = replies[at - 1] ?? null;
            const redirected = redirectedTarget(reply, target, node);
            if (redirected !== null) next.push(redirected);
            else answered.push({ item: target.item, node, ask: target.ask, reply, failure: reply instanceof RedisReplyError ? connection.failureOf(reply) : null });
          }
        });
      }
    }
    pending = next;
  }
  if (pending.length > 0) {
    const node = pending[0]?.node ?? '';
    throw new RedisFailure('cluster-down', node, `${pending.length} keys were still redirected after ${MAX_HOPS} hops (last to ${node}); the cluster is resharding too fast to read`);
  }
  return answered;
}

function pipelineFor<T>(db: number, targets: readonly KeyTarget<T>[], command: (target: KeyTarget<T>) => Arg[], options: SendOptions): Arg[][] {
  const commands: Arg[][] = [['SELECT', db], ...(options.prelude ?? []).map((c) => [...c])];
  for (const target of targets) {
    if (target.ask) commands.push(['ASKING']);
    commands.push(command(target));
  }
  return commands;
}
