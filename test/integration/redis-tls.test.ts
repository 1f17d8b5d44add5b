/**
 * TLS toward Redis as redis-cli does it, against the system's TLS-built redis-server and a
 * private CA made with openssl (tls-ca.ts): a CA keyheat is told to trust, client certificates
 * for tls-auth-clients, SNI, --insecure; for every connection, the snapshot's replication
 * connection and the Sentinels' included. A certificate that does not verify fails saying so
 * (exit 3, DCS.4049); the client key is stored sealed and never returned, on both stores.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startSentinels, type SentinelDeployment } from '../helpers/redis-sentinel.js';
import { seedRedis } from '../helpers/seed-keys.js';
import { STORES, type StoreKind } from '../helpers/stores.js';
import { testPki, type TestPki } from '../helpers/tls-ca.js';

type Json = Record<string, unknown>;

/** Every stored value of the instances table, as one text: a secret must be in none of them. */
async function rawRows(store: StoreKind, url: string): Promise<string> {
  if (store === 'sqlite') {
    const db = new SqliteDatabase(url.slice('sqlite:'.length), { readonly: true });
    try {
      return JSON.stringify(db.prepare('select * from instances').all());
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return JSON.stringify((await client.query('select * from instances')).rows);
  } finally {
    await client.end();
  }
}

/** A line of a PEM block's base64 body: found in a stored row only if the PEM text is there in clear. */
const KEY_BODY = (pem: string): string => pem.split('\n')[1] ?? '';

describe.each(STORES)('Redis over TLS with a private CA, on the %s store', (store) => {
  let pki: TestPki;
  let mutual: RedisServer;
  let harness: Harness;

  beforeAll(async () => {
    pki = await testPki();
    mutual = await startRedis({ tls: { pki, authClients: true }, lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(mutual, [{ name: 'tls:hot', db: 0, type: 'string', size: 4, hits: 20 }]);
    harness = await startHarness({ store });
  }, 60_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await mutual?.stop();
  });

  const register = (body: Json): Promise<{ status: number; body: Json; text: string }> => harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'tls', ...body } });

  it('registers with the CA and a client certificate, analyses, and never stores or shows the key in clear', async () => {
    const response = await register({ url: mutual.url, tls: { ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey } });
    expect(response.status, response.text).toBe(200);
    expect(response.body['tls']).toEqual({ ca: 'custom', client_certificate: true, insecure: false });
    expect(response.text).not.toContain('PRIVATE KEY');
    const id = response.body['instance_id'] as string;
    const created = await harness.createTask(id);
    expect(created.status, created.text).toBe(200);
    const task = await harness.waitForTask(id, created.body['id'] as string);
    expect(task['status'], JSON.stringify(task)).toBe('success');
    expect((task['keys'] as Json[])[0]).toMatchObject({ name: 'tls:hot', freq: 25 });
    // SQLite is held by its one process: the raw rows are read once keyheat stopped.
    await harness.close();
    const raw = await rawRows(store, harness.databaseUrl);
    expect(raw).not.toContain(KEY_BODY(pki.pem.clientKey));
    expect(raw).toContain(KEY_BODY(pki.pem.ca)); // the CA is public, stored as given
    harness = await startHarness({ store, dataDir: harness.dataDir, databaseUrl: harness.databaseUrl });
    // Read back with the key opened: the instance is analysed again.
    const again = await harness.createTask(id);
    expect((await harness.waitForTask(id, again.body['id'] as string))['status']).toBe('success');
  });

  it('says why a connection is refused: an unknown CA, no client certificate, a name the certificate lacks', async () => {
    const wrongCa = await register({ url: mutual.url, tls: { ca: pki.pem.otherCa, cert: pki.pem.clientCert, key: pki.pem.clientKey } });
    expect(wrongCa.status).toBe(400);
    expect(wrongCa.body['error_code']).toBe('DCS.4049');
    expect(wrongCa.body['error_ext_msg']).toMatch(/the TLS connection failed: 127\.0\.0\.1:\d+: certificate verification failed: .*(self.signed|unable to (verify|get))/i);

    const noClientCert = await register({ url: mutual.url, tls: { ca: pki.pem.ca } });
    expect(noClientCert.body['error_code']).toBe('DCS.4049');
    expect(noClientCert.body['error_ext_msg']).toMatch(/the TLS (connection|handshake) failed.*client certificate/);

    const otherName = await register({ url: mutual.url, tls: { ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey, servername: 'cache.example' } });
    expect(otherName.body['error_ext_msg']).toMatch(/certificate verification failed: .*cache\.example.*--sni/);
    const rightName = await register({ url: mutual.url, tls: { ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey, servername: 'redis.test' } });
    expect(rightName.status, rightName.text).toBe(200);

    const insecure = await register({ url: mutual.url, tls: { ca: pki.pem.otherCa, cert: pki.pem.clientCert, key: pki.pem.clientKey, insecure: true } });
    expect(insecure.status, insecure.text).toBe(200);
    expect(insecure.body['tls']).toMatchObject({ insecure: true });

    // TLS to a port that speaks plain RESP: the handshake gets no answer, and the message says what to check.
    const plain = await startRedis();
    try {
      const toPlain = await register({ url: plain.url.replace('redis://', 'rediss://'), tls: { ca: pki.pem.ca } });
      expect(toPlain.body['error_ext_msg']).toMatch(/no Redis answered at 127\.0\.0\.1:\d+ \(.*; over TLS, a port that does not speak TLS gives no answer either\)/);
    } finally {
      await plain.stop();
    }
  });

  it('refuses TLS material that cannot be used, naming tls, before connecting', async () => {
    const cases: [Json, RegExp][] = [
      [{ ca: 'not a certificate' }, /tls\.ca holds no PEM certificate/],
      [{ cert: pki.pem.clientCert }, /give both tls\.cert and tls\.key/],
      [{ cert: pki.pem.clientCert, key: 'garbage' }, /tls\.key is not a PEM private key/],
      [{ cert: pki.pem.ca, key: pki.pem.clientKey }, /tls\.key does not belong to tls\.cert/],
    ];
    for (const [tls, message] of cases) {
      const response = await register({ url: mutual.url, tls });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid tls in the request.' });
      expect(response.body['error_ext_msg']).toMatch(message);
    }
  });
});

describe('TLS on the command line, for snapshots and Sentinels too', () => {
  let pki: TestPki;
  let oneWay: RedisServer;
  let sentinels: SentinelDeployment;

  beforeAll(async () => {
    pki = await testPki();
    oneWay = await startRedis({ tls: { pki, authClients: false }, lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0'] });
    await seedRedis(oneWay, [{ name: 'tls:cli', db: 0, type: 'string', size: 4, hits: 9 }]);
    sentinels = await startSentinels({ tls: { pki, authClients: true }, replicas: 1, lfuLogFactor: 0, lfuDecayTime: 0 });
  }, 90_000);

  afterAll(async () => {
    await oneWay?.stop();
    await sentinels?.stop();
  });

  it('takes redis-cli\'s --cacert, --insecure and --sni, and says when verification fails (exit 3)', async () => {
    const ok = await runKeyheatToEnd(['scan', oneWay.url, '--cacert', pki.files.ca, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { keys: Json[] }).keys[0]).toMatchObject({ name: 'tls:cli', freq: 14 });
    const system = await runKeyheatToEnd(['scan', oneWay.url]);
    expect(system.code).toBe(3);
    expect(system.stderr).toMatch(/the TLS connection failed: .*certificate verification failed/);
    const insecure = await runKeyheatToEnd(['scan', oneWay.url.replace('rediss://', 'redis://'), '--insecure']);
    expect(insecure.code, insecure.stderr).toBe(0);
    const sni = await runKeyheatToEnd(['scan', oneWay.url, '--cacert', pki.files.ca, '--sni', 'redis.test']);
    expect(sni.code, sni.stderr).toBe(0);
    const missing = await runKeyheatToEnd(['scan', oneWay.url, '--cacert', '/nonexistent/ca.pem']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/--cacert \/nonexistent\/ca\.pem: ENOENT/)]);
  }, 30_000);

  it('takes the snapshot over the TLS connection', async () => {
    // Scans before this one probed the key (no CLIENT NO-TOUCH on 7.0): its counter now.
    const freq = await oneWay.command(['OBJECT', 'FREQ', 'tls:cli']);
    const snapshot = await runKeyheatToEnd(['scan', oneWay.url, '--cacert', pki.files.ca, '--snapshot', '--json']);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    const result = JSON.parse(snapshot.stdout) as { keys: Json[]; snapshot: { nodes: Json[] } };
    expect(result.keys[0]).toMatchObject({ name: 'tls:cli', freq });
    expect(result.snapshot.nodes[0]).toMatchObject({ protocol: 'rdb-only' });
  }, 30_000);

  it('asks Sentinels that speak TLS only, with a client certificate, and reads the primary over TLS', async () => {
    const flags = ['--cacert', pki.files.ca, '--cert', pki.files.clientCert, '--key', pki.files.clientKey];
    const ok = await runKeyheatToEnd(['scan', sentinels.url, ...flags, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(((JSON.parse(ok.stdout) as { analysis: { nodes: Json[] } }).analysis.nodes).map((n) => n['node'])).toEqual([await sentinels.primary()]);
    const noCert = await runKeyheatToEnd(['scan', sentinels.url, '--cacert', pki.files.ca]);
    expect(noCert.code).toBe(3);
    expect(noCert.stderr).toMatch(/no Sentinel could name the primary|the TLS (connection|handshake) failed/);
  }, 30_000);
});
