/**
 * Secrets at rest: AES-256-GCM with a random 12-byte IV per value and its 16-byte tag. A sealed
 * value reads `v1:<key id>:<base64 of iv | ciphertext | tag>`; the key id (the first 16 hex
 * digits of the key's SHA-256) tells which key sealed it, so a rotation knows what to re-seal
 * and a start with the wrong key can name the values it cannot open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SecretKey {
  readonly id: string;
  readonly key: Buffer;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})$/;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** A 32-byte key from its base64 text (KEYHEAT_SECRET_KEY, the key file). */
export function parseSecretKey(text: string, source: string): SecretKey {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new SecretKeyError(`${source} must hold the base64 of exactly 32 bytes (e.g. the output of: openssl rand -base64 32)`);
  }
  return secretKeyOf(key);
}

export function secretKeyOf(key: Buffer): SecretKey {
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function generateSecretKey(): SecretKey {
  return secretKeyOf(randomBytes(32));
}

export function sealSecret(key: SecretKey, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${VERSION}:${key.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')}`;
}

/** The key id of a sealed value, or null for a value stored before encryption (plain text). */
export function sealedKeyId(value: string): string | null {
  const match = SEALED.exec(value);
  if (match === null) return null;
  return Buffer.from(match[2] ?? '', 'base64').length >= IV_BYTES + TAG_BYTES ? (match[1] ?? null) : null;
}

/** The plain text, or null when this key did not seal it or the value was tampered with. */
export function openSecret(key: SecretKey, sealed: string): string | null {
  const match = SEALED.exec(sealed);
  if (match === null || match[1] !== key.id) return null;
  const raw = Buffer.from(match[2] ?? '', 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
