/**
 * Text that came from a Redis server (error replies, version strings, type names) is a
 * stranger's input. Before it reaches a response, a log line, a task's error_msg or a terminal
 * it goes through here: secrets are cut out, characters that move a terminal's cursor or
 * reorder text are escaped, and the length is bounded.
 */

/** Bidirectional controls: they can make a terminal or a browser show text in another order. */
const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

export const MAX_SERVER_TEXT = 300;

/** Escapes C0 and C1 controls, DEL, bidi controls and line separators; bounds the length. */
export function escapeControls(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  let out = '';
  let shown = 0;
  for (const char of text) {
    if (shown >= maxLength) return `${out}…`;
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (BIDI.has(code) || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
    shown += 1;
  }
  return out;
}

/** Zero-width characters: they hide inside a name, making two names look alike. */
const ZERO_WIDTH = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0xfeff]);

/**
 * A key name for a terminal, so that every printed name maps back to exactly one byte string:
 * `escaped` names (the API's redis-cli rendering of bytes that are not UTF-8, which has a
 * `name_base64`) are already unambiguous and only bounded; in any other name a backslash becomes
 * `\\` (else a literal "\x1b" would print like an escaped ESC), and controls, bidi and
 * zero-width characters become `\xHH` / `\uHHHH`.
 */
export function escapeKeyName(name: string, escaped: boolean): string {
  if (escaped) return escapeControls(name);
  let out = '';
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (ZERO_WIDTH.has(code)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += escapeControls(char);
  }
  return out;
}

/**
 * Replaces every occurrence of each secret (and of its first 8 characters or more, since a
 * server may echo a truncated argument) with `***`.
 */
export function redactSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === null || secret === undefined || secret === '') continue;
    out = out.split(secret).join('***');
    // "with args beginning with: '<first 128 bytes>'": a prefix of a long secret is still secret.
    for (let length = Math.min(secret.length - 1, 128); length >= 8; length--) {
      const prefix = secret.slice(0, length);
      if (out.includes(prefix)) out = out.split(prefix).join('***');
    }
  }
  return out;
}

/** Server text made safe to show: secrets removed, controls escaped, at most MAX_SERVER_TEXT characters. */
export function serverText(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  return escapeControls(redactSecrets(text, secrets), MAX_SERVER_TEXT);
}

/**
 * A name people read in tables, logs and terminals: no control characters (C0, DEL, C1), no
 * line or paragraph separators, no bidi controls that would reorder what is shown around it.
 */
export const DISPLAY_NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]+$';
