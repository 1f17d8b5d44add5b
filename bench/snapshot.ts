/**
 * The snapshot strategy against the scan strategy, in production conditions, in one run per
 * keyspace size, as ratios against what the same run measured (this machine drifts between runs).
 *
 * For each size (--keys; default 1M then 5M; --quick: 200k) a fresh Redis (allkeys-lfu, LFU decay
 * off, --repl-diskless-sync-delay 0) holds `keys` keys from DEBUG POPULATE, HOT of them hot with
 * known, different LFU counters (RESTORE ... FREQ: exact, and instant where reads would take
 * minutes; 10..255, a few ties), and carries:
 * - a steady probe load straight to Redis: net-tools load, open loop at --rate GET/s over every
 *   key, latency per request in microseconds;
 * - keyheat reaching Redis through a delay line, --delay-us each way (net-tools delay), as from
 *   another host.
 * Phases, `rounds` times over: "load alone" (10 s: the baseline p99, and the load's own share of
 * Redis's main thread), "scan" (strategy 'scan', every budget at its default: max_cpu_share 0.10
 * while the node serves traffic, as it does here), "snapshot" (strategy 'snapshot': REPLCONF
 * rdb-only, SYNC, the node forks once and streams its RDB). Then once per size a snapshot with
 * repl-diskless-sync-delay 5 (Redis's default): what the wait before the fork adds.
 *
 * keyheat runs in a child process (this file with --worker, under tsx: the engine from src/, as
 * analyzeDeployment({ endpoint }, { strategy }) is called by the CLI and the service, not
 * depending on a CLI flag), one process per phase. The worker measures, around the analysis only:
 * its own CPU (process.cpuUsage: user+sys, all threads), the delay line's CPU (/proc), and on a
 * direct connection to Redis INFO cpu/stats/persistence/commandstats before and after (after the
 * node's fork child has exited, so rdb_last_cow_size and the children's CPU are this snapshot's).
 *
 * Redis main-thread cost ("cost"; the ratio printed is scan / snapshot):
 * - scan: used_cpu_{sys,user}_main_thread over the analysis minus the load's share measured in
 *   the load-alone phase of the same round ("main CPU +"); beside it the commandstats usec of
 *   every command but GET, INFO and CONFIG (the commands' own time, without their socket I/O);
 * - snapshot: latest_fork_usec (the main thread blocked in fork(), wall time: on this VM it was
 *   at times far above the CPU the fork shows in used_cpu_sys_main_thread) plus the main thread's
 *   CPU from the first INFO after the fork to the end, minus the load's share (the worker polls
 *   INFO every 10 ms until total_forks moves; with diskless sync the main thread moves the
 *   child's pipe to the replica socket). "main CPU +" over the whole phase is printed beside it.
 *   The fork child's own CPU (used_cpu_*_children) is printed apart: another process.
 * keyheat's parser: rdbBytes / transferMs is the rate the transfer ran at, bounded by the
 * slowest of the child, the network and the parser; rdbBytes / keyheat's CPU (over the whole
 * analysis: start-up, preflight and JIT warm-up too, which weigh on small sizes) is a lower bound
 * of what the parser alone could take with a core of its own.
 *
 * Pinning (taskset), as bench/production.ts: Redis and the load on core 0, keyheat and the delay
 * line on core 1 (the other host and the network). The fork child runs where bgsave_cpulist puts
 * it, --child-core=0 (default: beside its Redis, as a one-core Redis host would have it) or
 * --child-core=1 (a spare core; here it shares keyheat's). On core 0 the child's CPU competes
 * with the main thread for the whole transfer, and the probe's p99 during the snapshot shows it
 * (about 10-17x in trials; on core 1 about 1x): read the snapshot's p99 with --child-core in
 * mind. --no-pin runs everything unpinned.
 *
 *   npx tsx bench/snapshot.ts [--keys=1000000,5000000] [--quick] [--rounds=1] [--rate=5000]
 *       [--delay-us=200] [--child-core=0] [--no-pin]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis, type RedisServer } from '../test/helpers/redis-server.js';
import { RespConnection } from '../src/redis/resp-connection.js';
import { redisAccess } from '../src/redis/redis-access.js';
import { median, ROOT, run } from './bench-redis.js';

const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const SELF = fileURLToPath(import.meta.url);
const HOT = 300;
const BASELINE_MS = 10_000;
const ACCESS = redisAccess({ commandTimeoutMs: 120_000 });

/** What a worker (one keyheat analysis) hands back. */
interface WorkerResult {
  readonly strategy: 'scan' | 'snapshot';
  /** Wall clock (us) of the analysis's start and end, and its duration (ms). */
  readonly from: number;
  readonly to: number;
  readonly ms: number;
  /** From the INFO before to the INFO after (which waits for the fork child to exit), ms: what the main-thread CPU delta covers. */
  readonly infoMs: number;
  /** Snapshot: the main thread's CPU (s) from the first INFO after the fork to the INFO after, and how long that was (ms). */
  readonly transfer: { mainCpu: number; ms: number } | null;
  /** keyheat's user+sys over the analysis, seconds. */
  readonly keyheatCpu: number;
  /** The delay line's user+sys over the analysis, seconds. */
  readonly delayCpu: number;
  readonly before: Info;
  readonly after: Info;
  readonly keys: { name: string; freq: number }[];
  readonly scanNodes: { cpuShare: number | null; trafficSeen: boolean; scannedKeys: number }[];
  readonly snapshot: { rdbBytes: number; keys: number; forkUsec: number | null; cowBytes: number | null; protocol: string; waitMs: number; transferMs: number }[];
}

/** INFO cpu, stats, persistence and commandstats, as numbers. */
type Info = Record<string, number>;

function parseInfoNumbers(text: string): Info {
  const info: Info = {};
  for (const line of text.split('\r\n')) {
    const stat = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (stat !== null) {
      info[`usec:${stat[1]}`] = Number(stat[3]);
      continue;
    }
    const field = /^([a-z_]+):(-?[\d.]+)$/.exec(line);
    if (field !== null) info[field[1] as string] = Number(field[2]);
  }
  return info;
}

async function readInfo(connection: RespConnection): Promise<Info> {
  return parseInfoNumbers(await connection.text(['INFO', 'cpu', 'stats', 'persistence', 'commandstats']));
}

/** user+sys of a process, seconds (0 when it is gone). */
function processCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
/** USER_HZ: 100 on Linux whatever the kernel's HZ (bench/sampling-cost.ts asks getconf CLK_TCK). */
const CLOCK_TICKS = 100;
const mainCpuOf = (info: Info): number => (info['used_cpu_sys_main_thread'] ?? NaN) + (info['used_cpu_user_main_thread'] ?? NaN);

// ---- The worker: one keyheat analysis, measured --------------------------------------------

const workerSpec = option('worker');
if (workerSpec !== undefined) {
  const spec = JSON.parse(workerSpec) as { strategy: 'scan' | 'snapshot'; port: number; direct: number; delayPid: number };
  const { analyzeDeployment } = await import('../src/engine/analyze-deployment.js');
  const direct = await RespConnection.connect({ host: '127.0.0.1', port: spec.direct, tls: null, username: null, password: null }, ACCESS);
  const before = await readInfo(direct);
  const infoStarted = performance.now();
  const cpu = process.cpuUsage();
  const delay = processCpu(spec.delayPid);
  const from = Date.now() * 1000;
  const started = performance.now();
  // Snapshot: INFO every 10 ms on the direct connection until total_forks moves; the first
  // reply after the fork gives the main thread's CPU when the transfer starts.
  let polling = spec.strategy === 'snapshot';
  let forkSeen: { at: number; mainCpu: number } | null = null;
  const poller = (async () => {
    while (polling) {
      const info = parseInfoNumbers(await direct.text(['INFO', 'cpu', 'stats']));
      if ((info['total_forks'] ?? 0) > (before['total_forks'] ?? 0)) {
        forkSeen = { at: performance.now(), mainCpu: mainCpuOf(info) };
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const result = await analyzeDeployment({ endpoint: { host: '127.0.0.1', port: spec.port, tls: null, username: null, password: null } }, { strategy: spec.strategy });
  const ms = performance.now() - started;
  const to = Date.now() * 1000;
  const used = process.cpuUsage(cpu);
  const delayCpu = processCpu(spec.delayPid) - delay;
  polling = false;
  await poller;
  // The fork child's cost is recorded when it has exited.
  let after = await readInfo(direct);
  for (let waited = 0; after['rdb_bgsave_in_progress'] === 1 && waited < 30_000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    after = await readInfo(direct);
  }
  const afterAt = performance.now();
  const infoMs = afterAt - infoStarted;
  direct.close();
  const seen = forkSeen as { at: number; mainCpu: number } | null;
  const output: WorkerResult = {
    strategy: spec.strategy,
    from,
    to,
    ms,
    infoMs,
    transfer: seen === null ? null : { mainCpu: mainCpuOf(after) - seen.mainCpu, ms: afterAt - seen.at },
    keyheatCpu: (used.user + used.system) / 1e6,
    delayCpu,
    before,
    after,
    keys: result.keys.map((k) => ({ name: k.name, freq: k.freq })),
    scanNodes: result.stats.nodes.map((n) => ({ cpuShare: n.cpuShare, trafficSeen: n.trafficSeen, scannedKeys: n.scannedKeys })),
    snapshot: (result.insights.snapshot?.nodes ?? []).map((n) => ({
      rdbBytes: n.rdbBytes,
      keys: n.keys,
      forkUsec: n.forkUsec,
      cowBytes: n.cowBytes,
      protocol: n.protocol,
      waitMs: n.waitMs,
      transferMs: n.transferMs,
    })),
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
  process.exit(0);
}

// ---- The run ---------------------------------------------------------------------------------

const quick = process.argv.includes('--quick');
const sizes = quick ? [200_000] : (option('keys') ?? '1000000,5000000').split(',').map(Number);
const rounds = Number(option('rounds') ?? 1);
const rate = Number(option('rate') ?? 5000);
const delayUs = Number(option('delay-us') ?? 200);
const childCore = Number(option('child-core') ?? 0);
const pin = !process.argv.includes('--no-pin');
/** The command line run on a core (keyheat's side: 1; Redis's: 0), or as is with --no-pin. */
const onCore = (core: number, command: string, args: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]);
const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const tools = path.join(mkdtempSync(path.join(os.tmpdir(), 'keyheat-bench-')), 'net-tools');
await run('cc', ['-O2', '-o', tools, path.join(ROOT, 'bench/net-tools.c')]);

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/** Starts a net-tools child that prints one line when ready; collects what it prints after. */
async function netTool(args: string[], core: number): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(...onCore(core, tools, args), { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!output.includes('\n')) {
    if (child.exitCode !== null) throw new Error(`net-tools ${args.join(' ')} exited`);
    await sleep(10);
  }
  return Object.assign(child, { output: () => output });
}

const exited = (child: ChildProcess): Promise<unknown> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)));

/** The hot keys: key:<n> spread over the keyspace, counters from 255 down to 10. */
const hotKeys = (keys: number): { name: string; freq: number }[] =>
  Array.from({ length: HOT }, (_, i) => ({ name: `key:${(i * 3331 + 17) % keys}`, freq: 255 - Math.floor((i * 245) / (HOT - 1)) }));

async function populated(keys: number): Promise<RedisServer> {
  const redis = await startRedis({
    lfuDecayTime: 0,
    extraArgs: ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0', ...(pin ? ['--bgsave_cpulist', String(childCore)] : [])],
  });
  const connection = await redis.connect();
  await connection.call(['DEBUG', 'POPULATE', keys, 'key', 10]);
  const payload = (await connection.call(['DUMP', 'key:0'])) as Buffer;
  await connection.pipeline(hotKeys(keys).map((k) => ['RESTORE', k.name, 0, payload, 'REPLACE', 'FREQ', k.freq]));
  connection.close();
  return redis;
}

interface Phase {
  readonly name: string;
  readonly round: number;
  readonly ms: number;
  readonly from: number;
  readonly to: number;
  /** What mainCpu covers, ms. */
  readonly infoMs: number;
  /** Main-thread CPU over the phase, seconds. */
  readonly mainCpu: number;
  readonly result: WorkerResult | null;
}

const childCpuOf = (info: Info): number => (info['used_cpu_sys_children'] ?? NaN) + (info['used_cpu_user_children'] ?? NaN);
/** commandstats usec of every command but the load's GETs and the benchmark's INFO and CONFIG. */
function commandUsec(before: Info, after: Info): number {
  let usec = 0;
  for (const [field, value] of Object.entries(after)) {
    if (!field.startsWith('usec:') || /^usec:(get|info|config\|.*)$/.test(field)) continue;
    usec += value - (before[field] ?? 0);
  }
  return usec;
}

async function loadAlone(redis: RedisServer, round: number): Promise<Phase> {
  const connection = await redis.connect();
  const before = await readInfo(connection);
  const from = Date.now() * 1000;
  await sleep(BASELINE_MS);
  const to = Date.now() * 1000;
  const after = await readInfo(connection);
  connection.close();
  return { name: 'load alone', round, ms: BASELINE_MS, from, to, infoMs: (to - from) / 1000, mainCpu: mainCpuOf(after) - mainCpuOf(before), result: null };
}

async function keyheat(name: string, strategy: 'scan' | 'snapshot', redis: RedisServer, line: { port: number; pid: number }, round: number): Promise<Phase> {
  const spec = JSON.stringify({ strategy, port: line.port, direct: redis.port, delayPid: line.pid });
  const child = spawn(...onCore(1, process.execPath, ['--import', 'tsx', SELF, `--worker=${spec}`]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await exited(child);
  if (child.exitCode !== 0) throw new Error(`keyheat ${strategy} exited ${child.exitCode}: ${stderr}`);
  const result = JSON.parse(stdout) as WorkerResult;
  return { name, round, ms: result.ms, from: result.from, to: result.to, infoMs: result.infoMs, mainCpu: mainCpuOf(result.after) - mainCpuOf(result.before), result };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const x = (ratio: number): string => `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
const s = (seconds: number): string => `${seconds.toFixed(seconds >= 10 ? 1 : 3)} s`;

async function benchSize(keys: number): Promise<void> {
  const seeding = performance.now();
  const redis = await populated(keys);
  const seedMs = performance.now() - seeding;
  const memory = Number(/used_memory:(\d+)/.exec(String(await redis.command(['INFO', 'memory'])))?.[1]);
  if (pin) await run('taskset', ['-a', '-p', '-c', '0', String(redis.process.pid)]);
  const lineChild = delayUs === 0 ? null : await netTool(['delay', String(await freePort()), String(redis.port), String(delayUs)], 1);
  const line = lineChild === null ? { port: redis.port, pid: 0 } : { port: Number(/listening (\d+)/.exec(lineChild.output())?.[1]), pid: lineChild.pid as number };
  const rtt = Number((await run(...onCore(1, tools, ['ping', String(line.port), '2000']))).stdout.trim());
  const load = await netTool(['load', String(redis.port), String(rate), String(keys)], 0);
  console.log(
    `\n== ${keys.toLocaleString('en-US')} keys (${HOT} hot, counters 10..255), ${mb(memory)} used, seeded in ${(seedMs / 1000).toFixed(1)} s; probe load ${rate} GET/s; ` +
      `delay line ${delayUs} us each way (PING round trip ${rtt} us); ${rounds} round${rounds === 1 ? '' : 's'}; ` +
      `${pin ? `Redis and the load on core 0, keyheat and the delay line on core 1, the fork child on core ${childCore}` : 'unpinned'}; load average ${loadAverage()}`,
  );
  const phases: Phase[] = [];
  const report = (p: Phase): void => {
    const r = p.result;
    const extra = r === null ? '' : `, keyheat CPU ${s(r.keyheatCpu)}, delay line CPU ${s(r.delayCpu)}${r.snapshot[0] === undefined ? '' : `, wait ${r.snapshot[0].waitMs} ms, transfer ${r.snapshot[0].transferMs} ms`}`;
    console.log(`  ${p.name}: ${s(p.ms / 1000)}, Redis main thread ${s(p.mainCpu)}${extra}`);
  };
  try {
    await sleep(3000); // the load settles
    for (let round = 1; round <= rounds; round++) {
      console.log(`round ${round}:`);
      const order: ['scan' | 'snapshot', string][] = [
        ['scan', 'scan'],
        ['snapshot', 'snapshot'],
      ];
      // Alternating order over rounds: what the one leaves behind (freed copy-on-write pages) meets both.
      if (round % 2 === 0) order.reverse();
      const alone = await loadAlone(redis, round);
      phases.push(alone);
      report(alone);
      for (const [strategy, name] of order) {
        const phase = await keyheat(name, strategy, redis, line, round);
        phases.push(phase);
        report(phase);
        await sleep(2000);
      }
    }
    // Redis's default wait before a diskless fork, for more replicas to join: once.
    await redis.command(['CONFIG', 'SET', 'repl-diskless-sync-delay', '5']);
    const delayed = await keyheat('snapshot, repl-diskless-sync-delay 5', 'snapshot', redis, line, 0);
    phases.push(delayed);
    report(delayed);
    await redis.command(['CONFIG', 'SET', 'repl-diskless-sync-delay', '0']);
  } finally {
    load.kill('SIGTERM');
    await exited(load);
    lineChild?.kill('SIGKILL');
    await redis.stop();
  }

  const samples = load
    .output()
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split(' ').map(Number) as [number, number]);
  const latencies = (p: Phase): number[] =>
    samples
      .filter(([at]) => at >= p.from && at <= p.to)
      .map(([, us]) => us / 1000)
      .sort((a, b) => a - b);
  const baseline = (round: number): Phase => phases.find((p) => p.name === 'load alone' && p.round === (round === 0 ? rounds : round)) as Phase;
  /** The load's share of the main thread, from the load-alone phase of the round. */
  const loadShare = (round: number): number => {
    const b = baseline(round);
    return b.mainCpu / (b.infoMs / 1000);
  };
  const excess = (p: Phase): number => p.mainCpu - loadShare(p.round) * (p.infoMs / 1000);
  const forkOf = (p: Phase): number => (p.result?.snapshot[0]?.forkUsec ?? NaN) / 1e6;
  /** Snapshot: the main thread's CPU from just after the fork to the end, minus the load's share. */
  const transferCpu = (p: Phase): number => {
    const transfer = p.result?.transfer;
    return transfer === null || transfer === undefined ? NaN : transfer.mainCpu - loadShare(p.round) * (transfer.ms / 1000);
  };
  /** What the phase cost Redis's main thread: the scan's CPU; the snapshot's fork (blocked, latest_fork_usec) plus its CPU after the fork. */
  const cost = (p: Phase): number => (p.result?.strategy === 'snapshot' ? forkOf(p) + transferCpu(p) : excess(p));

  interface Row {
    name: string;
    ms: number;
    excess: number;
    fork: number;
    transferCpu: number;
    cost: number;
    commands: number;
    p50: number;
    p99: number;
    p99Ratio: number;
    max: number;
    keyheatCpu: number;
    count: number;
  }
  const names = ['load alone', 'scan', 'snapshot', 'snapshot, repl-diskless-sync-delay 5'];
  const rows: Row[] = names.map((name) => {
    const runs = phases.filter((p) => p.name === name);
    const lat = runs.map(latencies);
    return {
      name,
      ms: median(runs.map((p) => p.ms)),
      excess: median(runs.map(excess)),
      fork: median(runs.map(forkOf)),
      transferCpu: median(runs.map(transferCpu)),
      cost: median(runs.map(cost)),
      commands: median(runs.map((p) => (p.result === null ? 0 : commandUsec(p.result.before, p.result.after) / 1e6))),
      p50: median(lat.map((l) => percentile(l, 0.5))),
      p99: median(lat.map((l) => percentile(l, 0.99))),
      p99Ratio: median(runs.map((p, i) => percentile(lat[i] as number[], 0.99) / percentile(latencies(baseline(p.round)), 0.99))),
      max: median(lat.map((l) => l.at(-1) ?? NaN)),
      keyheatCpu: median(runs.map((p) => p.result?.keyheatCpu ?? NaN)),
      count: median(lat.map((l) => l.length)),
    };
  });
  const [alone, scan, snap, delayed] = rows as [Row, Row, Row, Row];

  console.log(`\n${keys.toLocaleString('en-US')} keys (load average now ${loadAverage()}: other processes on this machine show in the latencies): medians of ${rounds} round${rounds === 1 ? '' : 's'} (the sync-delay-5 snapshot: once); probe latency in ms; ratios against the load alone`);
  console.log(
    `${'phase'.padEnd(38)} ${'wall'.padStart(8)} ${'main CPU +'.padStart(10)} ${'fork'.padStart(8)} ${'after fork'.padStart(10)} ${'cost'.padStart(8)} ${'cmd usec'.padStart(9)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'p99 ratio'.padStart(9)} ${'max'.padStart(8)} ${'probes'.padStart(7)} ${'keyheat CPU'.padStart(11)}`,
  );
  for (const r of rows) {
    const base = r === alone;
    console.log(
      `${r.name.padEnd(38)} ${(base ? '-' : s(r.ms / 1000)).padStart(8)} ${(base ? `(${(loadShare(rounds) * 100).toFixed(1)}%)` : s(r.excess)).padStart(10)} ${(Number.isNaN(r.fork) ? '-' : s(r.fork)).padStart(8)} ${(Number.isNaN(r.transferCpu) ? '-' : s(r.transferCpu)).padStart(10)} ` +
        `${(base ? '-' : s(r.cost)).padStart(8)} ${(base ? '-' : s(r.commands)).padStart(9)} ` +
        `${r.p50.toFixed(3).padStart(7)} ${r.p99.toFixed(3).padStart(7)} ${(base ? '-' : x(r.p99Ratio)).padStart(9)} ${r.max.toFixed(3).padStart(8)} ${String(r.count).padStart(7)} ${(base ? '-' : s(r.keyheatCpu)).padStart(11)}`,
    );
  }
  console.log(
    "(main CPU +: used_cpu_{sys,user}_main_thread over the phase minus the load's share, in brackets on the load-alone row; fork: latest_fork_usec, the main thread blocked; " +
      "after fork: main-thread CPU from the first INFO after the fork to the end, minus the load's share; cost: scan = main CPU +, snapshot = fork + after fork; " +
      'cmd usec: INFO commandstats of every command but GET/INFO/CONFIG, SYNC holds the fork when repl-diskless-sync-delay is 0)',
  );

  const snapshots = phases.filter((p) => p.name === 'snapshot').map((p) => p.result as WorkerResult);
  const node = (r: WorkerResult): WorkerResult['snapshot'][number] => r.snapshot[0] as WorkerResult['snapshot'][number];
  const forkUsec = median(snapshots.map((r) => node(r).forkUsec ?? NaN));
  const cow = median(snapshots.map((r) => node(r).cowBytes ?? NaN));
  const rdb = median(snapshots.map((r) => node(r).rdbBytes));
  const transferMs = median(snapshots.map((r) => node(r).transferMs));
  const waitMs = median(snapshots.map((r) => node(r).waitMs));
  const childCpu = median(snapshots.map((r) => childCpuOf(r.after) - childCpuOf(r.before)));
  const forks = median(snapshots.map((r) => (r.after['total_forks'] ?? NaN) - (r.before['total_forks'] ?? NaN)));
  const parser = median(snapshots.map((r) => node(r).rdbBytes / 1048576 / (node(r).transferMs / 1000)));
  const capacity = median(snapshots.map((r) => node(r).rdbBytes / 1048576 / r.keyheatCpu));
  const parserKeys = median(snapshots.map((r) => node(r).keys / (node(r).transferMs / 1000)));
  const snapCpu = median(snapshots.map((r) => r.keyheatCpu));
  const delayCpu = median(snapshots.map((r) => r.delayCpu));
  const scanResult = phases.find((p) => p.name === 'scan')?.result as WorkerResult;
  const scanNode = scanResult.scanNodes[0];
  const last = node(snapshots.at(-1) as WorkerResult);

  console.log(`\nscan vs snapshot (${keys.toLocaleString('en-US')} keys):`);
  console.log(`  wall: scan ${s(scan.ms / 1000)}, snapshot ${s(snap.ms / 1000)}: snapshot ${x(scan.ms / snap.ms)} faster`);
  console.log(
    `  Redis main thread: scan ${s(scan.excess)} (commands alone ${s(scan.commands)}; keyheat's own measure: cpu_share ${scanNode?.cpuShare?.toFixed(3) ?? '-'}, traffic_seen ${String(scanNode?.trafficSeen)}), ` +
      `snapshot ${s(snap.cost)} (the fork ${(snap.fork * 1000).toFixed(1)} ms + the main thread's CPU after it ${s(snap.transferCpu)}; its CPU over the whole phase ${s(snap.excess)}): ` +
      `scan / snapshot ${x(scan.cost / snap.cost)}`,
  );
  console.log(`  probe p99 vs load alone (${alone.p99.toFixed(3)} ms): scan ${x(scan.p99Ratio)} (${scan.p99.toFixed(3)} ms), snapshot ${x(snap.p99Ratio)} (${snap.p99.toFixed(3)} ms); max: scan ${scan.max.toFixed(3)} ms, snapshot ${snap.max.toFixed(3)} ms`);
  console.log(
    `  snapshot: protocol ${last.protocol}, ${forks} fork${forks === 1 ? '' : 's'}, latest_fork_usec ${forkUsec}, RDB ${mb(rdb)} (${last.keys.toLocaleString('en-US')} keys), ` +
      `copy-on-write ${Number.isFinite(cow) ? mb(cow) : 'unknown'} (rdb_last_cow_size), fork child CPU ${s(childCpu)}, wait ${waitMs} ms, transfer ${transferMs} ms`,
  );
  console.log(
    `  keyheat during the snapshot: parser ${parser.toFixed(1)} MB/s (rdbBytes / transferMs, MiB; ${Math.round(parserKeys / 1000).toLocaleString('en-US')}k keys/s), process CPU ${s(snapCpu)} (${((snapCpu / (snap.ms / 1000)) * 100).toFixed(0)}% of a core over the analysis; ` +
      `rdbBytes / that CPU: ${capacity.toFixed(1)} MB/s, at least what the parser could take with a core of its own), ` +
      `delay line CPU ${s(delayCpu)}; during the scan keyheat CPU ${s(scan.keyheatCpu)}`,
  );
  const delayedNode = delayed.count === 0 ? null : node(phases.find((p) => p.name === 'snapshot, repl-diskless-sync-delay 5')?.result as WorkerResult);
  if (delayedNode !== null) {
    console.log(
      `  repl-diskless-sync-delay 5 (Redis's default): wait ${delayedNode.waitMs} ms (vs ${waitMs} ms at 0), wall ${s(delayed.ms / 1000)} (vs ${s(snap.ms / 1000)}): ` +
        `it adds ${s((delayed.ms - snap.ms) / 1000)} of wall time (Redis waits for more replicas to join before it forks; keyheat reads keepalives); ` +
        `fork ${delayedNode.forkUsec ?? '-'} us, main CPU + over the phase ${s(delayed.excess)} (with 10 ms INFO polls until the fork)`,
    );
  }

  // Same top keys: by name, freq within 1, the cut-off's ties allowed.
  const scanKeys = scanResult.keys;
  const snapKeys = (snapshots.at(-1) as WorkerResult).keys;
  const agreement = compareTop(scanKeys, snapKeys);
  const expected = new Map(hotKeys(keys).map((k) => [k.name, k.freq]));
  const seededTop = snapKeys.filter((k) => expected.has(k.name)).length;
  console.log(
    `  same top keys: ${agreement.same ? 'yes' : 'NO'}: ${agreement.matched} of ${scanKeys.length} by name with freq +-1 (largest |freq difference| ${agreement.maxDiff})` +
      `${agreement.boundary > 0 ? `, ${agreement.boundary} differing only at the cut-off (freq within 1 of the ${scanKeys.length}th)` : ''}${agreement.problems.length > 0 ? `; differing: ${agreement.problems.slice(0, 5).join(', ')}` : ''}; ` +
      `${seededTop} of the snapshot's ${snapKeys.length} are seeded hot keys (top freq: scan ${scanKeys[0]?.freq ?? '-'}, snapshot ${snapKeys[0]?.freq ?? '-'}, seeded 255)`,
  );
}

function compareTop(a: { name: string; freq: number }[], b: { name: string; freq: number }[]): { same: boolean; matched: number; maxDiff: number; boundary: number; problems: string[] } {
  const inB = new Map(b.map((k) => [k.name, k.freq]));
  const inA = new Map(a.map((k) => [k.name, k.freq]));
  const cutA = Math.min(...a.map((k) => k.freq));
  const cutB = Math.min(...b.map((k) => k.freq));
  let matched = 0;
  let maxDiff = 0;
  let boundary = 0;
  const problems: string[] = [];
  for (const k of a) {
    const other = inB.get(k.name);
    if (other !== undefined && Math.abs(other - k.freq) <= 1) {
      matched += 1;
      maxDiff = Math.max(maxDiff, Math.abs(other - k.freq));
    } else if (other === undefined && k.freq <= cutB + 1) boundary += 1;
    else problems.push(`${k.name} scan ${k.freq} snapshot ${other ?? 'absent'}`);
  }
  for (const k of b) {
    if (!inA.has(k.name) && k.freq > cutA + 1) problems.push(`${k.name} snapshot ${k.freq} scan absent`);
  }
  return { same: problems.length === 0 && a.length === b.length, matched, maxDiff, boundary, problems };
}

console.log(`keyheat scan vs snapshot strategy; sizes ${sizes.map((k) => k.toLocaleString('en-US')).join(', ')}; ${new Date().toISOString()}`);
for (const keys of sizes) await benchSize(keys);
process.exit(0);
