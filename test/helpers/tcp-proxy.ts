/**
 * A TCP proxy in front of a server (PostgreSQL in the store tests) that a test can break the way
 * networks break: freeze (bytes are held, like a partition; thaw forwards them) or cut (every
 * connection reset and new ones refused; restore lets them in again), or slow down: with
 * `delayMs`, every chunk either way is forwarded that long after it arrived, order kept (a round
 * trip of a few milliseconds with Node's timers). Loopback only.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Holds every byte clients send from now on: the server sees nothing. */
  freeze(): void;
  /** Forwards what was held and everything after. */
  thaw(): void;
  /** Resets every connection and refuses new ones. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(host: string, port: number, options: { readonly delayMs?: number } = {}): Promise<TcpProxy> {
  const delayMs = options.delayMs ?? 0;
  const later = (send: () => void): void => void (delayMs === 0 ? send() : setTimeout(send, delayMs));
  let frozen = false;
  let down = false;
  const flushes = new Set<() => void>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host, port });
    sockets.add(client).add(upstream);
    const held: Buffer[] = [];
    const flush = (): void => {
      for (const chunk of held.splice(0)) upstream.write(chunk);
    };
    flushes.add(flush);
    client.on('data', (chunk: Buffer) => (frozen ? held.push(chunk) : later(() => upstream.destroyed || upstream.write(chunk))));
    upstream.on('data', (chunk: Buffer) => later(() => client.destroyed || client.write(chunk)));
    const end = (): void => {
      flushes.delete(flush);
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const flush of flushes) flush();
    },
    cut: () => {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
