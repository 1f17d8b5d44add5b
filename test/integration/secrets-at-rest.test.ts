/**
 * Redis passwords are sealed in the store (AES-256-GCM): the raw row never holds the password,
 * a registered password-protected Redis is analysed end to end, plain rows from before
 * encryption are sealed at start, a rotation re-seals everything, and a wrong key names the
 * instances it cannot open without stopping keyheat.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecretKey } from '../../src/app.js';
import { startHarness, testConfig, P1, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { STORES, TEST_SECRET_KEY, type StoreKind } from '../helpers/stores.js';

const PASSWORD = 'sâlt-and-pepper-Passw0rd';

async function rawPasswords(store: StoreKind, url: string): Promise<Record<string, string | null>> {
  if (store === 'sqlite') {
    const db = new SqliteDatabase(url.slice('sqlite:'.length), { readonly: true });
    try {
      const rows = db.prepare('select id, password from instances').all() as { id: string; password: string | null }[];
      return Object.fromEntries(rows.map((row) => [row.id, row.password]));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; password: string | null }>('select id, password from instances');
    return Object.fromEntries(rows.map((row) => [row.id, row.password]));
  } finally {
    await client.end();
  }
}

async function setRawPassword(store: StoreKind, url: string, id: string, value: string): Promise<void> {
  if (store === 'sqlite') {
    const db = new SqliteDatabase(url.slice('sqlite:'.length));
    try {
      db.prepare('update instances set password = ? where id = ?').run(value, id);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('update instances set password = $1 where id = $2', [value, id]);
  } finally {
    await client.end();
  }
}

function keyFile(dir: string, name: string): { file: string; key: string } {
  const key = randomBytes(32).toString('base64');
  const file = path.join(dir, name);
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { file, key };
}

describe.each(STORES)('stored Redis passwords on the %s store', (store) => {
  let redis: RedisServer;
  const open: Harness[] = [];
  const harness = async (options: Parameters<typeof startHarness>[0]): Promise<Harness> => {
    const started = await startHarness({ store, ...options });
    open.push(started);
    return started;
  };
  const closeAll = async (): Promise<void> => {
    for (const h of open.splice(0)) await h.close();
  };

  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await closeAll();
    await redis?.stop();
  });

  const url = (): string => `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}`;

  it('are sealed in the row, open end to end, and stay sealed across restarts', async () => {
    const first = await harness({});
    const id = await first.registerInstance(url());
    const sealed = (await (async () => {
      await first.close();
      return rawPasswords(store, first.databaseUrl);
    })())[id];
    expect(sealed).toMatch(/^v1:[0-9a-f]{16}:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain(PASSWORD);
    expect(Buffer.from((sealed ?? '').split(':')[2] ?? '', 'base64').toString('latin1')).not.toContain('Passw0rd');
    if (store === 'sqlite') expect(statSync(path.join(first.dataDir, 'secret.key')).mode & 0o777).toBe(0o600);

    const second = await harness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl });
    expect(await analyse(second, id)).toMatchObject({ status: 'success' });
    await closeAll();
  });

  it('seals plain-text rows at start, once', async () => {
    const first = await harness({});
    const id = await first.registerInstance(url());
    await first.close();
    await setRawPassword(store, first.databaseUrl, id, PASSWORD);

    const second = await harness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, start: false });
    await second.close();
    const migrated = (await rawPasswords(store, first.databaseUrl))[id];
    expect(migrated).toMatch(/^v1:/);
    const third = await harness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl });
    expect(await analyse(third, id)).toMatchObject({ status: 'success' });
    await closeAll();
    expect((await rawPasswords(store, first.databaseUrl))[id]).toBe(migrated); // idempotent: not sealed twice
  });

  it('with a wrong key: keyheat starts, names the instance, and its tasks fail with the reason', async () => {
    const first = await harness({ start: false });
    const id = await first.registerInstance(url());
    const waiting = await first.createTask(id);
    expect(waiting.status, waiting.text).toBe(200);
    const plainId = await first.registerInstance(url(), 'plain');
    await first.close();
    await setRawPassword(store, first.databaseUrl, plainId, PASSWORD);

    const lines: string[] = [];
    const wrong = await harness({
      dataDir: first.dataDir,
      databaseUrl: first.databaseUrl,
      logLines: lines,
      config: { secrets: { key: randomBytes(32).toString('base64') } },
    });
    const named = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => String(line['msg']).includes('cannot be decrypted'));
    expect(JSON.stringify(named?.['instances'])).toContain(id);
    const failed = await wrong.waitForTask(id, waiting.body['id'] as string);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(String(failed['error_msg'])).toContain('cannot be decrypted');
    const refused = await wrong.createTask(id);
    expect(refused.status).toBe(400);
    expect(refused.body['error_code']).toBe('DCS.4049');
    expect(String(refused.body['error_ext_msg'] ?? refused.text)).toContain('cannot be decrypted');
    // The listing still works; registering again with the password repairs the instance.
    expect((await wrong.request('GET', `/v2/${P1}/instances/${id}`)).status).toBe(200);
    await closeAll();
    // A plain row is not sealed with a key that cannot open the others: the right key may come back.
    expect((await rawPasswords(store, first.databaseUrl))[plainId]).toBe(PASSWORD);
  });

  it('are re-sealed by a rotation, in one go, and the old key no longer opens them', async () => {
    const first = await harness({});
    const id = await first.registerInstance(url());
    await first.close();
    const before = (await rawPasswords(store, first.databaseUrl))[id];
    const next = keyFile(first.dataDir, 'next.key');
    const config = testConfig(first.dataDir, { database: { url: first.databaseUrl }, ...(store === 'postgres' ? { secrets: { key: TEST_SECRET_KEY } } : {}) });
    const rotated = await rotateSecretKey(config, next.file);
    expect([rotated.resealed, rotated.already]).toEqual([1, 0]);
    const after = (await rawPasswords(store, first.databaseUrl))[id];
    expect(after).toMatch(new RegExp(`^v1:${rotated.newKeyId}:`));
    expect(after).not.toBe(before);
    // Run again (a success it was not told about): nothing to re-seal, nothing changed, no error.
    const again = await rotateSecretKey(config, next.file);
    expect([again.resealed, again.already]).toEqual([0, 1]);
    expect((await rawPasswords(store, first.databaseUrl))[id]).toBe(after);

    if (store === 'sqlite') {
      // The embedded store's generated key file was replaced by the new key: keyheat starts as before.
      expect(rotated.installed).toBe(path.join(first.dataDir, 'secret.key'));
      const restarted = await harness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl });
      expect(await analyse(restarted, id)).toMatchObject({ status: 'success' });
      await closeAll();
      return;
    }
    expect(rotated.installed).toBeNull();
    const lines: string[] = [];
    const old = await harness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, logLines: lines, start: false });
    expect(lines.some((line) => line.includes('cannot be decrypted') && line.includes(id))).toBe(true);
    await old.close();
    const renewed = await harness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, config: { secrets: { key_file: next.file } } });
    expect(await analyse(renewed, id)).toMatchObject({ status: 'success' });
    await closeAll();
  });
});

describe('keyheat secrets rotate (the command)', () => {
  it('rotates an embedded store with the generated key, and refuses a wrong current key', async () => {
    const redis = await startRedis({ password: PASSWORD });
    try {
      const first = await startHarness({ start: false });
      await first.registerInstance(`redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}`);
      await first.close();
      const next = keyFile(first.dataDir, 'next.key');
      const env = { KEYHEAT_SECRET_KEY: '' };

      const wrong = keyFile(first.dataDir, 'wrong.key');
      const refused = await runKeyheatToEnd(['secrets', 'rotate', '--new-key-file', next.file, '--old-key-file', wrong.file, '--data-dir', first.dataDir], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('cannot open the stored secrets');

      const done = await runKeyheatToEnd(['secrets', 'rotate', '--new-key-file', next.file, '--data-dir', first.dataDir], { env });
      expect(done.stderr).toBe('');
      expect(done.code).toBe(0);
      expect(done.stdout).toContain('1 instance(s)');
      // The generated key file now holds the new key (0600): keyheat starts as before.
      const keyPath = path.join(first.dataDir, 'secret.key');
      expect(readFileSync(keyPath, 'utf8').trim()).toBe(next.key);
      expect(statSync(keyPath).mode & 0o777).toBe(0o600);
      const twice = await runKeyheatToEnd(['secrets', 'rotate', '--new-key-file', next.file, '--data-dir', first.dataDir], { env });
      expect([twice.code, twice.stdout]).toEqual([0, expect.stringMatching(/^Nothing needs re-sealing: the stored secrets of 1 instance\(s\) are already sealed with key/)]);
      const restarted = await startHarness({ dataDir: first.dataDir, databaseUrl: first.databaseUrl });
      const id = ((await restarted.request('GET', `/v2/${P1}/instances`)).body['instances'] as { instance_id: string }[])[0]?.instance_id ?? '';
      expect(await analyse(restarted, id)).toMatchObject({ status: 'success' });
      await restarted.close();
      const help = await runKeyheatToEnd(['secrets', 'rotate', '--help'], { env });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--new-key-file');
      rmData(first);
    } finally {
      await redis.stop();
    }
  });

  it('PostgreSQL without a configured key refuses to start with a clear error', async () => {
    const config = testConfig('/nonexistent-keyheat-dir', { database: { url: 'postgres://127.0.0.1:1/none' } });
    await expect(rotateSecretKey(config, '/nonexistent.key')).rejects.toThrow(/cannot read the secret key file/);
    const { createKeyheat } = await import('../../src/app.js');
    const pino = (await import('pino')).default;
    await expect(createKeyheat(config, pino({ level: 'silent' }))).rejects.toThrow(/PostgreSQL needs a secret key/);
  });
});

async function analyse(h: Harness, instanceId: string): Promise<Record<string, unknown>> {
  const created = await h.createTask(instanceId);
  expect(created.status, created.text).toBe(200);
  return h.waitForTask(instanceId, created.body['id'] as string);
}

function rmData(h: Harness): void {
  void h.close({ removeData: true }).catch(() => undefined);
}
