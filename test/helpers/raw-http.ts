/** A raw TCP client for requests no HTTP library would send: malformed, oversized, slow. */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Milliseconds from connect to the server closing the connection (or the deadline). */
  readonly elapsedMs: number;
  /** The server closed the connection before the deadline. */
  readonly closed: boolean;
}

export interface RawOptions {
  /** Sent one after another; a number is a pause in milliseconds. */
  readonly parts: readonly (string | Buffer | number)[];
  /** Give up (and destroy the socket) after this long. */
  readonly deadlineMs?: number;
}

export function rawRequest(port: number, { parts, deadlineMs = 5000 }: RawOptions): Promise<RawResponse> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks).toString('latin1')), elapsedMs: Date.now() - started, closed });
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.once('connect', () => {
      void (async () => {
        for (const part of parts) {
          if (done || socket.destroyed) return;
          if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
          else socket.write(part);
        }
      })();
    });
  });
}

function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: text };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: text.slice(end + 4) };
}
