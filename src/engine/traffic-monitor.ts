/**
 * Watches one node while keyheat scans it, from INFO commandstats every 100 ms:
 * - whether other clients are served (commands not of keyheat's kinds above 100/s): the pacing
 *   uses the busy budgets then, the idle ones otherwise;
 * - what a key costs the node (usec of the scan's commands per key read: per OBJECT FREQ call in
 *   a hot key scan, per TYPE call in a big key scan, per PTTL call in an expired key scan), which sets the
 *   page size and the pauses (analysis/pace-controller.ts);
 * - what the scan cost in all: its share of the main thread (its longest block is the pacer's:
 *   each batch it sent times the cost measured around it, pace-controller.ts BlockLedger).
 *
 * It starts "busy" and declares the node idle only after a quiet sample, so the first
 * milliseconds of a scan never hit live traffic with big pages. INFO commandstats itself costs
 * the node some tens of microseconds per sample.
 */
import type { PaceController } from '../analysis/pace-controller.js';
import type { NodePacing } from '../domain/hot-key.js';
import { readCommandStats, type CommandStats } from '../redis/command-stats.js';
import type { NodePool } from '../redis/node-pool.js';

export interface TrafficSettings {
  /** How often to sample INFO commandstats. */
  readonly intervalMs: number;
  /** Other clients' commands per second above which the node counts as busy. */
  readonly busyOpsPerSecond: number;
}

export const TRAFFIC_DEFAULTS: TrafficSettings = Object.freeze({ intervalMs: 100, busyOpsPerSecond: 100 });

/** Fewer OBJECT FREQ calls than this in an interval say too little about the cost of a key. */
const MIN_KEYS_FOR_COST = 20;

interface Sample {
  readonly at: number;
  readonly stats: CommandStats;
}

/**
 * What a scan sends besides SCAN, per key read, so that the monitor tells its own commands from
 * other clients' traffic and knows what a key costs.
 */
export interface ScanCommands {
  /** Size commands per key: a big key scan's STRLEN... (1), and MEMORY USAGE (2); a hot key scan 0. */
  readonly sizePerKey: number;
  /**
   * The key command by its commandstats name, when it is neither OBJECT FREQ nor TYPE (which
   * count as keys read in any scan): one call per key read, 'pttl' for the expired key scan.
   * Other clients send it too: what the node ran beyond keyheat's calls is their traffic.
   */
  readonly keyCommand?: string | undefined;
}

/** A hot key scan's: OBJECT FREQ per key, nothing else. */
export const OBJECT_FREQ_COMMANDS: ScanCommands = Object.freeze({ sizePerKey: 0 });

/**
 * Calls of a command that keyheat and other clients both send: of what the node ran in an
 * interval, keyheat's are those it sent. A page sent just before a sample is run just after it:
 * what the node had not yet run of keyheat's is carried over.
 */
class SharedCalls {
  private sent = 0;
  private carry = 0;

  add(calls: number): void {
    this.sent += calls;
  }

  /** Of `ran` calls the node ran since the last call, how many were keyheat's. */
  own(ran: number): number {
    const own = this.sent + this.carry;
    this.sent = 0;
    if (ran >= own) {
      this.carry = 0;
      return own;
    }
    this.carry = own - ran;
    return ran;
  }
}

export class TrafficMonitor {
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> | null = null;
  private first: Sample | null = null;
  private last: Sample | null = null;
  private trafficSeen = false;
  /** Size commands keyheat sent (big key scans), and its key command when it is its own (PTTL). */
  private readonly ownSize = new SharedCalls();
  private readonly ownKeyCommand = new SharedCalls();

  constructor(
    private readonly node: string,
    private readonly pool: NodePool,
    private readonly controller: PaceController,
    /** false: the page size never adapts (busy_batch_size = batch_size); the node is read as idle. */
    private readonly adapt: boolean,
    /** What the scan sends per key besides SCAN. */
    private readonly commands: ScanCommands = OBJECT_FREQ_COMMANDS,
    private readonly settings: TrafficSettings = TRAFFIC_DEFAULTS,
  ) {
    if (!adapt) controller.setBusy(false);
  }

  start(): void {
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), this.settings.intervalMs);
    this.timer.unref();
  }

  /** A batch of `keys` keys' commands is about to be sent. */
  pageSent(keys: number): void {
    this.ownSize.add(keys * this.commands.sizePerKey);
    if (this.commands.keyCommand !== undefined) this.ownKeyCommand.add(keys);
  }

  /** Stops sampling after one last sample, and says what the scan cost the node. */
  async stop(): Promise<Omit<NodePacing, 'longestBlockUs'>> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.sampling;
    await this.sample().catch(() => undefined);
    const { first, last } = this;
    const elapsedUs = first === null || last === null ? 0 : (last.at - first.at) * 1000;
    const usedUs = first === null || last === null ? 0 : spent(last.stats) - spent(first.stats);
    return {
      cpuShare: elapsedUs > 0 && usedUs >= 0 ? Math.round((usedUs / elapsedUs) * 1000) / 1000 : null,
      trafficSeen: this.trafficSeen,
    };
  }

  private sampleNow(): void {
    if (this.sampling !== null) return;
    this.sampling = this.sample()
      .catch(() => {
        // Cannot tell (INFO refused by an ACL, connection lost or closed for room): assume live
        // traffic, scan gently. A lost connection also fails the scan itself, which reports it.
        if (this.adapt) this.controller.setBusy(true);
      })
      .finally(() => {
        this.sampling = null;
      });
  }

  private async sample(): Promise<void> {
    const stats = await this.pool.withShared(this.node, (connection) => readCommandStats(connection, this.commands.keyCommand));
    const at = performance.now();
    const previous = this.last;
    this.first ??= { at, stats };
    this.last = { at, stats };
    if (previous === null) return;
    const keyCommandCalls = (stats.keyCommandCalls ?? 0) - (previous.stats.keyCommandCalls ?? 0);
    let keys = keysRead(stats) - keysRead(previous.stats);
    const usec = spent(stats) - spent(previous.stats);
    if (keys < 0 || usec < 0 || keyCommandCalls < 0) {
      // CONFIG RESETSTAT: the counters started again; so does the accounting.
      this.first = { at, stats };
      return;
    }
    const ownKeyCommandCalls = this.ownKeyCommand.own(keyCommandCalls);
    keys += ownKeyCommandCalls;
    if (keys >= MIN_KEYS_FOR_COST) {
      const perKey = usec / keys;
      this.controller.observeCost(perKey);
    }
    const sizeCalls = stats.sizeCalls - previous.stats.sizeCalls;
    const othersCalls = stats.othersCalls - previous.stats.othersCalls + sizeCalls - this.ownSize.own(sizeCalls) + keyCommandCalls - ownKeyCommandCalls;
    const othersPerSecond = (othersCalls * 1000) / Math.max(1, at - previous.at);
    const busy = othersPerSecond > this.settings.busyOpsPerSecond;
    if (busy) this.trafficSeen = true;
    if (this.adapt) this.controller.setBusy(busy);
  }
}

/**
 * Microseconds the node spent in the scan's commands: a hot key scan's SCAN and OBJECT FREQ, a
 * big key scan's SCAN, TYPE and size commands, an expired key scan's SCAN and PTTL (others'
 * size commands or PTTLs too, where both run: a small overestimate of the cost, which makes the
 * pacing gentler, never harsher).
 */
function spent(stats: CommandStats): number {
  return stats.scanUsec + stats.objectUsec + stats.typeUsec + stats.sizeUsec + (stats.keyCommandUsec ?? 0);
}

/** Keys read: one OBJECT FREQ each in a hot key scan, one TYPE each in a big key scan. */
function keysRead(stats: CommandStats): number {
  return stats.objectCalls + stats.typeCalls;
}
