/**
 * A tenant's server sending whatever hurts most, and the bound each case must keep (issue 21):
 * what an analysis keeps (names, groups, results), what one byte may cost (decompression, one
 * synchronous step), and the deadline of every phase (a snapshot's wait, the fork slot, the
 * sampling window, a create's preflight). Fake servers on loopback (hostile-servers.ts); the
 * analyses run in `keyheat scan` child processes where their peak RSS is measured (getrusage,
 * test/helpers/report-max-rss.mjs), and in the service where its event loop is watched.
 * Sized to run in seconds.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDeployment } from '../../src/engine/analyze-deployment.js';
import { redisAccess } from '../../src/redis/redis-access.js';
import {
  giantNameBytes,
  giantNamesOverScan,
  keepalivesForever,
  laggingMonitor,
  rdbOfGiantNames,
  rdbOfManyDatabases,
  rdbOfZiplistBombs,
  rdbWithAuxBomb,
  snapshotServer,
} from '../helpers/hostile-servers.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { rawRequest } from '../helpers/raw-http.js';
import { redisLike, startStub, type Script, type Stub } from '../helpers/resp-stub.js';

const MIB = 1024 * 1024;
const REPORT_MAX_RSS = path.resolve(import.meta.dirname, '../helpers/report-max-rss.mjs');
/** The bound of issue 21: one analysis, whatever the server sends. */
const MAX_RSS = 300 * MIB;

const stubs: Stub[] = [];
let dir: string;

async function stub(script: Script): Promise<Stub> {
  const started = await startStub(script);
  stubs.push(started);
  return started;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-hostile-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

/** `keyheat scan` in a child process: its exit code, output, peak RSS (bytes) and how long it took. */
async function scanProcess(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string; maxRss: number; ms: number }> {
  const started = performance.now();
  const run = await runKeyheatToEnd(['scan', ...args], { env: { NODE_OPTIONS: `--import=${REPORT_MAX_RSS}` } });
  const kb = /keyheat-max-rss-kb=(\d+)/.exec(run.stderr)?.[1];
  expect(kb, run.output).toBeDefined();
  if (process.env["KEYHEAT_SHOW_RSS"] !== undefined) console.log(`${args.join(" ")}: peak RSS ${Math.round(Number(kb) / 1024)} MiB`);
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, maxRss: Number(kb) * 1024, ms: performance.now() - started };
}

function rdbFile(name: string, data: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return file;
}

const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');

describe('what an analysis keeps is bounded by configuration, not by the server', () => {
  it('keeps compressed 16 MiB names of an RDB as their first 1 KiB and a hash, in a small result', async () => {
    const file = rdbFile('giant-names.rdb', rdbOfGiantNames(3));
    const run = await scanProcess(['--rdb', file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { keys: { name: string; truncated?: boolean; name_sha1?: string }[] };
    expect(result.keys).toHaveLength(3);
    const whole = giantNameBytes('giant:0:');
    expect(result.keys[0]).toMatchObject({ name: whole.subarray(0, 1024).toString(), truncated: true, name_sha1: sha1(whole) });
    expect(run.stdout.length).toBeLessThan(32 * 1024);
    expect(run.maxRss).toBeLessThan(MAX_RSS);
  });

  it('fails 100 such names (a 19 MB RDB inflating to 1.6 GB) with limit once they pass the decompression budget', async () => {
    const file = rdbFile('giant-names-100.rdb', rdbOfGiantNames(100));
    const run = await scanProcess(['--rdb', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/a key name inflates to \d+ bytes, which would take this RDB past its decompression budget.*\(at byte \d+\)/);
    expect(run.maxRss).toBeLessThan(MAX_RSS);
  });

  it('keeps 12 names of 16 MiB sent over SCAN as their first 1 KiB and a hash, reading their type while it has them', { timeout: 60_000 }, async () => {
    const names = Array.from({ length: 12 }, (_, i) => giantNameBytes(`scan:${i}:`));
    const s = await stub(giantNamesOverScan(names, 2));
    const run = await scanProcess([s.url, '--json', '--top', '10']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { keys: { name: string; truncated?: boolean; name_sha1?: string; type: string; size: number }[] };
    expect(result.keys).toHaveLength(10);
    for (const key of result.keys) {
      expect(key).toMatchObject({ truncated: true, type: 'string', size: 5 });
      expect(Buffer.byteLength(key.name)).toBeLessThanOrEqual(1024);
      const i = Number(/^scan:(\d+):/.exec(key.name)?.[1]);
      expect(key.name_sha1).toBe(sha1(names[i] as Buffer));
    }
    expect(run.maxRss).toBeLessThan(MAX_RSS);
  });

  it('fails an RDB with a database per key at analysis.max_groups, naming the byte offset, and one beyond database 65535', async () => {
    const file = rdbFile('databases.rdb', rdbOfManyDatabases(50_000));
    const run = await scanProcess(['--rdb', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\(at byte \d+ of the RDB\): database 1024 would be group 1025 of this analysis, past analysis.max_groups \(1024\)/);
    expect(run.ms).toBeLessThan(15_000);
    expect(run.maxRss).toBeLessThan(MAX_RSS);
    const node = await stub(snapshotServer(rdbOfManyDatabases(70_000)));
    const beyond = await analyzeDeployment({ endpoint: endpointOf(node) }, { strategy: 'snapshot', maxGroups: 65_536 }).catch((error: unknown) => error);
    expect(beyond).toMatchObject({ kind: 'limit', message: expect.stringMatching(/a SELECTDB to database 65536: keyheat reads databases 0 to 65535.*\(at byte \d+\)/) });
  });
});

/** Waits until `check` holds, polling, for at most `ms`. */
async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function endpointOf(s: Stub) {
  return { host: s.host, port: s.port, tls: null, username: null, password: null };
}

describe('what one byte may cost is bounded', () => {
  let harness: Harness;
  let base: string;

  beforeAll(async () => {
    harness = await startHarness({ config: { analysis: { connect_timeout_ms: 2000, command_timeout_ms: 5000 } } });
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(harness.keyheat.http.server.address() as AddressInfo).port}`;
    // Warm up: a process's first GET of a task compiles its response schema's branches (about
    // 50 ms, once per process). What is watched below is the walk of the bombs, not that.
    const warm = await snapshotTaskUnderWatch(await stub(snapshotServer(rdbOfZiplistBombs(1))), 'bigkey');
    expect(warm.status, warm.error ?? '').toBe('success');
  });

  afterAll(async () => harness?.close({ removeData: true }));

  /** Registers `s`, creates a snapshot task, and polls /healthz over HTTP every 10 ms until the task ends: its status and the latencies. */
  async function snapshotTaskUnderWatch(s: Stub, kind: 'hotkey' | 'bigkey'): Promise<{ status: string; error: string | null; healthz: number[]; maxDelayMs: number; p99DelayMs: number }> {
    const registered = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: `hostile-${s.port}`, url: s.url } });
    expect(registered.status, registered.text).toBe(200);
    const instance = registered.body['instance_id'] as string;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const created = await harness.request('POST', `/v2/${P1}/instances/${instance}/${kind}-task`, { body: { strategy: 'snapshot' } });
    expect(created.status, created.text).toBe(200);
    const id = created.body['id'] as string;
    const healthz: number[] = [];
    let task: Record<string, unknown> = {};
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const started = performance.now();
      await fetch(`${base}/healthz`);
      healthz.push(performance.now() - started);
      task = (await harness.request('GET', `/v2/${P1}/instances/${instance}/${kind}-task/${id}`)).body;
      if (task['status'] === 'success' || task['status'] === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    delay.disable();
    return { status: String(task['status']), error: (task['error_msg'] as string | undefined) ?? null, healthz, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6 };
  }

  /**
   * The event loop stayed free: its delay's p99 under 100 ms, and no stall near one bomb inflated
   * in one call (0.63 s before slicing). The max alone is not asserted under 100 ms: on a loaded
   * 2-core CI machine one descheduling of the process or one major GC can pass it.
   */
  function expectEventLoopFree(watched: { p99DelayMs: number; maxDelayMs: number }): void {
    expect(watched.p99DelayMs).toBeLessThan(100);
    expect(watched.maxDelayMs).toBeLessThan(300);
  }

  const p99 = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.99))] ?? 0;

  it('walks compressed ziplist bombs in slices: /healthz answers within 100 ms throughout, then the budget fails the task', async () => {
    // Eight 16 MiB bombs in a 1.5 MB RDB: 128 MiB to inflate, past 4 x received + 64 MiB.
    const s = await stub(snapshotServer(rdbOfZiplistBombs(8)));
    const watched = await snapshotTaskUnderWatch(s, 'bigkey');
    expect(watched.status).toBe('failed');
    expect(watched.error).toMatch(/a compressed ziplist of key "bomb:\d" inflates to 16777227 bytes, which would take this RDB past its decompression budget/);
    expect(watched.healthz.length).toBeGreaterThan(3);
    expect(p99(watched.healthz)).toBeLessThan(100);
    expectEventLoopFree(watched);
  });

  it('walks one bomb within the budget to a right answer, the event loop free all along', async () => {
    const s = await stub(snapshotServer(rdbOfZiplistBombs(1)));
    const watched = await snapshotTaskUnderWatch(s, 'bigkey');
    expect(watched.status, watched.error ?? '').toBe('success');
    expect(p99(watched.healthz)).toBeLessThan(100);
    expectEventLoopFree(watched);
  });

  it('skips a 64 MiB AUX bomb nobody reads without inflating it', async () => {
    const s = await stub(snapshotServer(rdbWithAuxBomb()));
    const started = performance.now();
    const result = await analyzeDeployment({ endpoint: endpointOf(s) }, { strategy: 'snapshot' });
    expect(result.stats.scannedKeys).toBe(1);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('every analysis phase has a deadline of its own', () => {
  it('fails a snapshot kept waiting by keepalives at snapshot.max_wait_ms; another snapshot of the host waits at most max_slot_wait_ms', async () => {
    const s = await stub(snapshotServer(keepalivesForever(100)));
    const options = { strategy: 'snapshot' as const, snapshotStallMs: 1000, snapshotMaxWaitMs: 2500, snapshotMaxSlotWaitMs: 800 };
    const started = performance.now();
    const first = analyzeDeployment({ endpoint: endpointOf(s) }, options).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await analyzeDeployment({ endpoint: endpointOf(s) }, options).catch((error: unknown) => error);
    expect(second).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/was not forked: keyheat waited \d+ ms for the fork slot of host 127\.0\.0\.1.*snapshot.max_slot_wait_ms/) });
    expect(await first).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/had not begun sending its RDB 2500 ms after SYNC/) });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('ends a sampling window at its length by keyheat’s clock, whatever the server’s timestamps and a poll it never answers', async () => {
    const s = await stub(laggingMonitor());
    const started = performance.now();
    const result = await analyzeDeployment({ endpoint: endpointOf(s) }, { sampleSeconds: 1, redis: redisAccess({ commandTimeoutMs: 10_000 }) });
    const took = performance.now() - started;
    expect(result.insights.sampling?.sample.seconds).toBeLessThanOrEqual(1.1);
    expect(took).toBeLessThan(4000);
  });

  describe('the preflight of a create', () => {
    let harness: Harness;
    let port: number;

    beforeAll(async () => {
      harness = await startHarness({ config: { server: { preflight_timeout_ms: 1500, max_preflights_per_project: 2 }, analysis: { connect_timeout_ms: 1000, command_timeout_ms: 20_000 } } });
      await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
      port = (harness.keyheat.http.server.address() as AddressInfo).port;
    });

    afterAll(async () => harness?.close({ removeData: true }));

    /** An instance that answers its registration, then goes silent on INFO: every preflight would hang. */
    async function silentInstance(): Promise<{ stub: Stub; id: string }> {
      let silent = false;
      const s = await stub(redisLike((command) => (silent && command[0] === 'INFO' ? null : undefined)));
      const response = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: `silent-${s.port}`, url: s.url } });
      expect(response.status, response.text).toBe(200);
      silent = true;
      return { stub: s, id: response.body['instance_id'] as string };
    }

    it('fails at server.preflight_timeout_ms, not the command deadline', async () => {
      const { id } = await silentInstance();
      const started = performance.now();
      const created = await harness.request('POST', `/v2/${P1}/instances/${id}/hotkey-task`, { body: {} });
      const took = performance.now() - started;
      expect(created.status).toBe(400);
      expect(created.body).toMatchObject({ error_code: 'DCS.4049', error_ext_msg: expect.stringMatching(/preflight did not finish within server.preflight_timeout_ms \(1500 ms\)/) });
      expect(took).toBeGreaterThan(1400);
      expect(took).toBeLessThan(3000);
    });

    it('stops when the client goes away, and lets a project run at most max_preflights_per_project at once (429 beyond)', async () => {
      const { stub: s, id } = await silentInstance();
      const path = `/v2/${P1}/instances/${id}/hotkey-task`;
      const head = (length: number): string => [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', `X-Auth-Token: ${ADMIN}`, 'Content-Type: application/json', `Content-Length: ${length}`, '', ''].join('\r\n');
      // A client that sends its create and hangs up: its preflight's connections close soon after, well before its deadline.
      await eventually(() => s.stats.open === 0);
      const accepted = s.stats.accepted;
      const hungUp = performance.now();
      await rawRequest(port, { parts: [head(2), '{}'], deadlineMs: 200 });
      expect(s.stats.accepted).toBeGreaterThan(accepted);
      await eventually(() => s.stats.open === 0, 1000);
      expect(performance.now() - hungUp).toBeLessThan(1200);
      // Two creates hold the project's preflights; a third is throttled at once.
      const holding = [harness.request('POST', path, { body: {} }), harness.request('POST', path, { body: {} })];
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      const third = await harness.request('POST', path, { body: {} });
      expect(performance.now() - started).toBeLessThan(500);
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBe('1');
      expect(third.body).toMatchObject({ error_code: 'APIG.0308', error_msg: 'The throttling threshold has been reached.', error_ext_msg: expect.stringMatching(/max_preflights_per_project/) });
      for (const held of await Promise.all(holding)) expect([held.status, held.body['error_code']]).toEqual([400, 'DCS.4049']);
    });
  });
});
