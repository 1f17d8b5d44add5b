/**
 * A private certificate authority for TLS tests, made with the openssl command once per test
 * process: a CA, a server certificate it signed (for 127.0.0.1 and the name redis.test), a
 * client certificate it signed (for tls-auth-clients), and a second CA that signed nothing
 * keyheat will meet (a wrong --cacert).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  readonly dir: string;
  /** Files, for redis-server's tls-* options and keyheat's --cacert/--cert/--key. */
  readonly files: { readonly ca: string; readonly serverCert: string; readonly serverKey: string; readonly clientCert: string; readonly clientKey: string; readonly otherCa: string };
  /** The same as PEM text, for the API's tls object. */
  readonly pem: { readonly ca: string; readonly clientCert: string; readonly clientKey: string; readonly otherCa: string };
}

let made: Promise<TestPki> | null = null;

/** The test PKI of this process, made on first use. */
export function testPki(): Promise<TestPki> {
  made ??= makePki();
  return made;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 30_000 });
}

async function makePki(): Promise<TestPki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-pki-'));
  const days = ['-days', '2'];
  for (const name of ['ca', 'other-ca']) {
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, ...days, '-subj', `/CN=keyheat test ${name}`], dir);
  }
  // A leaf certificate signed by the CA, with the subjectAltNames it must carry.
  const leaf = async (name: string, subject: string, extensions: string): Promise<void> => {
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, ...days, '-extfile', `${name}.ext`], dir);
  };
  // Servers are clients too (replication, Sentinels to their masters): both uses.
  await leaf('server', '/CN=redis.test', 'subjectAltName=IP:127.0.0.1,DNS:redis.test\nextendedKeyUsage=serverAuth,clientAuth\n');
  await leaf('client', '/CN=keyheat', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string): string => path.join(dir, name);
  const files = {
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.crt'),
  };
  const read = (name: string): string => readFileSync(name, 'utf8');
  return { dir, files, pem: { ca: read(files.ca), clientCert: read(files.clientCert), clientKey: read(files.clientKey), otherCa: read(files.otherCa) } };
}

/** redis-server's flags to serve TLS only, on `port`, with the test PKI's server certificate. */
export function tlsServerArgs(pki: TestPki, port: number, authClients: boolean): string[] {
  return [
    '--port', '0',
    '--tls-port', String(port),
    '--tls-cert-file', pki.files.serverCert,
    '--tls-key-file', pki.files.serverKey,
    '--tls-ca-cert-file', pki.files.ca,
    '--tls-auth-clients', authClients ? 'yes' : 'no',
    '--tls-replication', 'yes',
  ];
}
