/**
 * server.tls: keyheat serves HTTPS with Node's own TLS, a real client trusting the test's
 * self-signed certificate gets the API, and unusable certificate files stop the start with a
 * config error naming the option.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheat, runKeyheatToEnd } from '../helpers/keyheat-process.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-tls-'));

function selfSigned(name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function get(port: number, ca: string, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get({ host: '127.0.0.1', port, path: urlPath, ca: readFileSync(ca), headers, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

const pair = selfSigned('server');
const other = selfSigned('other');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server.tls', () => {
  let harness: Harness;
  let port: number;

  beforeAll(async () => {
    harness = await startHarness({ start: false, config: { server: { tls: pair } } });
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    port = (harness.keyheat.http.server.address() as AddressInfo).port;
  });
  afterAll(async () => harness.close({ removeData: true }));

  it('serves the API over HTTPS to a client that trusts the certificate', async () => {
    const health = await get(port, pair.cert, '/healthz');
    expect(health.status).toBe(200);
    const list = await get(port, pair.cert, `/v2/${P1}/instances`, { 'X-Auth-Token': ADMIN, 'X-Request-Id': 'proxy-abc-1' });
    expect(list.status).toBe(200);
    expect(list.headers['x-request-id']).toBe('proxy-abc-1');
    const denied = await get(port, pair.cert, `/v2/${P1}/instances/%ff%fe`, { 'X-Auth-Token': ADMIN });
    expect(denied.status).toBe(400);
    expect(JSON.parse(denied.body)).toMatchObject({ error_code: 'DCS.4800' });
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(get(port, other.cert, '/healthz')).rejects.toThrow(/self[- ]signed|signature|verify/i);
  });
});

describe('unusable server.tls files stop the start', () => {
  it('names the option of a missing or unreadable file, and a key that does not match', async () => {
    await expect(startHarness({ config: { server: { tls: { cert: path.join(dir, 'missing.crt'), key: pair.key } } } })).rejects.toThrow(
      /server\.tls\.cert: cannot read .*missing\.crt/,
    );
    const unreadable = path.join(dir, 'unreadable.key');
    writeFileSync(unreadable, 'x');
    chmodSync(unreadable, 0o000);
    if (process.getuid?.() !== 0) {
      await expect(startHarness({ config: { server: { tls: { cert: pair.cert, key: unreadable } } } })).rejects.toThrow(/server\.tls\.key: cannot read/);
    }
    await expect(startHarness({ config: { server: { tls: { cert: pair.cert, key: other.key } } } })).rejects.toThrow(ConfigError);
    const garbage = path.join(dir, 'garbage.crt');
    writeFileSync(garbage, 'not a certificate');
    await expect(startHarness({ config: { server: { tls: { cert: garbage, key: pair.key } } } })).rejects.toThrow(/server\.tls: .* cannot be used together/);
  });

  it('keyheat serve exits with the config error, and says https when it listens', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, `server:\n  port: 0\n  tls:\n    cert: ${path.join(dir, 'nope.crt')}\n    key: ${pair.key}\n`);
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, `server:\n  port: 0\n  tls:\n    cert: ${pair.cert}\n    key: ${pair.key}\nscheduler:\n  enabled: false\n`);
    // Both at once (each process takes seconds to start under load), each with its own data dir.
    const refusing = runKeyheatToEnd(['serve', '--config', bad, '--data-dir', mkdtempSync(path.join(dir, 'data-'))]);
    const serve = runKeyheat(['serve', '--config', good, '--data-dir', mkdtempSync(path.join(dir, 'data-'))]);
    try {
      await serve.waitFor(/listening on https:\/\/127\.0\.0\.1:\d+/, 45_000);
      const refused = await refusing;
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/keyheat: server\.tls\.cert: cannot read/);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited();
    }
  }, 60_000);
});
