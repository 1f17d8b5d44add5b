/**
 * Starts real redis-server processes on free loopback ports for tests, and stops them.
 * Nothing here touches the machine's shared Redis on 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { redisAccess } from '../../src/redis/redis-access.js';
import { RespConnection, type Arg } from '../../src/redis/resp-connection.js';
import { DEFAULT_TLS, type RedisEndpoint } from '../../src/domain/instance.js';
import { tlsServerArgs, type TestPki } from './tls-ca.js';

export interface RedisServerOptions {
  readonly policy?: string;
  readonly password?: string;
  readonly databases?: number;
  /** lfu-log-factor 0 makes every access add exactly 1 to the counter: deterministic tests. */
  readonly lfuLogFactor?: number;
  /** 0 disables decay so counters do not move while a test runs. */
  readonly lfuDecayTime?: number;
  readonly extraArgs?: readonly string[];
  /** A fixed port instead of a free one. */
  readonly port?: number;
  /** The redis-server (or valkey-server) binary; default the one on the PATH (redis-versions.ts lists others). */
  readonly server?: string;
  /** Serve TLS only (the system's redis-server is built with it), with the test PKI (tls-ca.ts). */
  readonly tls?: { readonly pki: TestPki; readonly authClients: boolean };
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly endpoint: RedisEndpoint;
  readonly process: ChildProcess;
  connect(): Promise<RespConnection>;
  /** Runs one command on a fresh connection (handy for setup). */
  command(args: readonly Arg[], db?: number): Promise<unknown>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/** Generous deadlines for test setup (seeding can pipeline thousands of commands). */
const TEST_ACCESS = redisAccess({ commandTimeoutMs: 60_000 });

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()));
    } catch (error) {
      if (attempt >= 3 || options.port !== undefined) throw error;
    }
  }
}

async function startOnce(options: RedisServerOptions, port: number): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--maxmemory-policy', options.policy ?? 'allkeys-lfu',
    '--databases', String(options.databases ?? 16),
    '--lfu-log-factor', String(options.lfuLogFactor ?? 10),
    '--lfu-decay-time', String(options.lfuDecayTime ?? 1),
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.tls === undefined ? [] : tlsServerArgs(options.tls.pki, port, options.tls.authClients)),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(options.server ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tls = options.tls === undefined ? null : { ...DEFAULT_TLS, ca: options.tls.pki.pem.ca, ...(options.tls.authClients ? { cert: options.tls.pki.pem.clientCert, key: options.tls.pki.pem.clientKey } : {}) };
  const endpoint: RedisEndpoint = { host: '127.0.0.1', port, tls, username: null, password: options.password ?? null };
  const scheme = tls === null ? 'redis' : 'rediss';

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    try {
      const probe = await RespConnection.connect(endpoint, redisAccess({ connectTimeoutMs: 500 }));
      await probe.call(['PING']);
      probe.close();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on ${port} did not start: ${String(error)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: options.password === undefined ? `${scheme}://127.0.0.1:${port}` : `${scheme}://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`,
    endpoint,
    process: child,
    connect: () => RespConnection.connect(endpoint, TEST_ACCESS),
    async command(commandArgs, db = 0) {
      const connection = await RespConnection.connect(endpoint, TEST_ACCESS);
      try {
        if (db !== 0) await connection.call(['SELECT', db]);
        return await connection.call(commandArgs);
      } finally {
        connection.close();
      }
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
    async stop() {
      await server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
