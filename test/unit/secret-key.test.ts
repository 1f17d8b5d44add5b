import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { SecretKeyError } from '../../src/domain/secret-box.js';
import { resolveSecretKey } from '../../src/storage/secret-key.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = Buffer.alloc(32, 3).toString('base64');

describe('where the secret key comes from', () => {
  it('KEYHEAT_SECRET_KEY and secrets.key_file reach the config', () => {
    expect(loadConfig({ env: { KEYHEAT_SECRET_KEY: KEY } }).secrets.key).toBe(KEY);
    expect(loadConfig({ env: { KEYHEAT_SECRETS_KEY_FILE: '/k' } }).secrets.key_file).toBe('/k');
  });

  it('prefers the key, then the file, and generates one only for the embedded store', () => {
    const file = path.join(dir, 'given.key');
    writeFileSync(file, `${Buffer.alloc(32, 4).toString('base64')}\n`);
    const fromEnv = resolveSecretKey({ key: KEY, keyFile: file, dataDir: dir, embedded: false });
    const fromFile = resolveSecretKey({ keyFile: file, dataDir: dir, embedded: false });
    expect(fromEnv.key.id).not.toBe(fromFile.key.id);
    expect(() => resolveSecretKey({ dataDir: dir, embedded: false })).toThrow(/PostgreSQL needs a secret key/);

    const generated = resolveSecretKey({ dataDir: path.join(dir, 'data'), embedded: true });
    expect(generated.generated).toBe(true);
    expect(statSync(path.join(dir, 'data', 'secret.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o700);
    const again = resolveSecretKey({ dataDir: path.join(dir, 'data'), embedded: true });
    expect(again).toMatchObject({ generated: false, key: { id: generated.key.id } });
  });

  it('says clearly what is wrong with a bad key', () => {
    expect(() => resolveSecretKey({ key: 'short', dataDir: dir, embedded: true })).toThrow(SecretKeyError);
    expect(() => resolveSecretKey({ keyFile: path.join(dir, 'missing'), dataDir: dir, embedded: true })).toThrow(/cannot read the secret key file/);
  });
});
