/**
 * Where the key that seals stored Redis passwords comes from: KEYHEAT_SECRET_KEY (or
 * secrets.key), else secrets.key_file, else, for the embedded store only, `<data_dir>/secret.key`,
 * generated at the first start. PostgreSQL is shared by several processes that must all hold
 * the same key, so a generated one would split them: there, no key is a start-up error.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { generateSecretKey, parseSecretKey, SecretKeyError, type SecretKey } from '../domain/secret-box.js';
import { createPrivateFile, tightenDataDir, tightenSqliteFiles, writePrivateFileDurably } from './private-files.js';

export const GENERATED_KEY_FILE = 'secret.key';

export interface SecretKeySources {
  /** Base64 of 32 bytes (KEYHEAT_SECRET_KEY or secrets.key). */
  readonly key?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly dataDir: string;
  /** Embedded SQLite: a missing key may be generated into the data dir. */
  readonly embedded: boolean;
}

export interface ResolvedSecretKey {
  readonly key: SecretKey;
  readonly source: string;
  readonly generated: boolean;
}

export function resolveSecretKey(sources: SecretKeySources): ResolvedSecretKey {
  if (sources.key !== undefined && sources.key !== '') {
    return { key: parseSecretKey(sources.key, 'KEYHEAT_SECRET_KEY (secrets.key)'), source: 'KEYHEAT_SECRET_KEY', generated: false };
  }
  if (sources.keyFile !== undefined && sources.keyFile !== '') {
    return { key: readKeyFile(sources.keyFile), source: sources.keyFile, generated: false };
  }
  if (!sources.embedded) {
    throw new SecretKeyError(
      'PostgreSQL needs a secret key for the stored Redis passwords, the same in every keyheat process: ' +
        'set KEYHEAT_SECRET_KEY or secrets.key_file (generate one with: openssl rand -base64 32)',
    );
  }
  const file = path.join(sources.dataDir, GENERATED_KEY_FILE);
  if (existsSync(file)) {
    createPrivateFile(file);
    return { key: readKeyFile(file), source: file, generated: false };
  }
  tightenDataDir(sources.dataDir);
  const key = generateSecretKey();
  // Never over a key that appeared meanwhile ('wx'); fsynced with its folder: a key lost in a
  // crash after passwords were sealed with it would make them unreadable.
  writePrivateFileDurably(file, `${key.key.toString('base64')}\n`);
  return { key, source: file, generated: true };
}

/**
 * The key for the store at `url`, with the embedded store's data dir made private first: an
 * existing data dir (and keyheat.db, its -wal and -shm, the key file) is tightened at every start.
 * An in-memory SQLite keeps nothing, so its key lives for the process only.
 */
export function secretKeyForStore(url: string, sources: Omit<SecretKeySources, 'embedded'>): ResolvedSecretKey {
  const embedded = url.startsWith('sqlite:');
  if (url === 'sqlite::memory:' && (sources.key ?? '') === '' && (sources.keyFile ?? '') === '') {
    return { key: generateSecretKey(), source: 'this process only (in-memory store)', generated: true };
  }
  if (embedded) {
    const file = path.resolve(url.slice('sqlite:'.length));
    if (path.dirname(file) === path.resolve(sources.dataDir)) {
      tightenDataDir(sources.dataDir);
      tightenSqliteFiles(file);
    }
  }
  return resolveSecretKey({ ...sources, embedded });
}

export function readKeyFile(file: string): SecretKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SecretKeyError(`cannot read the secret key file ${file}: ${(error as Error).message}`);
  }
  return parseSecretKey(text, `the secret key file ${file}`);
}
