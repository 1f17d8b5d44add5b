import { describe, expect, it } from 'vitest';
import { generateSecretKey, openSecret, parseSecretKey, sealSecret, sealedKeyId, SecretKeyError } from '../../src/domain/secret-box.js';

describe('secret box (AES-256-GCM)', () => {
  const key = generateSecretKey();

  it('round-trips, with a fresh IV per value and the key id in the prefix', () => {
    const a = sealSecret(key, 'pässword');
    const b = sealSecret(key, 'pässword');
    expect(a).not.toBe(b);
    expect(a.startsWith(`v1:${key.id}:`)).toBe(true);
    expect(openSecret(key, a)).toBe('pässword');
    expect(sealedKeyId(a)).toBe(key.id);
    expect(openSecret(key, sealSecret(key, ''))).toBe('');
  });

  it('refuses another key and a tampered value', () => {
    const sealed = sealSecret(key, 'secret');
    expect(openSecret(generateSecretKey(), sealed)).toBeNull();
    const body = Buffer.from(sealed.split(':')[2] ?? '', 'base64');
    body[14] = (body[14] ?? 0) ^ 1;
    expect(openSecret(key, `v1:${key.id}:${body.toString('base64')}`)).toBeNull();
  });

  it('tells plain text from a sealed value', () => {
    for (const plain of ['secret', 'v1:', 'v1:abc:def', `v1:${key.id}:AAAA`]) expect(sealedKeyId(plain)).toBeNull();
  });

  it('parses a base64 key of 32 bytes only', () => {
    const text = key.key.toString('base64');
    expect(parseSecretKey(`${text}\n`, 'k').id).toBe(key.id);
    expect(() => parseSecretKey(Buffer.alloc(16).toString('base64'), 'the key file x')).toThrow(SecretKeyError);
    expect(() => parseSecretKey('not base64 at all!', 'k')).toThrow(/32 bytes/);
  });
});
