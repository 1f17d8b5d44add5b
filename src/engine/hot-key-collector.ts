/**
 * Turns OBJECT FREQ replies into top-K candidates, sums every warm key's heat by namespace and
 * shard or database (analysis/heat-summary.ts), and counts what is neither. Shared by every node
 * of one analysis (JavaScript runs one callback at a time: no locking needed).
 */
import { isHotter, type Candidate, type KeyDetail } from '../analysis/candidate.js';
import type { HeatSummary } from '../analysis/heat-summary.js';
import { TopK } from '../analysis/top-k.js';
import { LFU_INIT_VAL } from '../domain/hot-key.js';
import { LFU_DEFAULTS, type LfuSettings } from '../domain/lfu.js';
import { redirectedTarget, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';

export class HotKeyCollector {
  private readonly top: TopK<Candidate>;
  scannedKeys = 0;
  vanishedKeys = 0;
  private readonly lfu = new Map<string, LfuSettings>();

  /** `groupBy`: heat is summed per shard (a cluster) or per database (a standalone server). */
  constructor(
    topK: number,
    readonly heat: HeatSummary,
    private readonly groupBy: 'shard' | 'db',
  ) {
    // A key is one key per (db, name) in the whole deployment: in a cluster a key seen on two
    // nodes during a migration, or twice by SCAN, is kept once, with its higher counter.
    this.top = new TopK<Candidate>(topK, isHotter, (c) => `${c.db}\u0000${c.name.toString('latin1')}`);
  }

  /** Offers one page read on `connection`; returns the keys that answered MOVED/ASK (a cluster being resharded). */
  collect(keys: readonly Buffer[], freqs: readonly Reply[], db: number, connection: RespConnection): KeyTarget<Buffer>[] {
    const redirects: KeyTarget<Buffer>[] = [];
    const node = connection.address;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as Buffer;
      const outcome = this.read(freqs[i] ?? null, db, node, key, connection);
      if (outcome !== null) redirects.push(outcome);
    }
    // Counted once the page is through: a page that fails (and makes its node be read again)
    // is not counted, like the node's progress.
    this.scannedKeys += keys.length;
    this.heat.scanned(node, this.group(node, db), keys.length);
    return redirects;
  }

  /**
   * One OBJECT FREQ reply: a counter is offered, nil (the key vanished) counted, a redirect
   * returned for the caller to follow; any other error or shape fails the node.
   */
  read(reply: Reply, db: number, node: string, key: Buffer, connection: Pick<RespConnection, 'failureOf' | 'unexpected'>): KeyTarget<Buffer> | null {
    if (typeof reply === 'number') {
      this.offer(reply, db, node, key);
      return null;
    }
    if (reply === null) {
      this.vanishedKeys += 1;
      return null;
    }
    if (reply instanceof RedisReplyError) {
      const copy = Buffer.from(key);
      const redirect = redirectedTarget(reply, { item: copy, key: copy, db }, node);
      if (redirect !== null) return redirect;
      throw connection.failureOf(reply);
    }
    throw connection.unexpected(reply, 'OBJECT FREQ');
  }

  /** A node's LFU settings, read when its scan starts: what its counters mean. */
  setLfu(node: string, settings: LfuSettings): void {
    this.lfu.set(node, settings);
  }

  lfuOf(node: string): LfuSettings {
    return this.lfu.get(node) ?? LFU_DEFAULTS;
  }

  /**
   * Offers one key reading; copies the name only if the key is kept. `countHeat` false for keys
   * read again at the end of a cluster scan: their heat was most likely counted during it.
   */
  offer(freq: number, db: number, node: string, name: Buffer, countHeat = true, detail?: () => KeyDetail): void {
    if (freq <= LFU_INIT_VAL) return;
    if (countHeat) this.heat.warm(node, this.group(node, db), name, freq, this.lfuOf(node));
    const worst = this.top.worstKept();
    // Compare before copying: most keys are colder than the worst kept and cost no allocation.
    if (worst !== undefined && !isHotter({ freq, db, node, name }, worst)) return;
    this.top.offer(detail === undefined ? { freq, db, node, name: Buffer.from(name) } : { freq, db, node, name: Buffer.from(name), detail: detail() });
  }

  /** Keys read without OBJECT FREQ pages (a snapshot): counted as scanned, in their group. */
  counted(node: string, db: number, keys: number): void {
    this.scannedKeys += keys;
    this.heat.scanned(node, this.group(node, db), keys);
  }

  /**
   * Forgets what a node contributed before it failed: its replacement is read from the start,
   * and keys kept from the dead node would otherwise carry its address and stale counters.
   */
  forgetNode(node: string, scannedKeys: number): void {
    this.top.removeWhere((candidate) => candidate.node === node);
    this.scannedKeys -= scannedKeys;
    this.heat.forgetNode(node);
  }

  private group(node: string, db: number): string {
    return this.groupBy === 'shard' ? node : String(db);
  }

  /** Hottest first. */
  candidates(): Candidate[] {
    return this.top.sorted();
  }
}
