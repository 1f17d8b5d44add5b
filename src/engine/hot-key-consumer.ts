/**
 * The hot key scan on the scan machine (engine/scan-node.ts): OBJECT FREQ for every key SCAN
 * returns, into the shared collector (engine/hot-key-collector.ts). Per node its LFU settings
 * are read first (CONFIG GET lfu-*, redis/lfu-config.ts); a key that answers MOVED/ASK is read
 * where it went; a key kept under a name too long to keep whole is probed while its page holds
 * the whole name.
 *
 * Commands run on production nodes: INFO, CONFIG GET, SELECT, SCAN and OBJECT FREQ; TYPE and
 * one size command for the rare key kept under a long name; CLUSTER COUNTKEYSINSLOT /
 * GETKEYSINSLOT and ASKING on a cluster whose slots moved during the scan.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { unexpectedReply } from '../redis/classify-redis-error.js';
import { readLfuSettings } from '../redis/lfu-config.js';
import type { NodePool } from '../redis/node-pool.js';
import { isBigPage, scanDatabase, type ScanOptions, type ScanPage } from '../redis/node-scanner.js';
import { refuseUnsupported } from '../redis/preflight.js';
import { sendToOwners, type KeyTarget } from '../redis/redirects.js';
import type { RespConnection } from '../redis/resp-connection.js';
import type { ServerFacts } from '../redis/server-info.js';
import type { HotKeyCollector } from './hot-key-collector.js';
import { probeCandidates } from './probe-candidates.js';
import type { KeyConsumer } from './scan-node.js';
import { OBJECT_FREQ_COMMANDS } from './traffic-monitor.js';

export class HotKeyConsumer implements KeyConsumer<ScanPage> {
  readonly commands = OBJECT_FREQ_COMMANDS;

  constructor(
    private readonly collector: HotKeyCollector,
    private readonly pool: NodePool,
  ) {}

  /** A replica, Redis < 4.0 or a policy without LFU is refused with the reason. */
  check(facts: ServerFacts, node: string): void {
    refuseUnsupported(facts, node);
  }

  async startNode(connection: RespConnection): Promise<void> {
    this.collector.setLfu(connection.address, await readLfuSettings(connection));
  }

  pages(connection: RespConnection, scan: ScanOptions): AsyncIterable<ScanPage> {
    return scanDatabase(connection, scan);
  }

  takePage(page: ScanPage, db: number, connection: RespConnection): Promise<KeyTarget<Buffer>[]> {
    return collectPage(this.collector, page, db, connection);
  }

  /** Reads the counters of keys whose slot moved, where they went (redis/redirects.ts follows further hops). */
  async readRedirected(targets: readonly KeyTarget<Buffer>[]): Promise<void> {
    const replies = await sendToOwners(this.pool, targets, (t) => ['OBJECT', 'FREQ', t.key]);
    for (const { item, node, reply, failure } of replies) {
      if (failure !== null) throw failure;
      if (typeof reply === 'number') this.collector.offer(reply, 0, node, item);
      else if (reply === null) this.collector.vanishedKeys += 1;
      else throw unexpectedReply(node, reply, 'OBJECT FREQ');
    }
  }

  afterPage(): Promise<void> {
    return probeLongAdmissions(this.collector, this.pool);
  }

  /** A key answering MOVED here is read where it lives (the top-K keeps one reading per key); its heat is not counted again. */
  async recheck(targets: readonly KeyTarget<Buffer>[]): Promise<void> {
    for (const { item, node, reply, failure } of await sendToOwners(this.pool, targets, (t) => ['OBJECT', 'FREQ', t.key])) {
      if (failure !== null) throw failure;
      if (typeof reply === 'number') this.collector.offer(reply, 0, node, item, false);
    }
    await probeLongAdmissions(this.collector, this.pool);
  }

  expectNodes(count: number): void {
    this.collector.heat.expectNodes(count);
  }

  forgetNode(node: string, scannedKeys: number): void {
    this.collector.forgetNode(node, scannedKeys);
  }
}

/**
 * Type and size of the keys the top-K just kept under names too long to keep whole: read now,
 * while the page holds their whole names (once kept, a name is its beginning and its hash, and
 * cannot be named to the server again). Rare: only names over NAME_KEEP_BYTES.
 */
export async function probeLongAdmissions(collector: HotKeyCollector, pool: NodePool): Promise<void> {
  const admitted = collector.takeLongAdmissions();
  if (admitted.length === 0) return;
  const whole = new Map(admitted.map((a) => [a.candidate, a.fullName]));
  const probed = await probeCandidates(pool, [...whole.keys()], (candidate) => whole.get(candidate) as Buffer);
  const found = new Map(probed.keys.map((key) => [key.candidate, key]));
  for (const candidate of whole.keys()) {
    const key = found.get(candidate);
    collector.setDetail(candidate, key === undefined ? 'vanished' : { type: key.type, size: key.size, unit: key.unit });
  }
}

/** Name bytes the collector takes in one turn of the event loop (long names are hashed when kept). */
const COLLECT_SLICE_BYTES = 2 * 1024 * 1024;

/**
 * A page into the collector: at once when its names are short (nearly always), else a slice of
 * names at a time, yielding the event loop between slices, and counted when all of it is through.
 */
export async function collectPage(collector: HotKeyCollector, page: ScanPage, db: number, connection: RespConnection): Promise<KeyTarget<Buffer>[]> {
  if (!isBigPage(page.keys)) return collector.collect(page.keys, page.replies, db, connection);
  const redirects: KeyTarget<Buffer>[] = [];
  for (let from = 0; from < page.keys.length; ) {
    let to = from;
    for (let bytes = 0; to < page.keys.length && (to === from || bytes < COLLECT_SLICE_BYTES); to++) bytes += (page.keys[to] as Buffer).length;
    redirects.push(...collector.collect(page.keys.slice(from, to), page.replies.slice(from, to), db, connection, false));
    from = to;
    await nextTurn();
  }
  collector.countPage(connection.address, db, page.keys.length);
  return redirects;
}
