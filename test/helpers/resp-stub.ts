/**
 * Small scripted RESP servers, for what a real redis-server cannot be made to do: an old
 * version string, a renamed command, and hostile or broken behaviour (endless arrays, huge
 * bulk strings, trickled bytes, a stall after AUTH, hundreds of fake cluster primaries,
 * redirects to elsewhere). Loopback only. Each records what it was sent and how many
 * connections it had, so a test can check what keyheat did to it.
 */
import net from 'node:net';
import { parseCommand } from './intercepting-proxy.js';

export interface Stub {
  readonly host: string;
  readonly port: number;
  /** Every port it listens on (several with `listeners`), all answering the same way. */
  readonly ports: readonly number[];
  readonly url: string;
  /** Commands received, upper-cased first word first, in arrival order (all connections). */
  readonly commands: string[][];
  /** Connections accepted so far, and the most that were open at once. */
  readonly stats: { accepted: number; open: number; maxOpen: number };
  close(): Promise<void>;
}

/** What a command gets: bytes to write (a string is latin1), an action on the socket, or nothing (a stall). */
export type Answer = string | Buffer | ((socket: net.Socket) => void) | null;

export type Script = (command: readonly string[], context: { readonly connection: number; readonly port: number }) => Answer | undefined;

export function bulk(text: string): string {
  return `$${Buffer.byteLength(text, 'latin1')}\r\n${text}\r\n`;
}

export function infoText(fields: Record<string, string> = {}): string {
  const all = { redis_version: '7.0.15', redis_mode: 'standalone', role: 'master', maxmemory_policy: 'allkeys-lfu', db0: 'keys=1,expires=0,avg_ttl=0', ...fields };
  return `# Server\r\n${Object.entries(all).map(([k, v]) => `${k}:${v}`).join('\r\n')}\r\n`;
}

/**
 * A Redis-like default: +OK to AUTH, CLIENT, SELECT, PING, ASKING; INFO from `info`; an empty
 * keyspace for SCAN; nil for OBJECT FREQ; Redis's default LFU settings for CONFIG GET.
 * `script` answers first; undefined falls back here.
 */
export function redisLike(script: Script = () => undefined, info: string = infoText()): Script {
  return (command, context) => {
    const scripted = script(command, context);
    if (scripted !== undefined) return scripted;
    switch (command[0]) {
      case 'INFO':
        return bulk(info);
      case 'SCAN':
        return '*2\r\n$1\r\n0\r\n*0\r\n';
      case 'OBJECT':
        return '$-1\r\n';
      case 'PING':
        return '+PONG\r\n';
      case 'CONFIG':
        return `*4\r\n${bulk('lfu-log-factor')}${bulk('10')}${bulk('lfu-decay-time')}${bulk('1')}`;
      default:
        return '+OK\r\n';
    }
  };
}

export async function startStub(script: Script, options: { host?: string; listeners?: number } = {}): Promise<Stub> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const commands: string[][] = [];
  const stats = { accepted: 0, open: 0, maxOpen: 0 };
  const handle = (socket: net.Socket): void => {
    const port = socket.localPort ?? 0;
    const connection = stats.accepted++;
    stats.open += 1;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    sockets.add(socket);
    socket.on('close', () => {
      stats.open -= 1;
      sockets.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    // Bytes of an unfinished command, joined only once enough have come (a 16 MiB argument is not re-joined per chunk).
    let chunks: Buffer[] = [];
    let received = 0;
    let needed = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < needed) return;
      let pending = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
      for (;;) {
        const parsed = parseCommand(pending);
        if (parsed === null) {
          needed = bytesNeeded(pending);
          break;
        }
        needed = 0;
        pending = pending.subarray(parsed.length);
        const command = parsed.args.map((a, i) => (i === 0 ? a.toString('latin1').toUpperCase() : a.toString('latin1')));
        commands.push(command);
        const answer = script(command, { connection, port });
        if (typeof answer === 'function') answer(socket);
        else if (answer !== null && answer !== undefined && !socket.destroyed) socket.write(typeof answer === 'string' ? Buffer.from(answer, 'latin1') : answer);
      }
      chunks = pending.length > 0 ? [pending] : [];
      received = pending.length;
    });
  };
  const servers = Array.from({ length: options.listeners ?? 1 }, () => net.createServer(handle));
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, host, resolve))));
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  const port = ports[0] as number;
  return {
    host,
    port,
    ports,
    url: `redis://${host}:${port}`,
    commands,
    stats,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

/** The old stub: INFO answered with `info`, +OK to anything else. */
export async function startRespStub(info: string): Promise<Stub> {
  return startStub((command) => (command[0] === 'INFO' ? bulk(info) : '+OK\r\n'));
}

/** Writes `chunk` to the socket again and again until it closes (an endless reply). */
export function endless(chunk: string | Buffer, everyMs = 0): (socket: net.Socket) => void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk.repeat(Math.max(1, Math.floor(16_384 / chunk.length))), 'latin1') : chunk;
  return (socket) => {
    const write = (): void => {
      if (socket.destroyed) return;
      if (everyMs > 0) {
        socket.write(bytes);
        setTimeout(write, everyMs).unref();
      } else if (socket.write(bytes)) {
        setImmediate(write);
      } else {
        socket.once('drain', write);
      }
    };
    write();
  };
}

/** Sends `reply` one byte every `everyMs` (a trickle that never misses "the last byte" deadline). */
export function trickle(reply: string, everyMs: number): (socket: net.Socket) => void {
  return (socket) => {
    let at = 0;
    const next = (): void => {
      if (socket.destroyed || at >= reply.length) return;
      socket.write(reply.slice(at, at + 1), 'latin1');
      at += 1;
      setTimeout(next, everyMs).unref();
    };
    next();
  };
}

/** The least length `buf` must reach before the first command in it can be whole (its next missing argument's end). */
function bytesNeeded(buf: Buffer): number {
  let pos = 0;
  const line = (): number | null => {
    const cr = buf.indexOf('\r\n', pos);
    if (cr === -1) return null;
    const value = Number(buf.toString('latin1', pos + 1, cr));
    pos = cr + 2;
    return value;
  };
  const count = line();
  if (count === null || !Number.isFinite(count)) return buf.length + 1;
  for (let i = 0; i < count; i++) {
    const length = line();
    if (length === null || !Number.isFinite(length)) return buf.length + 1;
    if (pos + length + 2 > buf.length) return pos + length + 2;
    pos += length + 2;
  }
  return buf.length + 1;
}
