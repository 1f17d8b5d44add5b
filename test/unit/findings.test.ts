import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FINDINGS_MAX_KEYS, LABEL_KEY_BYTES, findingsOf, keyLabel, parseFindings } from '../../src/domain/findings.js';
import type { HotKey } from '../../src/domain/hot-key.js';
import type { TaskOutcome } from '../../src/domain/task.js';

const hot = (name: string, freq: number, extra: Partial<HotKey> = {}): HotKey => ({ name, type: 'string', db: 0, size: 1, unit: 'byte', freq, estQps: freq * 10, ...extra });

describe('keyLabel: a key name as a label value', () => {
  it('is the name as the CLI prints it: backslashes doubled, controls and invisible characters escaped', () => {
    expect(keyLabel({ name: 'user:42' })).toBe('user:42');
    expect(keyLabel({ name: 'a\\x1b' })).toBe('a\\\\x1b');
    expect(keyLabel({ name: 'a\u001bb' })).toBe('a\\x1bb');
    expect(keyLabel({ name: 'a\u200bb\u202e' })).toBe('a\\u200bb\\u202e');
    // A name that is not UTF-8 is shown in redis-cli's escaping, as the API gives it.
    expect(keyLabel({ name: 'k\\xff', nameBase64: Buffer.from([0x6b, 0xff]).toString('base64') })).toBe('k\\xff');
  });

  it('is at most 256 bytes: a longer name is cut at a character boundary and ends with a hash of the whole name', () => {
    const long = 'é'.repeat(300);
    const label = keyLabel({ name: long });
    expect(Buffer.byteLength(label)).toBeLessThanOrEqual(LABEL_KEY_BYTES);
    expect(label).toMatch(/^(é)+…#[0-9a-f]{16}$/);
    expect(label.endsWith(createHash('sha1').update(long).digest('hex').slice(0, 16))).toBe(true);
    // Two long names that start alike stay two labels.
    expect(keyLabel({ name: `${long}x` })).not.toBe(label);
  });

  it('ends a name the analysis kept only the start of with the hash it reported', () => {
    const sha = 'ab'.repeat(20);
    expect(keyLabel({ name: 'start', truncated: true, nameSha1: sha })).toBe(`start…#${sha.slice(0, 16)}`);
  });
});

describe('findingsOf', () => {
  it('keeps the hottest keys, at most FINDINGS_MAX_KEYS, and counts every saturated counter of the result', () => {
    const keys = Array.from({ length: 150 }, (_, i) => hot(`k${i}`, i < 120 ? 255 : 100, i === 0 ? { shard: '10.0.0.1:7000', estQps: null } : {}));
    const findings = findingsOf({ keys, stats: { scannedKeys: 150, vanishedKeys: 0, changedKeys: 0, durationMs: 1 } } as unknown as TaskOutcome);
    expect(findings).toMatchObject({ kind: 'hot', saturated: 120 });
    if (findings.kind !== 'hot') throw new Error('not hot');
    expect(findings.keys).toHaveLength(FINDINGS_MAX_KEYS);
    expect(findings.keys[0]).toEqual({ key: 'k0', db: 0, shard: '10.0.0.1:7000', freq: 255, estQps: null });
    expect(findings.keys[1]).toEqual({ key: 'k1', db: 0, shard: '', freq: 255, estQps: 2550 });
  });

  it('orders big keys by memory where measured, then by size, and keeps the type totals and top namespaces', () => {
    const big = (name: string, size: number, memoryBytes?: number) => ({ name, type: 'list', db: 1, size, unit: 'count', ...(memoryBytes === undefined ? {} : { memoryBytes }) });
    const outcome = {
      kind: 'big',
      result: {
        keys: [big('a', 5), big('b', 9), big('c', 1, 4096)],
        types: [{ type: 'list', keys: 3, totalSize: 15, unit: 'count', bigKeys: 3, largest: null }],
        prefixes: Array.from({ length: 12 }, (_, i) => ({ prefix: `ns${i}`, keys: 12 - i, weight: 12 - i, share: (12 - i) / 78 })),
        prefixesBy: 'size',
      },
    } as unknown as TaskOutcome;
    const findings = findingsOf(outcome);
    if (findings.kind !== 'big') throw new Error('not big');
    expect(findings.keys.map((k) => k.key)).toEqual(['c', 'b', 'a']);
    expect(findings.keys[0]).toMatchObject({ type: 'list', size: 1, unit: 'count', memoryBytes: 4096, db: 1 });
    expect(findings.types).toEqual([{ type: 'list', keys: 3, bigKeys: 3, totalSize: 15, unit: 'count', memoryBytes: null }]);
    expect(findings.namespaces).toHaveLength(10);
    expect(findings.namespaces[0]).toEqual({ namespace: 'ns0', keys: 12, share: 12 / 78 });
  });

  it('reads a stored value only as the kind it is asked for', () => {
    expect(parseFindings('{"kind":"expire","withExpiry":1,"withoutExpiry":2,"reclaimed":3}', 'expire')).toMatchObject({ withoutExpiry: 2 });
    expect(parseFindings('{"kind":"expire"}', 'hot')).toBeNull();
    expect(parseFindings('{"kind":"unavailable"}', 'hot')).toBeNull();
    expect(parseFindings('not json', 'hot')).toBeNull();
  });
});
