/**
 * Turns OBJECT FREQ replies into top-K candidates and counts what is not a candidate. Shared by
 * every node of one analysis (JavaScript runs one callback at a time: no locking needed).
 */
import { isHotter, type Candidate } from '../analysis/candidate.js';
import { TopK } from '../analysis/top-k.js';
import { LFU_INIT_VAL } from '../domain/hot-key.js';
import { classifyRedisError, redirectTarget } from '../redis/classify-redis-error.js';
import { RedisReplyError, type Reply } from '../redis/resp-parser.js';

/** A key whose slot now lives elsewhere: read it there. */
export interface Redirect {
  readonly key: Buffer;
  readonly address: string;
  readonly ask: boolean;
}

export class HotKeyCollector {
  private readonly top: TopK<Candidate>;
  scannedKeys = 0;
  vanishedKeys = 0;

  constructor(topK: number) {
    // A key is one key per (db, name) in the whole deployment: in a cluster a key seen on two
    // nodes during a migration, or twice by SCAN, is kept once, with its higher counter.
    this.top = new TopK<Candidate>(topK, isHotter, (c) => `${c.db}\u0000${c.name.toString('latin1')}`);
  }

  /** Offers one page; returns the keys that answered MOVED/ASK (a cluster being resharded). */
  collect(keys: readonly Buffer[], freqs: readonly Reply[], db: number, node: string): Redirect[] {
    const redirects: Redirect[] = [];
    for (let i = 0; i < keys.length; i++) {
      const freq = freqs[i];
      if (typeof freq === 'number') {
        this.offer(freq, db, node, keys[i] as Buffer);
      } else if (freq === null || freq === undefined) {
        this.vanishedKeys += 1;
      } else {
        const redirect = this.redirectOf(freq, keys[i] as Buffer, node);
        redirects.push(redirect);
      }
    }
    // Counted once the page is through: a page that fails (and makes its node be read again)
    // is not counted, like the node's progress.
    this.scannedKeys += keys.length;
    return redirects;
  }

  /** Offers one key reading; copies the name only if the key is kept. */
  offer(freq: number, db: number, node: string, name: Buffer): void {
    if (freq <= LFU_INIT_VAL) return;
    const worst = this.top.worstKept();
    // Compare before copying: most keys are colder than the worst kept and cost no allocation.
    if (worst !== undefined && !isHotter({ freq, db, node, name }, worst)) return;
    this.top.offer({ freq, db, node, name: Buffer.from(name) });
  }

  redirectOf(reply: Reply, key: Buffer, node: string): Redirect {
    const failure = classifyRedisError(reply instanceof RedisReplyError ? reply : new RedisReplyError(String(reply)), node);
    const target = redirectTarget(failure);
    if (target === null) throw failure;
    return { key: Buffer.from(key), address: target.address, ask: failure.kind === 'ask' };
  }

  /**
   * Forgets what a node contributed before it failed: its replacement is read from the start,
   * and keys kept from the dead node would otherwise carry its address and stale counters.
   */
  forgetNode(node: string, scannedKeys: number): void {
    this.top.removeWhere((candidate) => candidate.node === node);
    this.scannedKeys -= scannedKeys;
  }

  /** Hottest first. */
  candidates(): Candidate[] {
    return this.top.sorted();
  }
}
