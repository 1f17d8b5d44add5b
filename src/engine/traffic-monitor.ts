/**
 * Watches whether a node serves other clients while keyheat scans it, from INFO commandstats:
 * every command not of keyheat's kinds (SCAN, OBJECT, INFO, SELECT, CLIENT, ...) counts as
 * someone else's. The scan uses big batches only while the node is otherwise idle, and small,
 * redis-cli-sized ones as soon as others are served (bench/impact.ts: 1000-key pages raised a
 * GET workload's p99 by ~1.3 ms; 5-key pages left it where redis-cli --hotkeys does).
 *
 * It starts "busy" and declares the node idle only after a quiet sample, so the first
 * milliseconds of a scan never hit live traffic with big batches.
 */
import type { NodePool } from '../redis/node-pool.js';

/** Commands keyheat itself sends during a scan; everything else is other clients' traffic. */
const OWN_COMMANDS = /^cmdstat_(scan|object(\|.*)?|info|select|client(\|.*)?|auth|ping|type|cluster(\|.*)?|asking|command(\|.*)?)$/;

export interface TrafficSettings {
  /** How often to sample INFO commandstats. */
  readonly intervalMs: number;
  /** Other clients' commands per second above which the node counts as busy. */
  readonly busyOpsPerSecond: number;
}

export const TRAFFIC_DEFAULTS: TrafficSettings = Object.freeze({ intervalMs: 100, busyOpsPerSecond: 100 });

export class TrafficMonitor {
  private busyNow = true;
  private timer: NodeJS.Timeout | null = null;
  private lastCount: number | null = null;
  private lastAt = 0;
  private sampling = false;

  constructor(
    private readonly node: string,
    private readonly pool: NodePool,
    private readonly settings: TrafficSettings = TRAFFIC_DEFAULTS,
  ) {}

  get busy(): boolean {
    return this.busyNow;
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const count = othersCommandCount(await this.pool.withShared(this.node, (connection) => connection.text(['INFO', 'commandstats'])));
      const now = performance.now();
      if (this.lastCount !== null) {
        const rate = ((count - this.lastCount) * 1000) / Math.max(1, now - this.lastAt);
        this.busyNow = rate > this.settings.busyOpsPerSecond;
      }
      this.lastCount = count;
      this.lastAt = now;
    } catch {
      // Cannot tell (INFO refused by an ACL, connection lost or closed for room): assume live
      // traffic, scan gently. A lost connection also fails the scan itself, which reports it.
      this.busyNow = true;
    } finally {
      this.sampling = false;
    }
  }
}

/** Sum of calls of every command that is not one of keyheat's. */
export function othersCommandCount(commandstats: string): number {
  let total = 0;
  for (const line of commandstats.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || !line.startsWith('cmdstat_')) continue;
    if (OWN_COMMANDS.test(line.slice(0, colon))) continue;
    const calls = /calls=(\d{1,15})/.exec(line);
    if (calls !== null) total += Number(calls[1]);
  }
  return total;
}
