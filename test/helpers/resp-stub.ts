/**
 * A tiny RESP server for what a real redis-server cannot be made to show (an old version).
 * It answers INFO with the given text and +OK to anything else.
 */
import net from 'node:net';

export interface Stub {
  readonly port: number;
  close(): Promise<void>;
}

export async function startRespStub(info: string): Promise<Stub> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      const commands = chunk.toString('latin1').split('*').filter((part) => part !== '');
      for (const command of commands) {
        const name = command.split('\r\n')[2]?.toUpperCase();
        if (name === 'INFO') socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        else socket.write('+OK\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
