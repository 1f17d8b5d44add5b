/**
 * Turns OBJECT FREQ replies into top-K candidates, sums every warm key's heat by namespace and
 * shard or database (analysis/heat-summary.ts), and counts what is neither. Shared by every node
 * of one analysis (JavaScript runs one callback at a time: no locking needed).
 */
import { isHotter, outranks, type Candidate, type KeyDetail } from '../analysis/candidate.js';
import type { HeatSummary } from '../analysis/heat-summary.js';
import { TopK } from '../analysis/top-k.js';
import { LFU_INIT_VAL } from '../domain/hot-key.js';
import { keepView, keptIdentity, keptView, type KeptName } from '../domain/kept-name.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { LFU_DEFAULTS, type LfuSettings } from '../domain/lfu.js';
import { redirectedTarget, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';

/** A key kept under a name longer than NAME_KEEP_BYTES, whose type and size must be read while its whole name is at hand. */
export interface LongAdmission {
  readonly candidate: Candidate;
  /** The whole name, as the page that brought it holds it: valid until the caller's next page. */
  readonly fullName: Buffer;
}

export class HotKeyCollector {
  private readonly top: TopK<Candidate>;
  scannedKeys = 0;
  vanishedKeys = 0;
  private readonly lfu = new Map<string, LfuSettings>();
  private longAdmissions: LongAdmission[] = [];

  /**
   * `groupBy`: heat is summed per shard (a cluster) or per database (a standalone server), in
   * at most `maxGroups` groups: a server claiming more fails the analysis ('limit').
   */
  constructor(
    topK: number,
    readonly heat: HeatSummary,
    private readonly groupBy: 'shard' | 'db',
    private readonly maxGroups: number = Number.POSITIVE_INFINITY,
  ) {
    // A key is one key per (db, name) in the whole deployment: in a cluster a key seen on two
    // nodes during a migration, or twice by SCAN, is kept once, with its higher counter.
    this.top = new TopK<Candidate>(topK, isHotter, (c) => c.id);
  }

  /**
   * Offers one page read on `connection` (or, with `count` false, a slice of one, the page then
   * counted with countPage()); returns the keys that answered MOVED/ASK (a cluster being resharded).
   */
  collect(keys: readonly Buffer[], freqs: readonly Reply[], db: number, connection: RespConnection, count = true): KeyTarget<Buffer>[] {
    const redirects: KeyTarget<Buffer>[] = [];
    const node = connection.address;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as Buffer;
      const outcome = this.read(freqs[i] ?? null, db, node, key, connection);
      if (outcome !== null) redirects.push(outcome);
    }
    // Counted once the page is through: a page that fails (and makes its node be read again)
    // is not counted, like the node's progress.
    if (count) this.countPage(node, db, keys.length);
    return redirects;
  }

  /** A page collected in slices is through: its keys count as scanned. */
  countPage(node: string, db: number, keys: number): void {
    this.scannedKeys += keys;
    this.scannedIn(node, db, keys);
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
   * Offers one key reading: `name` whole (a view of a socket buffer), or already kept (a
   * snapshot's parser keeps long names as their beginning and hash). Copies what it keeps only
   * if the key is kept, at most NAME_KEEP_BYTES of it. `countHeat` false for keys read again at
   * the end of a cluster scan: their heat was most likely counted during it. A key kept under a
   * long name without `detail` waits in takeLongAdmissions() for its type and size.
   */
  offer(freq: number, db: number, node: string, name: Buffer | KeptName, countHeat = true, detail?: () => KeyDetail): void {
    if (freq <= LFU_INIT_VAL) return;
    const whole = Buffer.isBuffer(name) ? name : null;
    const bytes = whole ?? (name as KeptName).name;
    if (countHeat) this.heat.warm(node, this.enterGroup(node, db), bytes, freq, this.lfuOf(node));
    const worst = this.top.worstKept();
    // Compare before copying: most keys are colder than the worst kept and cost no allocation.
    if (worst !== undefined && freq < worst.freq) return;
    const view = whole === null ? (name as KeptName) : keptView(whole);
    if (worst !== undefined && !outranks(freq, db, node, view, worst)) return;
    const kept = keepView(view);
    const candidate: Candidate = { freq, db, node, ...kept, id: keptIdentity(db, kept), ...(detail === undefined ? {} : { detail: detail() }) };
    if (!this.top.offer(candidate)) return;
    if (candidate.nameSha1 !== undefined && candidate.detail === undefined && whole !== null) this.longAdmissions.push({ candidate, fullName: whole });
  }

  /**
   * Keys kept since the last call under names too long to keep whole, still in the top-K: the
   * caller reads their type and size now (setDetail), while their whole names are at hand.
   */
  takeLongAdmissions(): LongAdmission[] {
    const taken = this.longAdmissions.filter((a) => this.top.has(a.candidate.id, a.candidate));
    this.longAdmissions = [];
    return taken;
  }

  /** The type and size read for a kept key; a key gone meanwhile (or whose type changed) is dropped and counted as vanished. */
  setDetail(candidate: Candidate, detail: KeyDetail | 'vanished'): void {
    if (detail === 'vanished') {
      if (this.top.removeWhere((c) => c === candidate) > 0) this.vanishedKeys += 1;
      return;
    }
    this.top.replaceWhere((c) => c === candidate, { ...candidate, detail });
  }

  /** Keys read without OBJECT FREQ pages (a snapshot): counted as scanned, in their group. `at` says where, for a failure. */
  counted(node: string, db: number, keys: number, at = ''): void {
    this.scannedKeys += keys;
    this.scannedIn(node, db, keys, at);
  }

  /** Counts keys in their group. */
  private scannedIn(node: string, db: number, keys: number, at = ''): void {
    this.heat.scanned(node, this.enterGroup(node, db, at), keys);
  }

  /**
   * The group of a node's database (its shard on a cluster), counted from now on; a group past
   * analysis.max_groups fails the analysis ('limit'), `at` saying where (an RDB's byte offset).
   */
  enterGroup(node: string, db: number, at = ''): string {
    const group = this.group(node, db);
    if (this.heat.hasGroup(group)) return group;
    if (this.heat.groupCount() >= this.maxGroups) {
      const what = this.groupBy === 'db' ? `database ${db}` : `shard ${node}`;
      throw new RedisFailure(
        'limit',
        node,
        `${node}${at}: ${what} would be group ${this.maxGroups + 1} of this analysis, past analysis.max_groups (${this.maxGroups}): more databases or shards than keyheat reports`,
      );
    }
    this.heat.scanned(node, group, 0);
    return group;
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

