/**
 * A small RESP2 client connection. keyheat talks to production Redis servers with a few
 * commands only (INFO, SCAN, OBJECT FREQ, TYPE, size probes, CLUSTER ...), and scanning speed
 * depends on per-command client overhead, so this is hand-written rather than a general
 * client: replies are parsed without copying, commands written in one socket write per tick,
 * and a connection never reconnects or retries by itself (the analysis decides what a lost
 * connection means).
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeCommand, RedisReplyError, RespParser, type Reply } from './resp-parser.js';
import { endpointAddress, type RedisEndpoint } from '../domain/instance.js';

export type Arg = string | Buffer | number;

export interface ConnectOptions {
  readonly connectTimeoutMs?: number;
  /** A pending command that sees no reply bytes for this long fails the connection. */
  readonly commandTimeoutMs?: number;
  /** Shown in CLIENT LIST so operators can see who is scanning. */
  readonly clientName?: string;
}

export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectionError';
    this.code = options?.code;
  }
  readonly code: string | undefined;
}

/** One queued request: a single command, or a batch whose replies are collected in order. */
interface Pending {
  readonly count: number;
  readonly replies: Reply[];
  /** Single commands reject on an error reply; batches keep error replies as values. */
  readonly raw: boolean;
  resolve(replies: Reply[]): void;
  reject(error: Error): void;
}

export class RespConnection {
  /** FIFO of requests awaiting replies; settled slots are cleared at once so replies are not retained. */
  private readonly pending: (Pending | undefined)[] = [];
  private pendingHead = 0;
  private readonly parser: RespParser;
  private closedError: Error | null = null;
  private corked = false;
  private timer: NodeJS.Timeout | null = null;
  private lastActivity = Date.now();

  private constructor(
    private readonly socket: net.Socket,
    readonly address: string,
    private readonly commandTimeoutMs: number,
  ) {
    this.parser = new RespParser((reply) => this.settle(reply));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastActivity = Date.now();
      try {
        this.parser.push(chunk);
      } catch (error) {
        this.fail(new ConnectionError(`protocol error from ${address}: ${(error as Error).message}`, { cause: error }));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.fail(new ConnectionError(`connection to ${address} failed: ${error.message}`, { cause: error, code: error.code })),
    );
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${address} closed`, { code: 'ECONNRESET' })));
  }

  static async connect(endpoint: RedisEndpoint, options: ConnectOptions = {}): Promise<RespConnection> {
    const address = endpointAddress(endpoint);
    const socket = await openSocket(endpoint, address, options.connectTimeoutMs ?? 5000);
    const connection = new RespConnection(socket, address, options.commandTimeoutMs ?? 10_000);
    try {
      if (endpoint.password !== null) {
        const auth = endpoint.username !== null ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password];
        await connection.call(auth);
      }
      if (options.clientName !== undefined) await connection.call(['CLIENT', 'SETNAME', options.clientName]);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  get isOpen(): boolean {
    return this.closedError === null;
  }

  /** One command; an error reply rejects with RedisReplyError. */
  call(args: readonly Arg[]): Promise<Reply> {
    return new Promise<Reply[]>((resolve, reject) => this.enqueue(encodeCommand(args), { count: 1, replies: [], raw: false, resolve, reject })).then(
      (replies) => replies[0] ?? null,
    );
  }

  /** Several commands in one write; error replies come back as RedisReplyError values, in order. */
  pipeline(commands: readonly (readonly Arg[])[]): Promise<Reply[]> {
    return this.sendEncoded(Buffer.concat(commands.map(encodeCommand)), commands.length);
  }

  /**
   * Sends `count` commands already encoded as RESP (the scanner builds its OBJECT FREQ batches
   * in one buffer); resolves with their replies in order, error replies as values.
   */
  sendEncoded(payload: Buffer, count: number): Promise<Reply[]> {
    if (count === 0) return Promise.resolve([]);
    return new Promise<Reply[]>((resolve, reject) => this.enqueue(payload, { count, replies: [], raw: true, resolve, reject }));
  }

  close(): void {
    if (this.closedError === null) this.fail(new ConnectionError(`connection to ${this.address} closed by keyheat`, { code: 'ECLOSED' }));
  }

  private enqueue(payload: Buffer, pending: Pending): void {
    if (this.closedError !== null) {
      pending.reject(this.closedError);
      return;
    }
    if (this.pendingHead === this.pending.length) this.lastActivity = Date.now();
    this.pending.push(pending);
    if (!this.corked) {
      // Everything enqueued in this tick goes out in one write.
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(payload);
    this.armTimer();
  }

  private settle(reply: Reply): void {
    const pending = this.pending[this.pendingHead];
    if (pending === undefined) {
      this.fail(new ConnectionError(`unexpected reply from ${this.address}`));
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
    if (!pending.raw && reply instanceof RedisReplyError) pending.reject(reply);
    else pending.resolve(pending.replies);
  }

  private armTimer(): void {
    if (this.timer !== null || this.commandTimeoutMs <= 0) return;
    const check = (): void => {
      this.timer = null;
      if (this.closedError !== null || this.pendingHead === this.pending.length) return;
      const idle = Date.now() - this.lastActivity;
      if (idle >= this.commandTimeoutMs) {
        this.fail(new ConnectionError(`${this.address} did not answer within ${this.commandTimeoutMs} ms`, { code: 'ETIMEDOUT' }));
        return;
      }
      this.timer = setTimeout(check, this.commandTimeoutMs - idle);
      this.timer.unref();
    };
    this.timer = setTimeout(check, this.commandTimeoutMs);
    this.timer.unref();
  }

  private fail(error: Error): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket.destroy();
    this.parser.reset();
    const waiting = this.pending.slice(this.pendingHead);
    this.pending.length = 0;
    this.pendingHead = 0;
    for (const pending of waiting) pending?.reject(error);
  }
}

function openSocket(endpoint: RedisEndpoint, address: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = endpoint.tls
      ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: net.isIP(endpoint.host) ? undefined : endpoint.host })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError(`connecting to ${address} timed out after ${timeoutMs} ms`, { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(new ConnectionError(`cannot connect to ${address}: ${error.message}`, { cause: error, code: error.code }));
    };
    socket.once('error', onError);
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export { RedisReplyError };
