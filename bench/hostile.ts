/**
 * What a hostile tenant's server costs the service, before and after issue 21: for each input
 * of the hostile-server suite at the size the issue measured, a fresh `keyheat serve` (built,
 * embedded SQLite) registers the fake server, runs one task against it, and is watched:
 *   peak RSS   VmHWM of the serve process (its own high-water mark, read before it is stopped);
 *   /healthz   latency of GET /healthz every 10 ms while the task runs (p50, p99, max), the
 *              other tenants' view of the service;
 *   outcome    the task's status and error, how long it took, or the process's death.
 * The fake server runs in a child process of its own (this file with --stub), so its sending
 * does not share an event loop with the measuring.
 *
 * "before" is another checkout's build (KEYHEAT_BEFORE=<its dist/main.js>, e.g. the commit
 * before issue 21), "after" this one's dist/main.js (npm run build first). Ratios after/before
 * are printed per input: both are measured in the same run (this machine is noisy).
 *
 *   npm run build && KEYHEAT_BEFORE=/tmp/kh-20/dist/main.js npx tsx bench/hostile.ts [input...]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/redis-server.js';
import {
  giantNameBytes,
  giantNamesOverScan,
  keepalivesForever,
  rdbOfGiantNames,
  rdbOfManyDatabases,
  rdbOfZiplistBombs,
  rdbWithAuxBomb,
  snapshotServer,
} from '../test/helpers/hostile-servers.js';
import { startStub, type Script } from '../test/helpers/resp-stub.js';

const MIB = 1024 * 1024;
/** A task still running after this long is reported as such and the service stopped. */
const TASK_LIMIT_MS = 60_000;

interface Input {
  readonly what: string;
  /** The fake server (built in the --stub child). */
  readonly script: () => Script;
  readonly task: { readonly kind: 'hotkey' | 'bigkey'; readonly body: Record<string, unknown> };
  /** Config for the "after" service only (options "before" did not have). */
  readonly afterConfig?: Record<string, unknown>;
}

const INPUTS: Record<string, Input> = {
  'names-8': {
    what: '8 compressed 16 MiB names in a 1.5 MB RDB (snapshot)',
    script: () => snapshotServer(rdbOfGiantNames(8)),
    task: { kind: 'hotkey', body: { strategy: 'snapshot' } },
  },
  'names-100': {
    what: '100 compressed 16 MiB names in a 19 MB RDB (snapshot)',
    script: () => snapshotServer(rdbOfGiantNames(100)),
    task: { kind: 'hotkey', body: { strategy: 'snapshot' } },
  },
  'scan-names-40': {
    what: '40 names of 16 MiB over SCAN, 2 a page',
    script: () => giantNamesOverScan(Array.from({ length: 40 }, (_, i) => giantNameBytes(`scan:${i}:`)), 2),
    task: { kind: 'hotkey', body: {} },
  },
  databases: {
    what: 'one SELECTDB per key, 1,000,000 databases (snapshot)',
    script: () => snapshotServer(rdbOfManyDatabases(1_000_000)),
    task: { kind: 'hotkey', body: { strategy: 'snapshot' } },
  },
  'ziplist-bomb': {
    // Just under 64 MiB inflated: what the parser before issue 21 still held and walked in one call.
    what: 'an LZF ziplist inflating 762 KB into 64 MiB (big key snapshot)',
    script: () => snapshotServer(rdbOfZiplistBombs(1, 32 * MIB - 64)),
    task: { kind: 'bigkey', body: { strategy: 'snapshot' } },
  },
  'ziplist-bombs-4': {
    what: 'four of them in one RDB (big key snapshot): within the budget once, not four times',
    script: () => snapshotServer(rdbOfZiplistBombs(4, 32 * MIB - 64)),
    task: { kind: 'bigkey', body: { strategy: 'snapshot' } },
  },
  'aux-bomb': {
    what: 'an LZF AUX value inflating 762 KB into 64 MiB (snapshot)',
    script: () => snapshotServer(rdbWithAuxBomb(64 * MIB)),
    task: { kind: 'hotkey', body: { strategy: 'snapshot' } },
  },
  keepalives: {
    what: 'SYNC answered by keepalives forever (after: snapshot.max_wait_ms 10 s)',
    script: () => snapshotServer(keepalivesForever(100)),
    task: { kind: 'hotkey', body: { strategy: 'snapshot' } },
    afterConfig: { snapshot: { max_wait_ms: 10_000 } },
  },
};

interface Measured {
  readonly outcome: string;
  readonly ms: number;
  readonly peakRssMiB: number | null;
  readonly healthz: { p50: number; p99: number; max: number; n: number };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--stub') return runStub(process.argv[3] as string);
  const before = process.env['KEYHEAT_BEFORE'];
  const after = path.resolve(import.meta.dirname, '../dist/main.js');
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(INPUTS);
  const builds: [string, string][] = [...(before === undefined ? [] : [['before', before] as [string, string]]), ['after', after]];
  const results: Record<string, Record<string, Measured>> = {};
  for (const name of names) {
    const input = INPUTS[name];
    if (input === undefined) throw new Error(`no input ${name}: ${Object.keys(INPUTS).join(', ')}`);
    results[name] = {};
    for (const [label, main] of builds) {
      const measured = await measure(name, input, main, label === 'after' ? (input.afterConfig ?? {}) : {});
      (results[name] as Record<string, Measured>)[label] = measured;
      console.log(`${name} ${label}: ${measured.outcome} in ${(measured.ms / 1000).toFixed(1)} s; peak RSS ${measured.peakRssMiB ?? '?'} MiB; /healthz p50 ${measured.healthz.p50.toFixed(1)} ms, p99 ${measured.healthz.p99.toFixed(1)} ms, max ${measured.healthz.max.toFixed(0)} ms (${measured.healthz.n} requests)`);
    }
  }
  console.log('\ninput | before: outcome, peak RSS, /healthz p99 | after: outcome, peak RSS, /healthz p99 | RSS after/before, p99 after/before');
  for (const name of names) {
    const r = results[name] as Record<string, Measured>;
    const b = r['before'];
    const a = r['after'] as Measured;
    const ratio = (x: number | null | undefined, y: number | null | undefined): string => (x === null || x === undefined || y === null || y === undefined || y === 0 ? '-' : `${(x / y).toFixed(2)}x`);
    const cell = (m: Measured | undefined): string => (m === undefined ? '-' : `${m.outcome}, ${m.peakRssMiB ?? '?'} MiB, ${m.healthz.p99.toFixed(0)} ms`);
    console.log(`${name} | ${cell(b)} | ${cell(a)} | ${ratio(a.peakRssMiB, b?.peakRssMiB)}, ${ratio(a.healthz.p99, b?.healthz.p99)}`);
  }
}

/** The --stub child: the input's fake server on loopback; prints its port, runs until killed. */
async function runStub(name: string): Promise<void> {
  const input = INPUTS[name] as Input;
  const stub = await startStub(input.script());
  console.log(`port=${stub.port}`);
}

function lineOf(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}:\n${output}`)));
  });
}

function peakRss(pid: number): number | null {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return hwm === null ? null : Math.round(Number(hwm[1]) / 1024);
  } catch {
    return null;
  }
}

async function measure(name: string, input: Input, main: string, config: Record<string, unknown>): Promise<Measured> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-hostile-bench-'));
  const stub = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--stub', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let serve: ChildProcess | null = null;
  try {
    const stubPort = Number((await lineOf(stub, /port=(\d+)/, 120_000))[1]);
    const port = await freePort();
    const configFile = path.join(dir, 'keyheat.json');
    writeFileSync(configFile, JSON.stringify({ analysis: { command_timeout_ms: 30_000 }, ...config }));
    serve = spawn(process.execPath, [main, 'serve', '--port', String(port), '--data-dir', dir], { env: { ...process.env, KEYHEAT_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    const [, project, token] = await lineOf(serve, /project_id:\s+(\w+)\n\s+X-Auth-Token:\s+(\S+)/, 30_000);
    await lineOf(serve, /listening on/, 30_000);
    const base = `http://127.0.0.1:${port}`;
    const api = async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`${base}/v2/${project as string}${url}`, { method, headers: { 'x-auth-token': token as string, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return (await response.json()) as Record<string, unknown>;
    };
    const instance = await api('POST', '/instances', { name, url: `redis://127.0.0.1:${stubPort}` });
    if (typeof instance['instance_id'] !== 'string') return failed(`registration refused: ${JSON.stringify(instance)}`);
    const started = performance.now();
    const task = await api('POST', `/instances/${instance['instance_id']}/${input.task.kind}-task`, input.task.body);
    if (typeof task['id'] !== 'string') return failed(`create refused: ${JSON.stringify(task)}`);
    const latencies: number[] = [];
    let outcome = 'still running';
    let lastCheck = 0;
    const child = serve;
    let died: string | null = null;
    child.once('exit', (code, signal) => (died = `the service died (${signal ?? `exit ${code}`})`));
    while (performance.now() - started < TASK_LIMIT_MS && died === null) {
      const t = performance.now();
      try {
        await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
        latencies.push(performance.now() - t);
      } catch {
        if (died !== null) break;
      }
      if (performance.now() - lastCheck > 100) {
        lastCheck = performance.now();
        const state = await api('GET', `/instances/${instance['instance_id']}/${input.task.kind}-task/${task['id']}`).catch(() => null);
        if (state !== null && (state['status'] === 'success' || state['status'] === 'failed')) {
          outcome = state['status'] === 'success' ? `success (${String(state['num'])} keys)` : `failed: ${String(state['error_msg']).slice(0, 100)}`;
          break;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const ms = performance.now() - started;
    const rss = child.pid === undefined ? null : peakRss(child.pid);
    return { outcome: died ?? outcome, ms, peakRssMiB: rss, healthz: summary(latencies) };
  } finally {
    serve?.kill('SIGKILL');
    stub.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }

  function failed(why: string): Measured {
    return { outcome: why, ms: 0, peakRssMiB: null, healthz: summary([]) };
  }
}

function summary(values: readonly number[]): Measured['healthz'] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, n: sorted.length };
}

await main();
