import { describe, expect, it } from 'vitest';
import { displayKeyName, reprBytes } from '../../src/analysis/key-name.js';
import { escapeKeyName } from '../../src/domain/display-text.js';

describe('displayKeyName', () => {
  it('returns valid UTF-8 names unchanged, without base64', () => {
    expect(displayKeyName(Buffer.from('user:42:profile'))).toEqual({ name: 'user:42:profile' });
    expect(displayKeyName(Buffer.from('clé-日本'))).toEqual({ name: 'clé-日本' });
  });

  it('escapes a name that is not UTF-8 as redis-cli does and keeps the exact bytes', () => {
    const bytes = Buffer.from([0xff, 0x41, 0x0a, 0x22, 0x5c, 0x00, 0xc3, 0xa9]);
    const shown = displayKeyName(bytes);
    expect(shown.name).toBe('\\xffA\\n\\"\\\\\\x00\\xc3\\xa9');
    expect(Buffer.from(shown.base64 ?? '', 'base64')).toEqual(bytes);
  });

  it('uses the same escapes as sdscatrepr', () => {
    expect(reprBytes(Buffer.from([0x07, 0x08, 0x09, 0x0d, 0x7f, 0x20, 0x7e]))).toBe('\\a\\b\\t\\r\\x7f ~');
  });
});

describe('escapeKeyName (the CLI)', () => {
  it('prints every name as a string that maps back to one byte string', () => {
    const literal = displayKeyName(Buffer.from('\\x1b[31m'));
    const escape = displayKeyName(Buffer.from('\x1b[31m'));
    const printedLiteral = escapeKeyName(literal.name, literal.base64 !== undefined);
    const printedEscape = escapeKeyName(escape.name, escape.base64 !== undefined);
    expect(printedLiteral).toBe('\\\\x1b[31m');
    expect(printedEscape).toBe('\\x1b[31m');
    expect(printedLiteral).not.toBe(printedEscape);
  });

  it('shows zero-width and bidi characters instead of letting them hide or reorder the line', () => {
    expect(escapeKeyName('pay\u200bment', false)).toBe('pay\\u200bment');
    expect(escapeKeyName('a\u202eb', false)).not.toContain('\u202e');
    expect(escapeKeyName('\ufeffuser', false)).toBe('\\ufeffuser');
  });

  it('leaves a non-UTF-8 name in its redis-cli form, which already escapes its backslashes', () => {
    const shown = displayKeyName(Buffer.from([0xff, 0x5c]));
    expect(escapeKeyName(shown.name, true)).toBe('\\xff\\\\');
  });
});
