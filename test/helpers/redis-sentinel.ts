/**
 * A real Sentinel deployment for tests: a primary with replicas (real redis-server processes on
 * free loopback ports) watched by real `redis-server --sentinel` processes (three, quorum two,
 * by default), each with its own config file in a temp dir, as Sentinel rewrites it.
 * failover() runs SENTINEL FAILOVER and waits until every Sentinel names the new primary and it
 * serves as one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redisAccess } from '../../src/redis/redis-access.js';
import { RespConnection, type Arg } from '../../src/redis/resp-connection.js';
import { DEFAULT_TLS, type RedisEndpoint } from '../../src/domain/instance.js';
import { freePort, startRedis, type RedisServer, type RedisServerOptions } from './redis-server.js';
import { tlsServerArgs, type TestPki } from './tls-ca.js';

export const MASTER_NAME = 'mymaster';

export interface SentinelOptions extends RedisServerOptions {
  readonly replicas?: number;
  readonly sentinels?: number;
  /** The Sentinels' own password (requirepass in their config). */
  readonly sentinelPassword?: string;
  readonly masterName?: string;
}

export interface SentinelDeployment {
  /** Data nodes: [0] the first primary, then its replicas. */
  readonly nodes: RedisServer[];
  readonly sentinelPorts: number[];
  readonly masterName: string;
  /** redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,.../<master_name>, with the data password when there is one. */
  readonly url: string;
  /** Asks a Sentinel (any index). */
  sentinel(index: number, args: readonly Arg[]): Promise<unknown>;
  /** `host:port` of the primary the Sentinels name now. */
  primary(): Promise<string>;
  /** SENTINEL FAILOVER, then waits until every Sentinel names another primary that serves as one. */
  failover(): Promise<string>;
  stop(): Promise<void>;
}

const ACCESS = redisAccess({ commandTimeoutMs: 10_000 });

export async function startSentinels(options: SentinelOptions = {}): Promise<SentinelDeployment> {
  const masterName = options.masterName ?? MASTER_NAME;
  const nodes: RedisServer[] = [];
  const sentinels: { child: ChildProcess; port: number; dir: string }[] = [];
  const stop = async (): Promise<void> => {
    for (const s of sentinels) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        const exited = new Promise((resolve) => s.child.once('exit', resolve));
        s.child.kill('SIGKILL');
        await exited;
      }
      rmSync(s.dir, { recursive: true, force: true });
    }
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    // Every node may become a replica of another after a failover: each gets the password to reach a primary.
    const auth = options.password === undefined ? [] : ['--masterauth', options.password];
    const primary = await startRedis({ ...options, extraArgs: [...(options.extraArgs ?? []), ...auth] });
    nodes.push(primary);
    for (let i = 0; i < (options.replicas ?? 2); i++) {
      // slaveof: Redis 4.0 has no replicaof, and every later version still takes the old name.
      nodes.push(await startRedis({ ...options, extraArgs: [...(options.extraArgs ?? []), '--slaveof', '127.0.0.1', String(primary.port), ...auth] }));
    }
    await until(async () => {
      const info = String(await primary.command(['INFO', 'replication']));
      return (info.match(/state=online/g) ?? []).length === nodes.length - 1;
    }, 'the replicas did not sync');
    for (let i = 0; i < (options.sentinels ?? 3); i++) sentinels.push(await spawnSentinel(options, primary.port, masterName));
    const deployment: SentinelDeployment = {
      nodes,
      sentinelPorts: sentinels.map((s) => s.port),
      masterName,
      url: `${options.tls === undefined ? 'redis' : 'rediss'}+sentinel://${options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`}${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}`,
      sentinel: (index, args) => sentinelCommand(sentinels[index]?.port ?? 0, options.sentinelPassword, args, options.tls?.pki),
      primary: async () => addressOf(await deployment.sentinel(0, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName])),
      async failover() {
        const before = await deployment.primary();
        await deployment.sentinel(0, ['SENTINEL', 'FAILOVER', masterName]);
        let after = before;
        await until(async () => {
          const named = await Promise.all(sentinels.map((_, i) => deployment.sentinel(i, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]).then(addressOf)));
          after = named[0] ?? before;
          if (after === before || !named.every((a) => a === after)) return false;
          // The new primary serves, and every other node replicates it with its link up (what a reader checks).
          const infos = await Promise.all(nodes.map(async (n) => [`127.0.0.1:${n.port}`, String(await n.command(['INFO', 'replication']))] as const));
          const settled = infos.every(([address, info]) =>
            address === after ? info.includes('role:master') : info.includes('role:slave') && info.includes('master_link_status:up') && info.includes(`master_port:${after.split(':')[1] ?? ''}`),
          );
          return settled && (await replicasKnown(deployment, nodes.length - 1));
        }, 'the failover did not complete', 30_000);
        return after;
      },
      stop,
    };
    await until(async () => {
      const masters = await Promise.all(sentinels.map((_, i) => deployment.sentinel(i, ['SENTINEL', 'MASTER', masterName])));
      const others = masters.map((m) => Number(fieldOf(m, 'num-other-sentinels')));
      return others.every((n) => n === sentinels.length - 1) && (await replicasKnown(deployment, nodes.length - 1));
    }, 'the Sentinels did not find each other and the replicas');
    return deployment;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function spawnSentinel(options: SentinelOptions, primaryPort: number, masterName: string): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} ${Math.min(2, options.sentinels ?? 3)}`,
      `sentinel down-after-milliseconds ${masterName} 2000`,
      `sentinel failover-timeout ${masterName} 10000`,
      ...(options.password === undefined ? [] : [`sentinel auth-pass ${masterName} ${options.password}`]),
      ...(options.sentinelPassword === undefined ? [] : [`requirepass ${options.sentinelPassword}`]),
      ...(options.tls === undefined ? [] : tlsConfigLines(options.tls.pki, port, options.tls.authClients)),
      '',
    ].join('\n'),
  );
  const child = spawn(options.server ?? 'redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  await until(async () => {
    try {
      await sentinelCommand(port, options.sentinelPassword, ['PING'], options.tls?.pki);
      return true;
    } catch {
      if (child.exitCode !== null) throw new Error(`the Sentinel on ${port} exited`);
      return false;
    }
  }, `the Sentinel on ${port} did not start`);
  return { child, port, dir };
}

/** The tls-* flags of tls-ca.ts as config lines ("port 0" last: a Sentinel then listens on TLS only). */
function tlsConfigLines(pki: TestPki, port: number, authClients: boolean): string[] {
  const args = tlsServerArgs(pki, port, authClients);
  const lines: string[] = [];
  for (let i = 0; i + 1 < args.length; i += 2) lines.push(`${(args[i] as string).slice(2)} ${args[i + 1] as string}`);
  return lines;
}

async function sentinelCommand(port: number, password: string | undefined, args: readonly Arg[], pki?: TestPki): Promise<unknown> {
  const tls = pki === undefined ? null : { ...DEFAULT_TLS, ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey };
  const endpoint: RedisEndpoint = { host: '127.0.0.1', port, tls, username: null, password: password ?? null };
  const connection = await RespConnection.connect(endpoint, ACCESS);
  try {
    return await connection.call(args);
  } finally {
    connection.close();
  }
}

async function replicasKnown(deployment: SentinelDeployment, count: number): Promise<boolean> {
  // SENTINEL SLAVES before Redis 5.0, which every later version still takes.
  const replicas = await deployment.sentinel(0, ['SENTINEL', 'SLAVES', deployment.masterName]);
  if (!Array.isArray(replicas)) return false;
  return replicas.filter((r) => fieldOf(r, 'master-link-status') === 'ok' && !/s_down|o_down|disconnected/.test(fieldOf(r, 'flags') ?? '')).length === count;
}

function fieldOf(reply: unknown, name: string): string | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return String(reply[i + 1]);
  return undefined;
}

function addressOf(reply: unknown): string {
  if (!Array.isArray(reply)) throw new Error(`not an address: ${String(reply)}`);
  return `${String(reply[0])}:${String(reply[1])}`;
}

async function until(check: () => Promise<boolean>, message: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
