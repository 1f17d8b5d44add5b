/**
 * Handing a stranger's bytes to a synchronous parser without holding the event loop: chunks go
 * in as they arrive and come out in slices of FEED_SLICE bytes; after FEED_TURN_MS of work the
 * feed yields (setImmediate) and, when its source can pause (a socket), pauses it until the queue
 * is worked off. The RDB parser does work in proportion to the bytes of a call (at most about
 * 88 times them: LZF's greatest ratio), so no single turn runs much longer than FEED_TURN_MS,
 * whatever the bytes hold, and every other analysis, request and health check gets its turns.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Bytes per call of the consumer: LZF at its worst inflates them to about 1.4 MB. */
export const FEED_SLICE = 16 * 1024;
/** Work in one turn of the event loop before the feed yields. */
export const FEED_TURN_MS = 10;
/** Bytes queued past which a source that can pause is paused. */
const HIGH_WATER = 1024 * 1024;

/** A source that can stop sending for a while (a socket). */
export interface FeedSource {
  pause(): void;
  resume(): void;
}

/** Slices `chunk` for a consumer: FEED_SLICE bytes at a time. */
export function* slices(chunk: Buffer): Generator<Buffer> {
  if (chunk.length <= FEED_SLICE) {
    yield chunk;
    return;
  }
  for (let at = 0; at < chunk.length; at += FEED_SLICE) yield chunk.subarray(at, at + FEED_SLICE);
}

/**
 * Feeds an async source of chunks (a file stream) to `consume` slice by slice, yielding the event
 * loop every FEED_TURN_MS. `consume` returns false to stop (the bytes after are not its).
 */
export async function feedPaced(chunks: AsyncIterable<Buffer>, consume: (slice: Buffer) => boolean): Promise<void> {
  let turn = performance.now();
  for await (const chunk of chunks) {
    for (const slice of slices(chunk)) {
      if (!consume(slice)) return;
      if (performance.now() - turn >= FEED_TURN_MS) {
        await nextTurn();
        turn = performance.now();
      }
    }
  }
}

/**
 * A queue between a push source (a socket's data events) and `consume`: push() returns at once;
 * the queue is worked off in slices, FEED_TURN_MS per turn, the source paused while it is long.
 * Errors of `consume` go to `onError`; after one, or stop(), the rest is dropped.
 */
export class PacedQueue {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private paused = false;
  private stopped = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly consume: (slice: Buffer) => void,
    private readonly onError: (error: unknown) => void,
    private readonly source: FeedSource | null,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER && !this.paused && this.source !== null) {
      this.paused = true;
      this.source.pause();
    }
    if (!this.scheduled) this.work();
  }

  /** Calls `then` once everything pushed so far has been consumed (at once when nothing is queued). */
  whenIdle(then: () => void): void {
    if (this.queue.length === 0 && !this.scheduled) then();
    else this.idle.push(then);
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.queued = 0;
    this.idle = [];
  }

  private work(): void {
    this.scheduled = false;
    const turn = performance.now();
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const chunk = this.queue[0] as Buffer;
        const slice = chunk.length <= FEED_SLICE ? chunk : chunk.subarray(0, FEED_SLICE);
        if (slice === chunk) this.queue.shift();
        else this.queue[0] = chunk.subarray(FEED_SLICE);
        this.queued -= slice.length;
        this.consume(slice);
        if (this.queue.length > 0 && performance.now() - turn >= FEED_TURN_MS) {
          this.scheduled = true;
          setImmediate(() => this.work());
          return;
        }
      }
    } catch (error) {
      this.stop();
      this.onError(error);
      return;
    }
    if (this.paused && this.source !== null) {
      this.paused = false;
      this.source.resume();
    }
    const idle = this.idle;
    this.idle = [];
    for (const then of idle) then();
  }
}
