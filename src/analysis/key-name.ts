/**
 * Key names are bytes. A name that is valid UTF-8 is reported as is; any other name is reported
 * the way redis-cli prints it (sdscatrepr without the surrounding quotes: `\xff`, `\n`, `\\`, `\"`)
 * and its exact bytes are kept in base64 so nothing is lost.
 */
import type { KeptName } from '../domain/kept-name.js';
import type { ReportedName } from '../domain/reported-name.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface DisplayName {
  readonly name: string;
  /** Present only when `name` is an escaped rendering. */
  readonly base64?: string;
}

export function displayKeyName(bytes: Uint8Array): DisplayName {
  try {
    return { name: strictUtf8.decode(bytes) };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return { name: reprBytes(bytes), base64: Buffer.from(bytes).toString('base64') };
  }
}

/** A kept name as results report it: displayed, and marked truncated with the hash of the whole when it is a beginning. */
export function reportedName(kept: KeptName): ReportedName {
  const display = displayKeyName(kept.name);
  return {
    name: display.name,
    ...(display.base64 === undefined ? {} : { nameBase64: display.base64 }),
    ...(kept.nameSha1 === undefined ? {} : { truncated: true, nameSha1: kept.nameSha1 }),
  };
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x5c: '\\\\',
  0x22: '\\"',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x07: '\\a',
  0x08: '\\b',
};

/** Same escaping as Redis' sdscatrepr: printable ASCII stays, everything else is \xHH. */
export function reprBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const named = NAMED_ESCAPES[byte];
    if (named !== undefined) out += named;
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
