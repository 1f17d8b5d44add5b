/** Commands as RESP arrays of bulk strings (binary safe: a key is sent byte for byte). */
export type Arg = string | Buffer | number;

const CRLF = Buffer.from('\r\n');

/** Encodes one command. */
export function encodeCommand(args: readonly Arg[]): Buffer {
  return Buffer.concat(encodeCommandParts(args));
}

/** One command as the parts of its encoding, its arguments among them (not copied). */
export function encodeCommandParts(args: readonly Arg[]): Buffer[] {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return parts;
}

/** Commands with an argument past COPY_KEYS_UP_TO (a long key name) are sent as parts, not copied into one buffer. */
export function hasLongArgument(commands: readonly (readonly Arg[])[]): boolean {
  return commands.some((args) => args.some((arg) => Buffer.isBuffer(arg) && arg.length > COPY_KEYS_UP_TO));
}

/** Key bytes past which a batch is sent as parts pointing at the keys rather than copied into one buffer. */
const COPY_KEYS_UP_TO = 256 * 1024;

/**
 * Encodes the same command over many keys (`OBJECT FREQ k1`, `OBJECT FREQ k2`...) into one
 * buffer: one allocation per batch instead of several per command. A batch of long names (up
 * to redis.max_bulk_bytes each) comes as parts instead, the keys themselves among them, so
 * that they are not copied once more.
 */
export function encodeKeyCommands(prefix: readonly string[], keys: readonly Buffer[]): Buffer | Buffer[] {
  let keyBytes = 0;
  for (const key of keys) keyBytes += key.length;
  if (keyBytes > COPY_KEYS_UP_TO) {
    const head = `*${prefix.length + 1}\r\n${prefix.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    return keys.flatMap((key) => [Buffer.from(`${head}$${key.length}\r\n`, 'latin1'), key, CRLF]);
  }
  const head = Buffer.from(`*${prefix.length + 1}\r\n${prefix.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`);
  let size = 0;
  for (const key of keys) size += head.length + 1 + decimalLength(key.length) + 2 + key.length + 2;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const key of keys) {
    pos += head.copy(out, pos);
    out[pos++] = 0x24; // $
    pos += out.write(String(key.length), pos, 'latin1');
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
    pos += key.copy(out, pos);
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
  }
  return out;
}

function decimalLength(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length;
}
