/**
 * The sampling phase: MONITOR on every node to watch, all at once, for a bounded window; each
 * command's keys (at the positions the node's own COMMAND reply gives) counted per node in a
 * Space-Saving summary of `counters` entries. Memory is bounded whatever the traffic: the
 * summaries, plus at most one kept line (LINE_KEEP_BYTES) per node.
 *
 * Gentle on the node, or it stops: every POLL_MS the sampler reads, on a second connection,
 * how much MONITOR output Redis holds for keyheat (CLIENT LIST ID ... omem). Redis does not cap
 * a monitor's output buffer (it is a normal client, and client-output-buffer-limit normal is
 * unlimited by default), so a keyheat that cannot keep up would make Redis buffer the whole
 * stream in its own memory. Past MAX_MONITOR_BUFFER_BYTES, or when keyheat reads lines more than
 * MAX_LAG_MS after the node wrote them, that node's window ends early, with the reason.
 *
 * Commands run: COMMAND, CLIENT ID, CLIENT LIST ID, MONITOR. keyheat's own commands are left out
 * of the counts: the poller's (recognised by its address as the node sees it) and those of any
 * connection of this process (a big key scan of the same node running beside the window).
 * Another keyheat process's work on the node is counted like any client's.
 */
import { reportedName } from '../analysis/key-name.js';
import { keptView, type KeptName } from '../domain/kept-name.js';
import { SpaceSaving } from '../analysis/space-saving.js';
import type { SampledKey, SampleNodeReport, Sampling } from '../domain/sampling.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { CommandTable } from '../redis/command-keys.js';
import { MonitorStream, type MonitoredCommand } from '../redis/monitor-stream.js';
import type { NodePool } from '../redis/node-pool.js';
import { isOwnClientAddress, type RespConnection } from '../redis/resp-connection.js';
import type { SampleTarget } from '../redis/sample-targets.js';
import { sleep } from './rate-limiter.js';

export const POLL_MS = 250;
/** Output Redis may hold for keyheat's MONITOR before the window is cut. */
export const MAX_MONITOR_BUFFER_BYTES = 32 * 1024 * 1024;
/** How far behind the stream keyheat may read before the window is cut. */
export const MAX_LAG_MS = 2000;

export interface SamplingOptions {
  readonly seconds: number;
  readonly counters: number;
  /** Keys reported in `sampled`. */
  readonly topK: number;
  readonly signal: AbortSignal;
  /** Cut the window when Redis holds more than this for keyheat (tests lower it). */
  readonly maxBufferBytes?: number;
}

/** A sampled key's measurement, for the LFU keys that were also seen. */
export interface KeyRate {
  readonly qps: number;
  readonly share: number;
}

export interface SamplingRun {
  readonly sampling: Sampling;
  /** By `${db}\0${latin1 name}`: every key kept by a summary. */
  readonly rates: ReadonlyMap<string, KeyRate>;
}

interface NodeSample {
  readonly target: SampleTarget;
  readonly summary: SpaceSaving<string>;
  readonly commands: number;
  readonly seconds: number;
  readonly stoppedEarly: string | null;
}

/**
 * The summary key of a key: its database and its name as an analysis keeps it (domain/kept-name.ts):
 * whole ('f') up to NAME_KEEP_BYTES, else ('t') the SHA-1 of the whole name and its beginning.
 * Memory per counter is then bounded whatever names the traffic uses, two long names never share
 * a counter, and a hot key kept by the scan finds its rate under the same key.
 */
export function rateKey(db: number, name: Buffer | KeptName): string {
  const kept = Buffer.isBuffer(name) ? keptView(name) : name;
  const sha1 = kept.nameSha1;
  return sha1 === undefined ? `${db}\0f${kept.name.toString('latin1')}` : `${db}\0t${sha1}${kept.name.toString('latin1')}`;
}

/** A summary key back into its database and the name as kept. */
function fromRateKey(key: string): { db: number; kept: KeptName } {
  const zero = key.indexOf('\0');
  const db = Number(key.slice(0, zero));
  if (key[zero + 1] !== 't') return { db, kept: { name: Buffer.from(key.slice(zero + 2), 'latin1') } };
  return { db, kept: { name: Buffer.from(key.slice(zero + 42), 'latin1'), nameSha1: key.slice(zero + 2, zero + 42) } };
}

export async function sampleDeployment(pool: NodePool, targets: readonly SampleTarget[], options: SamplingOptions): Promise<SamplingRun> {
  // Two connections a node (the stream, the poller) for the whole window, all at once.
  const needed = targets.length * 2 + 1;
  if (needed > pool.settings.maxConnections) {
    const node = targets[0]?.address ?? '';
    throw new RedisFailure('limit', node, `sampling ${targets.length} nodes at once needs ${needed} connections, more than redis.max_connections (${pool.settings.maxConnections}); raise it, or leave out sample_replicas`);
  }
  const nodes = await Promise.all(targets.map((target) => sampleNode(pool, target, options)));
  return summarise(nodes, options);
}

async function sampleNode(pool: NodePool, target: SampleTarget, options: SamplingOptions): Promise<NodeSample> {
  const monitor = await pool.open(target.address);
  let poller: RespConnection | null = null;
  try {
    poller = await pool.open(target.address);
    const table = await CommandTable.read(monitor);
    // A node that will not say who keyheat's clients are within the window's length is watched without it.
    const watch = (await beforeMs(bufferWatch(monitor, poller), options.seconds * 1000)) ?? { monitorId: null, ownAddress: null };
    const summary = new SpaceSaving<string>(options.counters);
    let commands = 0;
    const onCommand = (command: MonitoredCommand): void => {
      // keyheat's own commands: the poller's, and any other scan of this process on the node.
      if (command.client === watch.ownAddress || isOwnClientAddress(command.client)) return;
      commands += 1;
      const name = (command.args[0] as Buffer).toString('latin1').toLowerCase();
      for (const at of table.keyPositions(name, command.args)) summary.offer(rateKey(command.db, command.args[at] as Buffer), 1);
    };
    const stream = await MonitorStream.start(monitor, { onCommand, onMalformed: () => undefined }, pool.settings.commandTimeoutMs);
    const stoppedEarly = await watchWindow(stream, monitor, poller, watch, options);
    const seconds = Math.min(options.seconds, stream.elapsedMs / 1000);
    return { target, summary, commands, seconds, stoppedEarly };
  } finally {
    monitor.close();
    poller?.close();
  }
}

interface BufferWatch {
  /** The monitor's CLIENT ID; null where CLIENT ID / CLIENT LIST ID are unavailable (Redis < 6.2, ACL). */
  readonly monitorId: number | null;
  /** The poller's address as the node shows it in MONITOR lines. */
  readonly ownAddress: string | null;
}

async function bufferWatch(monitor: RespConnection, poller: RespConnection): Promise<BufferWatch> {
  try {
    const monitorId = await monitor.call(['CLIENT', 'ID']);
    const pollerId = await poller.call(['CLIENT', 'ID']);
    if (typeof monitorId !== 'number' || typeof pollerId !== 'number') return { monitorId: null, ownAddress: null };
    const list = await poller.text(['CLIENT', 'LIST', 'ID', pollerId]);
    return { monitorId, ownAddress: clientField(list, 'addr') };
  } catch (error) {
    if (error instanceof RedisFailure && (error.kind === 'unsupported' || error.kind === 'no-permission' || error.kind === 'other')) return { monitorId: null, ownAddress: null };
    throw error;
  }
}

/**
 * Waits out the window, which ends at its length by keyheat's own clock whatever the node says
 * or does not say: a poll still unanswered then is abandoned (the poller is closed after).
 * Returns the reason it ended early, or null.
 */
async function watchWindow(stream: MonitorStream, monitor: RespConnection, poller: RespConnection, watch: BufferWatch, options: SamplingOptions): Promise<string | null> {
  const windowMs = options.seconds * 1000;
  const maxBuffer = options.maxBufferBytes ?? MAX_MONITOR_BUFFER_BYTES;
  const at = (): string => `${(stream.elapsedMs / 1000).toFixed(1)} s`;
  for (;;) {
    const remaining = windowMs - stream.elapsedMs;
    if (remaining <= 0) return null;
    await sleep(Math.min(POLL_MS, remaining), options.signal);
    if (!monitor.isOpen) return `the MONITOR connection closed after ${at()} (${monitor.closeReason?.message ?? 'closed'}); the counts until then are kept`;
    const lag = stream.takeMaxLag();
    if (lag > MAX_LAG_MS) {
      return `keyheat read the stream ${(lag / 1000).toFixed(1)} s behind the node (it could not keep up with its commands); the window was cut at ${at()}`;
    }
    if (watch.monitorId !== null && windowMs - stream.elapsedMs > 0) {
      const list = await beforeMs(poller.text(['CLIENT', 'LIST', 'ID', watch.monitorId]), windowMs - stream.elapsedMs);
      if (list === null) return null;
      const omem = Number(clientField(list, 'omem'));
      if (omem > maxBuffer) {
        return `Redis held ${(omem / 1048576).toFixed(1)} MiB of MONITOR output waiting for keyheat (more than ${(maxBuffer / 1048576).toFixed(0)} MiB); the window was cut at ${at()} to spare its memory`;
      }
    }
  }
}

/** `promise`'s value, or null when `ms` pass first (its failure, if it fails later, is then ignored). */
async function beforeMs<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A field of the first line of CLIENT LIST (`id=7 addr=127.0.0.1:5000 ... omem=0 ...`). */
function clientField(list: string, name: string): string | null {
  const line = list.split('\n')[0] ?? '';
  for (const field of line.trim().split(' ')) {
    if (field.startsWith(`${name}=`)) return field.slice(name.length + 1);
  }
  return null;
}

/** Rounds a rate for people: whole numbers from 100 up, 3 significant digits below. */
function rate(value: number): number {
  return value >= 100 ? Math.round(value) : Number(value.toPrecision(3));
}

function summarise(nodes: readonly NodeSample[], options: SamplingOptions): SamplingRun {
  const commandsSeen = nodes.reduce((sum, n) => sum + n.commands, 0);
  const seconds = Math.max(0, ...nodes.map((n) => n.seconds));
  // A key's rates over the nodes that saw it: the primary and, when watched, its replicas.
  const merged = new Map<string, { shard: string | undefined; qps: number; error: number; count: number }>();
  const boundByShard = new Map<string, number>();
  for (const node of nodes) {
    const span = Math.max(node.seconds, 0.001);
    const shardKey = node.target.shard ?? '';
    boundByShard.set(shardKey, (boundByShard.get(shardKey) ?? 0) + node.summary.errorBound / span);
    for (const entry of node.summary.top(options.counters)) {
      const known = merged.get(entry.key);
      if (known === undefined) merged.set(entry.key, { shard: node.target.shard, qps: entry.weight / span, error: entry.error / span, count: entry.weight });
      else {
        known.qps += entry.weight / span;
        known.error += entry.error / span;
        known.count += entry.weight;
      }
    }
  }
  const ranked = [...merged.entries()].sort((a, b) => b[1].qps - a[1].qps);
  const share = (count: number): number => (commandsSeen === 0 ? 0 : Number((count / commandsSeen).toPrecision(4)));
  const sampled: SampledKey[] = ranked.slice(0, options.topK).map(([key, m]) => {
    const { db, kept } = fromRateKey(key);
    return {
      ...reportedName(kept),
      db,
      ...(m.shard === undefined ? {} : { shard: m.shard }),
      qps: rate(m.qps),
      share: share(m.count),
      error: rate(m.error),
    };
  });
  const rates = new Map<string, KeyRate>();
  for (const [key, m] of ranked) rates.set(key, { qps: rate(m.qps), share: share(m.count) });
  const perNode: SampleNodeReport[] = nodes.map((n) => ({
    node: n.target.address,
    role: n.target.role,
    commandsSeen: n.commands,
    seconds: Math.round(n.seconds * 10) / 10,
    stoppedEarly: n.stoppedEarly,
  }));
  return {
    rates,
    sampling: {
      sampled,
      sample: {
        requestedSeconds: options.seconds,
        seconds: Math.round(seconds * 10) / 10,
        commandsSeen,
        commandsPerS: seconds === 0 ? 0 : rate(commandsSeen / seconds),
        nodes: nodes.length,
        bound: rate(Math.max(0, ...boundByShard.values())),
        counters: options.counters,
        stoppedEarly: perNode.find((n) => n.stoppedEarly !== null)?.stoppedEarly ?? null,
        perNode,
      },
    },
  };
}
