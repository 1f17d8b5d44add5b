/** In-process io for the client commands: what they write is kept, stdin is empty unless given. */
import { Readable } from 'node:stream';
import type { ClientIo } from '../../src/cli/client/run-client.js';

/** A stream that keeps what is written to it in `chunks`. */
export function sink(chunks: string[], isTTY = false): NodeJS.WritableStream & { isTTY: boolean } {
  // Only write() is used by the commands; the rest of a stream is not needed here.
  const stream = { write: (chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0, isTTY };
  return stream as unknown as NodeJS.WritableStream & { isTTY: boolean };
}

export interface MemoryIo extends ClientIo {
  readonly out: string[];
  readonly err: string[];
}

export function memoryIo(env: NodeJS.ProcessEnv, options: { stderrIsTTY?: boolean; input?: string } = {}): MemoryIo {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: sink(out), stderr: sink(err, options.stderrIsTTY ?? false), stdin: Readable.from(options.input === undefined ? [] : [options.input]), env };
}
