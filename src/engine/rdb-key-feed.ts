/**
 * The keys of one RDB (a node's snapshot, or a file) into a snapshot pass: each key's counter to
 * the hot key collector (with its type and size, so no probe is needed), its size to the big key
 * summary, its bytes in the RDB to the offline report, and progress every PROGRESS_KEYS keys.
 * Keys past their expiry on the node's clock are counted apart and left out, as SCAN leaves them
 * out.
 */
import type { BigKeySummary } from '../analysis/bigkey-summary.js';
import type { OfflineReportBuilder } from '../analysis/offline-report.js';
import type { KeptName } from '../domain/kept-name.js';
import { RdbParser, type RdbKey } from '../redis/rdb/rdb-parser.js';
import type { HotKeyCollector } from './hot-key-collector.js';
import type { ProgressBoard } from './progress-board.js';

/** Keys between two progress reports. */
const PROGRESS_KEYS = 10_000;

/** Where the RDB comes from. */
export interface FeedSource {
  /** `ip:port` of the node read, or the file's path. */
  readonly node: string;
  /** What its keys are grouped under: the shard's primary on a cluster, else the node. */
  readonly label: string;
  readonly shard: string | undefined;
  /** The node's clock minus keyheat's, ms. */
  readonly clockOffsetMs: number;
}

/** What the pass keeps, shared by every RDB it reads. */
export interface FeedSinks {
  readonly collector: HotKeyCollector | null;
  readonly summary: BigKeySummary | null;
  /** The offline key analysis report (DCS's offline/key-analysis). */
  readonly offline: OfflineReportBuilder | null;
  readonly progress: ProgressBoard;
  /** Keys kept (not expired), and keys that had an LFU counter (FREQ). */
  readonly counts: { scanned: number; withFreq: number };
}

/** Feeds one RDB's keys, as its parser reports them, to the pass's collector, summary and progress. */
export class RdbKeyFeed {
  readonly parser: RdbParser;
  keys = 0;
  expired = 0;
  modules = 0;
  private db = -1;
  private inDb = 0;
  private sinceProgress = 0;
  /** Now on the node's clock: expiry is the node's to judge. */
  private readonly now: number;

  private readonly node: string;
  private readonly label: string;
  private readonly shard: string | undefined;
  private readonly clockOffsetMs: number;

  constructor(
    source: FeedSource,
    private readonly sinks: FeedSinks,
    maxKeyBytes: number,
  ) {
    ({ node: this.node, label: this.label, shard: this.shard, clockOffsetMs: this.clockOffsetMs } = source);
    this.parser = new RdbParser({ onKey: (key) => this.onKey(key) }, { maxKeyBytes });
    this.now = Date.now() + this.clockOffsetMs;
  }

  private onKey(key: RdbKey): void {
    this.keys += 1;
    if (key.db !== this.db) this.flushDb(key.db);
    // SCAN does not return keys past their expiry: neither does a snapshot.
    if (key.expiresAtMs !== null && key.expiresAtMs <= this.now) {
      this.expired += 1;
      return;
    }
    const { collector, summary, offline, counts, progress } = this.sinks;
    this.inDb += 1;
    counts.scanned += 1;
    if (key.type === 'module') this.modules += 1;
    const type = key.type === 'module' ? (key.moduleName ?? 'module') : key.type;
    // Module values: their bytes in the RDB stand for their size, as MEMORY USAGE does in a scan.
    const size = key.size ?? key.rdbBytes;
    const unit = key.unit === 'bytes' || key.unit === null ? 'byte' : 'count';
    if (key.freq !== null) counts.withFreq += 1;
    // Long names come as their beginning and the hash of the whole (the parser never holds them).
    const name: KeptName = key.keySha1 === null ? { name: key.key } : { name: key.key, nameSha1: key.keySha1 };
    if (collector !== null && key.freq !== null) collector.offer(key.freq, key.db, this.label, name, true, () => ({ type, size, unit }));
    // The expiry on keyheat's clock, for the TTL reported when the result is assembled.
    const expiresAtMs = key.expiresAtMs === null ? null : key.expiresAtMs - this.clockOffsetMs;
    summary?.add({
      name: key.key,
      ...(name.nameSha1 === undefined ? {} : { nameSha1: name.nameSha1 }),
      db: key.db,
      node: this.node,
      shard: this.shard,
      type,
      size,
      expiresAtMs,
      ...(key.idleSeconds === null ? {} : { idleSeconds: key.idleSeconds }),
      ...(key.volatileFields === null || key.volatileFields === 0 ? {} : { volatileFields: key.volatileFields }),
    });
    // A string is one element: its length is a size, not an element count; a module value's elements are unknown.
    offline?.add({ ...name, db: key.db, node: this.node, shard: this.shard, type, module: key.type === 'module', bytes: key.rdbBytes, numOfElem: unit === 'count' && key.size !== null ? key.size : 1 });
    if (++this.sinceProgress >= PROGRESS_KEYS) {
      progress.add(this.node, this.sinceProgress);
      this.sinceProgress = 0;
    }
  }

  private flushDb(next: number): void {
    if (this.db >= 0 && this.inDb > 0) this.sinks.collector?.counted(this.label, this.db, this.inDb);
    // A database never seen counts against analysis.max_groups: refused here, where the RDB says so.
    if (next >= 0) this.sinks.collector?.enterGroup(this.label, next, ` (at byte ${this.parser.bytes} of the RDB)`);
    this.db = next;
    this.inDb = 0;
  }

  /** Counts the last database's keys and the last progress. */
  flush(): void {
    this.flushDb(-1);
    this.sinks.progress.add(this.node, this.sinceProgress);
    this.sinceProgress = 0;
  }
}
