/**
 * One connection to one Redis node, and the node-bound client API of the Redis boundary:
 * everything it throws is a RedisFailure naming the node.
 *
 * Hand-written rather than a general client: keyheat sends a handful of commands, needs
 * binary-safe keys, replies parsed without copying, commands batched into one socket write
 * per tick, and connections that never reconnect or retry on their own (the analysis decides
 * what a lost connection means).
 *
 * Deadlines are absolute: connecting (DNS, TCP, TLS, AUTH, CLIENT SETNAME) must finish within
 * connectTimeoutMs of its start, and every command (or pipelined batch) must be answered in
 * full within commandTimeoutMs of being sent, however the server spaces its bytes. A server
 * that trickles a byte a second fails its command on time.
 */
import net from 'node:net';
import { endpointAddress, type RedisEndpoint } from '../domain/instance.js';
import { RedisFailure } from '../domain/redis-failure.js';
import { classifyAuthReply, classifyReply, unexpectedReply } from './classify-redis-error.js';
import type { NetworkPolicy } from './network-policy.js';
import { openSocket, socketFailure } from './socket-open.js';
import { encodeCommand, encodeCommandParts, hasLongArgument, type Arg } from './resp-encoder.js';
import { RedisReplyError, RespParser, RespProtocolError, type Reply, type ReplyLimits } from './resp-parser.js';

export type { Arg };

/** How to talk to any node of a deployment. */
export interface ConnectionSettings {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly limits: ReplyLimits;
  readonly network: NetworkPolicy;
  /** Shown in CLIENT LIST so operators can see who is scanning. */
  readonly clientName?: string | undefined;
}

/**
 * The addresses of this process's open, named connections to Redis (every analysis connection:
 * node-pool.ts names them keyheat), as a server shows a client
 * (`ip:port`, `[ipv6]:port`): a sampling phase leaves keyheat's own commands (a big key scan of
 * the same node, another task's scan) out of what it measures. Connections through NAT show
 * another address to the server and are not recognised.
 */
const OWN_ADDRESSES = new Set<string>();

/** See OWN_ADDRESSES. */
export function isOwnClientAddress(address: string): boolean {
  return OWN_ADDRESSES.has(address);
}

/** One queued request: a single command, or a batch whose replies are collected in order. */
interface Pending {
  readonly count: number;
  readonly replies: Reply[];
  /** Single commands reject on an error reply; batches keep error replies as values. */
  readonly raw: boolean;
  /** performance.now() by which the last reply must have arrived. */
  readonly deadline: number;
  bytes: number;
  resolve(replies: Reply[]): void;
  reject(error: RedisFailure): void;
}

export class RespConnection {
  private readonly parser: RespParser;
  private readonly pending: (Pending | undefined)[] = [];
  private pendingHead = 0;
  private closedError: RedisFailure | null = null;
  private corked = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly secrets: readonly (string | null)[];
  private readonly closeListeners: (() => void)[] = [];
  private readonly onData = (chunk: Buffer): void => {
    try {
      this.parser.push(chunk);
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      this.fail(new RedisFailure(error.reason, this.address, `${this.address}: ${error.message}`));
    }
  };

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly settings: ConnectionSettings,
    password: string | null,
  ) {
    this.secrets = [password];
    this.parser = new RespParser((reply, bytes) => this.settle(reply, bytes), settings.limits);
    // keyheat's own work: the connections it names (the pools' CLIENT SETNAME keyheat).
    const local = socket.localAddress;
    if (settings.clientName !== undefined && local !== undefined && socket.localPort !== undefined) {
      const own = `${local.includes(':') ? `[${local}]` : local}:${socket.localPort}`;
      OWN_ADDRESSES.add(own);
      this.closeListeners.push(() => OWN_ADDRESSES.delete(own));
    }
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(socketFailure(address, error)));
    socket.on('close', () => this.fail(new RedisFailure('unreachable', address, `${address} closed the connection`)));
  }

  /**
   * Opens a connection and authenticates, all within settings.connectTimeoutMs. Aborting
   * `signal` (a cancelled task, a shutdown) destroys the socket at whatever step it is.
   */
  static connect(endpoint: RedisEndpoint, settings: ConnectionSettings, signal?: AbortSignal): Promise<RespConnection> {
    const address = endpointAddress(endpoint);
    // A TLS handshake sent to a plain port gets no answer at all: the deadline is what ends it.
    const hint = endpoint.tls === null ? '' : ' (a TLS handshake to a port that does not speak TLS gets no answer: is it a plain redis:// port?)';
    return withDeadline(address, settings.connectTimeoutMs, hint, signal, async (track) => {
      const host = await settings.network.resolve(endpoint.host, address);
      const socket = await openSocket(endpoint, host, address, track);
      const connection = new RespConnection(socket, address, settings, endpoint.password);
      track(connection);
      if (endpoint.password !== null) {
        const auth = endpoint.username !== null ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password];
        const [reply] = await connection.pipeline([auth]);
        if (reply instanceof RedisReplyError) throw classifyAuthReply(reply, address);
      }
      if (settings.clientName !== undefined) await connection.call(['CLIENT', 'SETNAME', settings.clientName]);
      return connection;
    });
  }

  get isOpen(): boolean {
    return this.closedError === null;
  }

  /** No request is waiting for a reply. */
  get idle(): boolean {
    return this.pendingHead === this.pending.length;
  }

  /** One command; an error reply rejects with the classified failure. */
  async call(args: readonly Arg[]): Promise<Reply> {
    const replies = await new Promise<Reply[]>((resolve, reject) => this.enqueue(hasLongArgument([args]) ? encodeCommandParts(args) : encodeCommand(args), 1, false, resolve, reject));
    return replies[0] ?? null;
  }

  /** One command whose reply must be text (INFO, CLUSTER NODES, TYPE); anything else is a protocol failure. */
  async text(args: readonly Arg[]): Promise<string> {
    const reply = await this.call(args);
    if (Buffer.isBuffer(reply)) return reply.toString('utf8');
    throw this.unexpected(reply, String(args[0]));
  }

  /** The failure for a reply of the wrong shape (a server that is not what it claims). */
  unexpected(reply: Reply, command: string): RedisFailure {
    return unexpectedReply(this.address, reply, command);
  }

  /** Several commands in one write; error replies come back as RedisReplyError values, in order. */
  pipeline(commands: readonly (readonly Arg[])[]): Promise<Reply[]> {
    // Long key names go out as they are, not copied into the batch (a 16 MiB name would cost a 16 MiB join).
    if (hasLongArgument(commands)) return this.sendEncoded(commands.flatMap(encodeCommandParts), commands.length);
    return this.sendEncoded(commands.length === 1 ? encodeCommand(commands[0] as readonly Arg[]) : Buffer.concat(commands.map(encodeCommand)), commands.length);
  }

  /**
   * Sends `count` commands already encoded as RESP (the scanner builds its OBJECT FREQ batches
   * in one buffer, or in parts for long names); resolves with their replies in order, error
   * replies as values.
   */
  sendEncoded(payload: Buffer | readonly Buffer[], count: number): Promise<Reply[]> {
    if (count === 0) return Promise.resolve([]);
    return new Promise<Reply[]>((resolve, reject) => this.enqueue(payload, count, true, resolve, reject));
  }

  /** The failure of an error reply this connection received, classified, secrets removed. */
  failureOf(reply: RedisReplyError): RedisFailure {
    return classifyReply(reply, this.address, this.secrets);
  }

  /** Calls `listener` once when the connection closes, for whatever reason (at once if it already has). */
  onClose(listener: () => void): void {
    if (this.closedError !== null) listener();
    else this.closeListeners.push(listener);
  }

  /** Why the connection closed; null while it is open. */
  get closeReason(): RedisFailure | null {
    return this.closedError;
  }

  /**
   * Sends a command that turns the connection into a stream (MONITOR) and hands every byte
   * received from then on to `onData`, which owns the protocol from there: the reply parser,
   * its limits and the command deadline no longer apply. Close and onClose work as before.
   * Only on an idle connection, which can never send a command again.
   */
  stream(command: readonly Arg[], onData: (chunk: Buffer) => void): void {
    if (!this.idle) throw new Error('stream() needs a connection with no command in flight');
    if (this.closedError !== null) throw this.closedError;
    this.socket.off('data', this.onData);
    this.socket.on('data', onData);
    this.socket.write(encodeCommand(command));
  }

  /** A stream's source stops for a while: nothing more is read from the socket (TCP holds the sender back) until resume(). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Closes the connection; pending requests fail as cancelled. */
  close(): void {
    this.fail(new RedisFailure('cancelled', this.address, `connection to ${this.address} closed by keyheat`));
  }

  private enqueue(payload: Buffer | readonly Buffer[], count: number, raw: boolean, resolve: (replies: Reply[]) => void, reject: (error: RedisFailure) => void): void {
    if (this.closedError !== null) {
      reject(this.closedError);
      return;
    }
    const deadline = performance.now() + this.settings.commandTimeoutMs;
    this.pending.push({ count, replies: [], raw, deadline, bytes: 0, resolve, reject });
    if (!this.corked) {
      // Everything enqueued in this tick goes out in one write.
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (Buffer.isBuffer(payload)) this.socket.write(payload);
    else for (const part of payload) this.socket.write(part);
    if (this.timer === null) this.armTimer();
  }

  private settle(reply: Reply, bytes: number): void {
    const pending = this.pending[this.pendingHead];
    if (pending === undefined) {
      this.fail(new RedisFailure('protocol', this.address, `${this.address} sent a reply to no command`));
      return;
    }
    pending.bytes += bytes;
    if (pending.bytes > this.settings.limits.maxReplyBytes) {
      this.fail(new RedisFailure('limit', this.address, `${this.address}: the replies of one batch exceed redis.max_reply_bytes (${this.settings.limits.maxReplyBytes})`));
      return;
    }
    pending.replies.push(reply);
    if (pending.replies.length < pending.count) return;
    this.pending[this.pendingHead] = undefined;
    this.pendingHead += 1;
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    if (!pending.raw && reply instanceof RedisReplyError) pending.reject(this.failureOf(reply));
    else pending.resolve(pending.replies);
  }

  /** One timer for the oldest request; deadlines are in queue order, so it is the next to expire. */
  private armTimer(): void {
    const head = this.pending[this.pendingHead];
    if (head === undefined || this.closedError !== null) {
      this.timer = null;
      return;
    }
    const wait = head.deadline - performance.now();
    if (wait <= 0) {
      this.timer = null;
      this.fail(new RedisFailure('timeout', this.address, `${this.address} did not answer within ${this.settings.commandTimeoutMs} ms`));
      return;
    }
    this.timer = setTimeout(() => this.armTimer(), Math.ceil(wait));
    this.timer.unref();
  }

  private fail(error: RedisFailure): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket.destroy();
    this.parser.stop();
    const waiting = this.pending.slice(this.pendingHead);
    this.pending.length = 0;
    this.pendingHead = 0;
    for (const pending of waiting) pending?.reject(error);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

type Closeable = net.Socket | RespConnection;

/**
 * Runs the steps of a connect under one deadline and an abort signal. Whatever the steps opened
 * (`track`) is destroyed when the deadline passes, the signal aborts, or a step fails.
 */
function withDeadline<T>(
  address: string,
  timeoutMs: number,
  hint: string,
  signal: AbortSignal | undefined,
  steps: (track: <C extends Closeable>(resource: C) => C) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const opened: Closeable[] = [];
    let settled = false;
    const finish = (error: RedisFailure | null, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === null) {
        resolve(value as T);
        return;
      }
      for (const resource of opened) destroy(resource);
      reject(error);
    };
    const timer = setTimeout(
      () => finish(new RedisFailure('timeout', address, `connecting to ${address} (TCP, TLS and AUTH) took longer than ${timeoutMs} ms${hint}`)),
      timeoutMs,
    );
    const onAbort = (): void => finish(new RedisFailure('cancelled', address, `connecting to ${address} was stopped`));
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // A step that finishes after the deadline or abort finds its resources destroyed at once.
    const track = <C extends Closeable>(resource: C): C => {
      if (settled) destroy(resource);
      else opened.push(resource);
      return resource;
    };
    steps(track).then(
      (value) => (settled ? destroy(value) : finish(null, value)),
      (error: unknown) => finish(error instanceof RedisFailure ? error : new RedisFailure('other', address, `connecting to ${address} failed`, { cause: error })),
    );
  });
}

function destroy(resource: unknown): void {
  if (resource instanceof RespConnection) resource.close();
  else if (resource instanceof net.Socket) resource.destroy();
}
