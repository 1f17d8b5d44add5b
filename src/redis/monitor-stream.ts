/**
 * The MONITOR stream of one node, read as input from a stranger. After MONITOR, Redis sends one
 * status line per command it executes, on any connection:
 *
 *   +1700000000.123456 [0 10.0.0.7:52114] "get" "user:1"
 *
 * (`[db lua]` for commands of scripts, `[db unix:/path]` on a socket; every argument quoted,
 * with \\ \" \n \r \t \a \b and \xHH escapes, as sdscatrepr writes them).
 *
 * Bounded: each line keeps at most `lineKeepBytes` (a SET of a 100 MB value is a 100 MB line;
 * its key is in the first bytes, the rest is skipped as it arrives), so keyheat's memory does
 * not grow with the stream whatever the server sends. Reading is synchronous per chunk: when
 * keyheat falls behind, the bytes wait in the kernel and in Redis's output buffer for this
 * client, which the sampler watches (engine/sample-deployment.ts) and stops before it grows.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { RespConnection } from './resp-connection.js';
import { RedisReplyError } from './resp-parser.js';

/** One command seen. `args` may end early when the line was longer than lineKeepBytes. */
export interface MonitoredCommand {
  /** Server time of the command, seconds (microsecond resolution). */
  readonly time: number;
  readonly db: number;
  /** The client as the server shows it: `ip:port`, `lua`, `unix:/path`. Latin-1. */
  readonly client: string;
  /** args[0] is the command name as sent. */
  readonly args: readonly Buffer[];
  /** The line was cut at lineKeepBytes: arguments past it are missing. */
  readonly truncated: boolean;
}

export interface MonitorHandlers {
  onCommand(command: MonitoredCommand): void;
  /** A line that is not a command line (counted by the caller, never trusted). */
  onMalformed(): void;
}

/** Bytes kept of one line: enough for a command name and its keys, far less than a big value. */
export const LINE_KEEP_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;

export class MonitorStream {
  /** Line being assembled: its kept bytes, and whether bytes past the limit were dropped. */
  private carry: Buffer[] = [];
  private carried = 0;
  private overflow = false;
  private started = false;
  private onStarted: ((error: RedisFailure | null) => void) | null = null;
  /** performance.now() when MONITOR was acknowledged, and server time of the first command line. */
  private localStart = 0;
  private serverStart = -1;
  private localFirst = 0;
  /** The most, in ms, a line read since the last takeMaxLag() was behind the node's clock (measured from the first line). */
  private maxLagMs = 0;
  /** Bytes read from the node since MONITOR. */
  bytes = 0;

  private constructor(
    private readonly connection: RespConnection,
    private readonly handlers: MonitorHandlers,
    private readonly lineKeepBytes: number,
  ) {}

  /**
   * Sends MONITOR on `connection` (which is the stream's from now on) and resolves once the
   * node acknowledged it. A refusal (ACL, renamed command, a managed service) fails with the
   * classified kind ('no-permission', 'unsupported') and how to allow it.
   */
  static start(connection: RespConnection, handlers: MonitorHandlers, deadlineMs: number, lineKeepBytes = LINE_KEEP_BYTES): Promise<MonitorStream> {
    const stream = new MonitorStream(connection, handlers, lineKeepBytes);
    return new Promise<MonitorStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.close();
        reject(new RedisFailure('timeout', connection.address, `${connection.address} did not acknowledge MONITOR within ${deadlineMs} ms`));
      }, deadlineMs);
      timer.unref();
      stream.onStarted = (error) => {
        clearTimeout(timer);
        if (error === null) resolve(stream);
        else reject(error);
      };
      connection.onClose(() => stream.onStarted?.(connection.closeReason ?? new RedisFailure('unreachable', connection.address, `${connection.address} closed the connection`)));
      connection.stream(['MONITOR'], (chunk) => stream.push(chunk));
    });
  }

  /**
   * The longest a line read since the last call waited between the node writing it and keyheat
   * reading it, ms, beyond the first line's wait. A backlog read in one burst after keyheat was
   * busy shows here even when the newest lines are fresh again.
   */
  takeMaxLag(): number {
    const lag = this.maxLagMs;
    this.maxLagMs = 0;
    return lag;
  }

  /** Ms since MONITOR was acknowledged. */
  get elapsedMs(): number {
    return performance.now() - this.localStart;
  }

  private push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let from = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, from);
      if (lf < 0) {
        this.keep(chunk, from, chunk.length);
        return;
      }
      let line: Buffer;
      if (this.carried === 0 && !this.overflow) {
        line = chunk.subarray(from, lf);
      } else {
        this.keep(chunk, from, lf);
        line = this.carry.length === 1 ? (this.carry[0] as Buffer) : Buffer.concat(this.carry, this.carried);
      }
      const truncated = this.overflow;
      this.carry = [];
      this.carried = 0;
      this.overflow = false;
      from = lf + 1;
      this.line(line[line.length - 1] === CR && !truncated ? line.subarray(0, line.length - 1) : line, truncated);
      if (!this.connection.isOpen) return;
    }
  }

  /** Keeps bytes [from, to) of a line still open, up to lineKeepBytes. */
  private keep(chunk: Buffer, from: number, to: number): void {
    const room = this.lineKeepBytes - this.carried;
    const take = Math.min(room, to - from);
    if (take > 0) {
      // Copied: a kept slice would pin the whole chunk.
      this.carry.push(Buffer.from(chunk.subarray(from, from + take)));
      this.carried += take;
    }
    if (to - from > take) this.overflow = true;
  }

  private line(line: Buffer, truncated: boolean): void {
    if (!this.started) {
      this.started = true;
      const settle = this.onStarted;
      this.onStarted = null;
      if (line.length >= 3 && line.toString('latin1', 0, 3) === '+OK') {
        this.localStart = performance.now();
        settle?.(null);
      } else {
        const text = line[0] === 0x2d ? line.toString('utf8', 1) : `a reply that is not +OK (${line.length} bytes)`;
        settle?.(monitorRefused(this.connection.failureOf(new RedisReplyError(text))));
        this.connection.close();
      }
      return;
    }
    const command = parseMonitorLine(line, truncated);
    if (command === null) {
      this.handlers.onMalformed();
      return;
    }
    const now = performance.now();
    if (this.serverStart < 0) {
      this.serverStart = command.time;
      this.localFirst = now;
    }
    // Both clocks measured from the first command line: no need for them to agree, only to tick alike.
    const lag = now - this.localFirst - (command.time - this.serverStart) * 1000;
    if (lag > this.maxLagMs) this.maxLagMs = lag;
    this.handlers.onCommand(command);
  }
}

/** MONITOR refused: what the operator can do about it. */
function monitorRefused(failure: RedisFailure): RedisFailure {
  const kind = failure.kind === 'no-permission' || failure.kind === 'unsupported' ? failure.kind : 'unsupported';
  return new RedisFailure(
    kind,
    failure.node,
    `${failure.node} refused MONITOR, which the sampling phase needs (${failure.message}). Allow it for keyheat's user ` +
      `(ACL SETUSER <user> +monitor), or undo its rename-command; managed services often disable it. Without sample_seconds the task needs no MONITOR.`,
  );
}

/**
 * One MONITOR line (without CRLF) into its parts; null when it is not one. Arguments cut by a
 * truncated line are left out.
 */
export function parseMonitorLine(line: Buffer, truncated = false): MonitoredCommand | null {
  if (line[0] !== 0x2b) return null;
  const space = line.indexOf(SPACE, 1);
  if (space < 0 || line[space + 1] !== 0x5b) return null;
  const time = Number(line.toString('latin1', 1, space));
  if (!Number.isFinite(time)) return null;
  const dbEnd = line.indexOf(SPACE, space + 2);
  if (dbEnd < 0) return null;
  const dbText = line.toString('latin1', space + 2, dbEnd);
  if (!/^\d{1,5}$/.test(dbText)) return null;
  // The client field ends at `] "`: the first argument always follows.
  const close = line.indexOf('] "', dbEnd + 1, 'latin1');
  if (close < 0) return null;
  const client = line.toString('latin1', dbEnd + 1, close);
  const args: Buffer[] = [];
  let i = close + 2;
  while (i < line.length) {
    if (line[i] !== QUOTE) return null;
    let j = i + 1;
    let escaped = false;
    while (j < line.length && line[j] !== QUOTE) {
      if (line[j] === BACKSLASH) {
        escaped = true;
        j += 2;
      } else {
        j += 1;
      }
    }
    if (j >= line.length) {
      if (truncated) break;
      return null;
    }
    args.push(escaped ? unescapeRepr(line, i + 1, j) : line.subarray(i + 1, j));
    i = j + 1;
    if (line[i] === SPACE) i += 1;
  }
  if (args.length === 0) return null;
  return { time, db: Number(dbText), client, args, truncated };
}

const SIMPLE_ESCAPES: Readonly<Record<number, number>> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x61: 0x07, 0x62: 0x08, 0x5c: 0x5c, 0x22: 0x22 };

/** sdscatrepr's escapes back into bytes. */
function unescapeRepr(line: Buffer, from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(to - from);
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = line[i] as number;
    if (c !== BACKSLASH || i + 1 >= to) {
      out[n++] = c;
      continue;
    }
    const next = line[i + 1] as number;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out[n++] = simple;
      i += 1;
    } else if (next === 0x78 && i + 3 < to && /^[0-9a-fA-F]{2}$/.test(line.toString('latin1', i + 2, i + 4))) {
      out[n++] = parseInt(line.toString('latin1', i + 2, i + 4), 16);
      i += 3;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}
