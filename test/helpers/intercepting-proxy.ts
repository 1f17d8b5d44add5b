/**
 * A TCP proxy in front of a real Redis that lets a test act at an exact point of the command
 * stream: before a command is forwarded, `onCommand` runs (and may, say, delete the key the
 * command is about, or kill the server). Commands are forwarded in order, one at a time.
 */
import net from 'node:net';

export type CommandHook = (args: readonly Buffer[]) => Promise<void> | void;

export interface Proxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, onCommand: CommandHook): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', end).on('error', end);
    client.on('close', end).on('error', end);

    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const parsed = parseCommand(pending);
        if (parsed === null) break;
        pending = pending.subarray(parsed.length);
        const raw = Buffer.from(parsed.raw);
        chain = chain.then(async () => {
          await onCommand(parsed.args);
          if (!upstream.destroyed) upstream.write(raw);
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** Parses one RESP array-of-bulk-strings command, or null if incomplete. */
export function parseCommand(buf: Buffer): { args: Buffer[]; raw: Buffer; length: number } | null {
  if (buf.length === 0 || buf[0] !== 0x2a) return null;
  let pos = 0;
  const line = (): number | null => {
    const cr = buf.indexOf('\r\n', pos);
    if (cr === -1) return null;
    const value = Number(buf.toString('latin1', pos + 1, cr));
    pos = cr + 2;
    return value;
  };
  const count = line();
  if (count === null) return null;
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const len = line();
    if (len === null || pos + len + 2 > buf.length) return null;
    args.push(buf.subarray(pos, pos + len));
    pos += len + 2;
  }
  return { args, raw: buf.subarray(0, pos), length: pos };
}
