/**
 * What a sampling phase (`keyheat scan --sample`, MONITOR on the node) costs the Redis it
 * watches, in one run, `rounds` times over, as ratios against the load alone in the same round
 * (this machine's throughput and p99 drift between runs, so only same-run ratios mean much).
 *
 * A fresh Redis with `keys` keys carries, one kind at a time:
 * - fixed: an open-loop load at `rate` GET/s over --load-keys keys, spread over --conns
 *   connections (net-tools load: C, one request at a time, microsecond latency per request).
 *   What it measures is the p99 a steady client sees. On this machine one core holds Redis and
 *   these clients, and about 27k GET/s is all they can exchange one request at a time, so the
 *   default 20k/s is near the most this kind can offer.
 * - saturating: a closed-loop load, redis-benchmark -t get -c --clients -P --pipeline over the same keys,
 *   as many GETs as Redis answers; its throughput is Redis's total_commands_processed over the
 *   window. redis-benchmark reports latency only for a whole run, so the latency of this kind is
 *   that of a probe client beside it (net-tools load at --probe-rate GET/s): what any other
 *   client of a saturated Redis sees.
 * For each kind, three phases: the load alone for `seconds`; the load while
 * `keyheat scan --sample <seconds>s --json` runs; the load while `redis-cli monitor > /dev/null`
 * runs for `seconds` (what a human would do). keyheat and redis-cli reach Redis through a delay
 * line, `delay_us` each way (net-tools delay), as from another host: a fresh one for each phase,
 * and a phase whose delay line died (see delayLine) is run once more, which the output says.
 *
 * Only the sampling window is measured: a poller on its own connection reads CLIENT LIST (the
 * MONITOR client shows flags=O), INFO stats and cpu, and the watcher's /proc/<pid>/stat every
 * 50 ms, also in the phases without a watcher, so its own small cost is in the baseline too.
 * The window runs from the first poll that sees the MONITOR client to the last; keyheat's LFU
 * scan after the window (a few seconds on 100k keys) is outside it. Per phase: Redis commands/s,
 * the load's p50/p99, Redis's main-thread CPU per command (the cost a Redis with a core of its
 * own would feel as throughput: its ops/s ratio would be about the inverse of this ratio), the
 * most the MONITOR client's output buffer held (a consumer falling behind), and the watcher's
 * user+sys CPU. keyheat's `sample` from its JSON says what it saw and whether it stopped early.
 *
 * This machine has two cores. Redis and the loads run on core 0; keyheat, redis-cli and the
 * delay line (the "other host" and the network) on core 1, as bench/production.ts does. The
 * saturating load thus shares Redis's core, so its throughput ratio understates what MONITOR
 * costs a Redis on a core of its own: read the Redis CPU per command ratio beside it.
 * --no-pin runs everything unpinned. --no-keyheat skips the keyheat phases (they need the
 * sampling engine). --pipeline=16 pipelines the saturating load (redis-benchmark -P 16): Redis's
 * own cost per command shrinks, so MONITOR's share of it grows, and the stream keyheat must read
 * is about five times faster: does it still keep up?
 *
 *   npx tsx bench/sampling-cost.ts [keys=100000] [delay_us=200] [rate=20000] [--rounds=3] [--seconds=10]
 *       [--conns=4] [--clients=8] [--pipeline=1] [--load-keys=100] [--probe-rate=1000]
 *       [--only=fixed|saturating] [--no-pin] [--no-keyheat]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/redis-server.js';
import { buildKeyheat, KEYHEAT, median, populatedRedis, ROOT, run } from './bench-redis.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keys = Number(positional[0] ?? 100_000);
const delayUs = Number(positional[1] ?? 200);
const rate = Number(positional[2] ?? 20_000);
const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(option('rounds') ?? 3);
const seconds = Number(option('seconds') ?? 10);
const conns = Number(option('conns') ?? 4);
const clients = Number(option('clients') ?? 8);
const loadKeys = Number(option('load-keys') ?? 100);
const probeRate = Number(option('probe-rate') ?? 1000);
const pipeline = Number(option('pipeline') ?? 1);
const pin = !process.argv.includes('--no-pin');
const withKeyheat = !process.argv.includes('--no-keyheat');
const POLL_MS = 50;

type Kind = 'fixed' | 'saturating';
type Watcher = 'none' | 'keyheat' | 'redis-cli';
const kinds: Kind[] = option('only') === undefined ? ['fixed', 'saturating'] : [option('only') as Kind];
const watchers: Watcher[] = withKeyheat ? ['none', 'keyheat', 'redis-cli'] : ['none', 'redis-cli'];

/** The command line run on a core (Redis's side: 0; the watchers' side: 1), or as is with --no-pin. */
const onCore = (core: number, command: string, args: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowUs = (): number => Date.now() * 1000;

const tools = path.join(mkdtempSync(path.join(os.tmpdir(), 'keyheat-bench-')), 'net-tools');
await run('cc', ['-O2', '-o', tools, path.join(ROOT, 'bench/net-tools.c')]);
if (withKeyheat) await buildKeyheat();
const clockTicks = Number((await run('getconf', ['CLK_TCK'])).stdout.trim());

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function launch(command: string, args: string[], core: number, stdout: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
  const child = spawn(...onCore(core, command, args), { stdio: ['ignore', stdout, 'pipe'] });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

/** Starts a net-tools child that prints one line when ready; collects what it prints after. */
async function netTool(args: string[], core: number, command = tools): Promise<ChildProcess & { output: () => string }> {
  const child = launch(command, args, core);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.pipe(process.stderr);
  while (!output.includes('\n')) {
    if (child.exitCode !== null) throw new Error(`net-tools ${args.join(' ')} exited`);
    await sleep(10);
  }
  return Object.assign(child, { output: () => output });
}

const redis = await populatedRedis(keys);
// redis-benchmark -r reads key:<12 digits>; the open-loop load key:<n>. Both read 10-byte values.
const seeding = await redis.connect();
await seeding.pipeline(Array.from({ length: loadKeys }, (_, i) => ['SET', `key:${String(i).padStart(12, '0')}`, 'x'.repeat(10)]));
seeding.close();
if (pin) await run('taskset', ['-a', '-p', '-c', '0', String(redis.process.pid)]);

/** A watcher's failure because its delay line died: the phase is run once more. */
class DelayLineDied extends Error {}

/**
 * A delay line in front of Redis for one phase's watcher, stopped after it. A fresh one each
 * phase, because net-tools delay can die when a client closes while the stream towards it still
 * flows, which is how MONITOR ends: with "double free or corruption" (after freeing a closed
 * pair it still handles the pair's other event of the same epoll batch; seen with --pipeline=16),
 * and by SIGPIPE, which is ignored here (inherited through exec) so it sees EPIPE instead.
 */
async function delayLine(): Promise<{ port: number; alive: () => boolean; stop: () => Promise<void> }> {
  if (delayUs === 0) return { port: redis.port, alive: () => true, stop: async () => undefined };
  const port = await freePort();
  const child = await netTool(['-c', 'trap "" PIPE; exec "$0" "$@"', tools, 'delay', String(port), String(redis.port), String(delayUs)], 1, 'sh');
  return {
    port,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

const probeLine = await delayLine();
const rtt = Number((await run(...onCore(1, tools, ['ping', String(probeLine.port), '2000']))).stdout.trim());
await probeLine.stop();

/** A running load; stop() ends it and returns its requests as [wall clock us, latency us]. */
interface Load {
  stop(): Promise<[number, number][]>;
}

/**
 * `count` open-loop connections at `total` GET/s together over the load keys. Their rates differ
 * by a few percent: at equal rates their schedules kept whatever alignment they started with for
 * the whole phase, and the p50 of a phase jumped between 0.02 and 0.07 ms with it (requests sent
 * together wait for each other); at unequal rates they drift through every alignment many times.
 */
async function openLoop(total: number, count: number): Promise<Load> {
  const rateOf = (i: number): number => (total / count) * (1 + (0.2 / count) * (i - (count - 1) / 2));
  const started = await Promise.all(Array.from({ length: count }, (_, i) => netTool(['load', String(redis.port), String(rateOf(i)), String(loadKeys)], 0)));
  return {
    async stop() {
      for (const child of started) child.kill('SIGTERM');
      await Promise.all(started.map(exited));
      return started.flatMap((child) =>
        child
          .output()
          .split('\n')
          .slice(1)
          .filter((line) => line !== '')
          .map((line) => line.split(' ').map(Number) as [number, number]),
      );
    },
  };
}

/** redis-benchmark as fast as Redis answers (far longer than any phase; killed at its end), plus the probe. */
async function saturating(): Promise<Load> {
  const benchmark = launch('redis-benchmark', ['-p', String(redis.port), '-t', 'get', '-c', String(clients), '-P', String(pipeline), '-r', String(loadKeys), '-n', '1000000000', '-q'], 0, 'ignore');
  const probe = await openLoop(probeRate, 1);
  return {
    async stop() {
      benchmark.kill('SIGKILL');
      await exited(benchmark);
      return probe.stop();
    },
  };
}

interface Poll {
  /** Wall clock, us, when the replies arrived. */
  readonly at: number;
  /** The output buffer of the MONITOR client (omem, bytes), or null when none is connected. */
  readonly monitorBytes: number | null;
  readonly commands: number;
  /** Redis main thread user+sys, seconds. */
  readonly redisCpu: number;
  /** The watcher's user+sys, clock ticks; null without a watcher. */
  readonly watcherTicks: number | null;
}

function processTicks(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after "(comm)": state is the first, utime the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

const infoNumber = (info: string, field: string): number => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1]);

async function startPoller(watcherPid: () => number | undefined): Promise<{ polls: Poll[]; stop(): Promise<Poll[]> }> {
  const connection = await redis.connect();
  const polls: Poll[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const [list, info] = (await connection.pipeline([['CLIENT', 'LIST'], ['INFO', 'stats', 'cpu']])).map(String) as [string, string];
      const watcherTicks = processTicks(watcherPid());
      const monitor = /flags=[A-Za-z]*O[A-Za-z]* .*? omem=(\d+)/.exec(list);
      polls.push({
        at: nowUs(),
        monitorBytes: monitor === null ? null : Number(monitor[1]),
        commands: infoNumber(info, 'total_commands_processed'),
        redisCpu: infoNumber(info, 'used_cpu_sys_main_thread') + infoNumber(info, 'used_cpu_user_main_thread'),
        watcherTicks,
      });
      await sleep(POLL_MS);
    }
  })();
  return {
    polls,
    async stop() {
      running = false;
      await loop;
      connection.close();
      return polls;
    },
  };
}

/** keyheat's `sample`, as its --json prints it. */
interface SampleJson {
  readonly seconds: number;
  readonly commands_seen: number;
  readonly commands_per_s: number;
  readonly stopped_early: string | null;
}

interface Measure {
  readonly kind: Kind;
  readonly watcher: Watcher;
  readonly round: number;
  readonly windowS: number;
  /** Commands Redis processed per second in the window (every client's). */
  readonly ops: number;
  /** The load's latency in the window, ms (the probe's for the saturating kind). */
  readonly p50: number;
  readonly p99: number;
  readonly redisUsPerCommand: number;
  readonly redisCpuShare: number;
  readonly monitorMaxBytes: number | null;
  /** The watcher's user+sys over the window, seconds. */
  readonly watcherCpu: number | null;
  readonly sample: SampleJson | null;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

/** Runs the watcher (or waits `seconds`) while the load runs; returns the window's polls. */
async function watch(watcher: Watcher, watchPort: number, poller: { polls: Poll[] }, setPid: (pid: number) => void): Promise<{ window: Poll[]; sample: SampleJson | null }> {
  if (watcher === 'none') {
    const from = nowUs();
    await sleep(seconds * 1000);
    const to = nowUs();
    return { window: poller.polls.filter((p) => p.at >= from && p.at <= to), sample: null };
  }
  if (watcher === 'keyheat') {
    const child = launch(process.execPath, [KEYHEAT, 'scan', `redis://127.0.0.1:${watchPort}`, '--sample', `${seconds}s`, '--json'], 1);
    setPid(child.pid as number);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await exited(child);
    if (code !== 0) throw new Error(`keyheat exited ${code}: ${stderr}`);
    const result = JSON.parse(stdout) as { sample?: SampleJson };
    if (result.sample === undefined) throw new Error('keyheat printed no sample: is the sampling engine built?');
    return { window: poller.polls.filter((p) => p.monitorBytes !== null), sample: result.sample };
  }
  const child = launch('redis-cli', ['-p', String(watchPort), 'monitor'], 1, 'ignore');
  setPid(child.pid as number);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  while (!poller.polls.some((p) => p.monitorBytes !== null)) {
    if (child.exitCode !== null) throw new Error(`redis-cli monitor exited ${child.exitCode}: ${stderr}`);
    await sleep(10);
  }
  await sleep(seconds * 1000);
  child.kill('SIGTERM');
  await exited(child);
  return { window: poller.polls.filter((p) => p.monitorBytes !== null), sample: null };
}

async function phase(kind: Kind, watcher: Watcher, round: number): Promise<Measure> {
  const load = kind === 'fixed' ? await openLoop(rate, conns) : await saturating();
  const line = watcher === 'none' ? null : await delayLine();
  let pid: number | undefined;
  const poller = await startPoller(() => pid);
  let watched;
  try {
    await sleep(1000); // the load settles before the window
    watched = await watch(watcher, line?.port ?? redis.port, poller, (p) => (pid = p));
    await sleep(2 * POLL_MS); // the poller sees the MONITOR client gone
  } catch (error) {
    await sleep(200); // the delay line's exit, if that was the cause, is seen
    if (line !== null && !line.alive()) throw new DelayLineDied((error as Error).message);
    throw error;
  } finally {
    await poller.stop();
    await line?.stop();
    if (watched === undefined) await load.stop();
  }
  const requests = await load.stop();
  const first = watched.window[0];
  const last = watched.window.at(-1);
  if (first === undefined || last === undefined || last.at <= first.at) throw new Error(`${kind} ${watcher}: no window seen`);
  const windowS = (last.at - first.at) / 1e6;
  const commands = last.commands - first.commands;
  const latencies = requests
    .filter(([at]) => at >= first.at && at <= last.at)
    .map(([, us]) => us / 1000)
    .sort((a, b) => a - b);
  const monitorSizes = watched.window.map((p) => p.monitorBytes).filter((b): b is number => b !== null);
  return {
    kind,
    watcher,
    round,
    windowS,
    ops: commands / windowS,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    redisUsPerCommand: ((last.redisCpu - first.redisCpu) * 1e6) / commands,
    redisCpuShare: (last.redisCpu - first.redisCpu) / windowS,
    monitorMaxBytes: monitorSizes.length === 0 ? null : Math.max(...monitorSizes),
    watcherCpu: first.watcherTicks === null || last.watcherTicks === null ? null : (last.watcherTicks - first.watcherTicks) / clockTicks,
    sample: watched.sample,
  };
}

const label = (kind: Kind, watcher: Watcher): string =>
  `${kind === 'fixed' ? `fixed ${rate}/s` : `saturating -c ${clients}${pipeline === 1 ? '' : ` -P ${pipeline}`}`}: ${watcher === 'none' ? 'load alone' : watcher === 'keyheat' ? `+ keyheat --sample ${seconds}s` : '+ redis-cli monitor'}`;
const ms = (value: number): string => value.toFixed(3);
const times = (value: number): string => `${value.toFixed(2)}x`;
const kb = (bytes: number | null): string => (bytes === null ? '-' : `${Math.round(bytes / 1024)}k`);

function describe(m: Measure): string {
  const cpu = m.watcherCpu === null ? '' : `, watcher CPU ${m.watcherCpu.toFixed(2)} s (${((m.watcherCpu / m.windowS) * 100).toFixed(0)}% of a core)`;
  const seen = m.sample === null ? '' : `; keyheat: ${m.sample.seconds} s, ${m.sample.commands_seen} seen, ${Math.round(m.sample.commands_per_s)}/s, stopped_early ${m.sample.stopped_early ?? 'null'}`;
  return `  ${label(m.kind, m.watcher)}: window ${m.windowS.toFixed(2)} s, ${Math.round(m.ops)} cmd/s, p50 ${ms(m.p50)} p99 ${ms(m.p99)} ms, Redis ${m.redisUsPerCommand.toFixed(2)} us/cmd (${(m.redisCpuShare * 100).toFixed(0)}%), monitor buffer max ${kb(m.monitorMaxBytes)}${cpu}${seen}`;
}

console.log(
  `${keys.toLocaleString('en-US')} keys; loads over ${loadKeys} keys: fixed ${rate} GET/s on ${conns} connections, saturating redis-benchmark -c ${clients} -P ${pipeline} with a ${probeRate}/s probe; ` +
    `watchers through a delay line of ${delayUs} us each way (PING round trip ${rtt} us); ${seconds} s windows; ${rounds} rounds; ` +
    `${pin ? 'Redis and the loads on core 0, watchers and delay line on core 1' : 'unpinned'}`,
);
const measures: Measure[] = [];
try {
  // Discarded: in trials the first phase after populating showed a p99 twice the later ones'.
  const warmUp = await openLoop(rate, conns);
  await sleep(3000);
  await warmUp.stop();
  for (let round = 1; round <= rounds; round++) {
    console.log(`round ${round}:`);
    for (const kind of kinds) {
      for (const watcher of watchers) {
        let measure: Measure;
        try {
          measure = await phase(kind, watcher, round);
        } catch (error) {
          if (!(error instanceof DelayLineDied)) throw error;
          console.log(`  ${label(kind, watcher)}: the delay line died (${error.message.trim()}); once more`);
          measure = await phase(kind, watcher, round);
        }
        measures.push(measure);
        console.log(describe(measure));
        await sleep(500);
      }
    }
  }
} finally {
  await redis.stop();
}

interface Row {
  readonly name: string;
  readonly baseline: boolean;
  readonly ops: number;
  readonly p50: number;
  readonly p99: number;
  readonly usPerCommand: number;
  /** Ratios and differences against the load alone of the same kind in the same round, median over rounds. */
  readonly opsRatio: number;
  readonly p99Ratio: number;
  readonly p99Added: number;
  readonly cpuRatio: number;
  readonly watcherCpu: number | null;
}

const med = (values: (number | null)[]): number => median(values.filter((v): v is number => v !== null && Number.isFinite(v)));
const rows: Row[] = kinds.flatMap((kind) =>
  watchers.map((watcher): Row => {
    const runs = measures.filter((m) => m.kind === kind && m.watcher === watcher);
    const base = (m: Measure): Measure => measures.find((b) => b.kind === kind && b.watcher === 'none' && b.round === m.round) as Measure;
    return {
      name: label(kind, watcher),
      baseline: watcher === 'none',
      ops: med(runs.map((m) => m.ops)),
      p50: med(runs.map((m) => m.p50)),
      p99: med(runs.map((m) => m.p99)),
      usPerCommand: med(runs.map((m) => m.redisUsPerCommand)),
      opsRatio: med(runs.map((m) => m.ops / base(m).ops)),
      p99Ratio: med(runs.map((m) => m.p99 / base(m).p99)),
      p99Added: med(runs.map((m) => m.p99 - base(m).p99)),
      cpuRatio: med(runs.map((m) => m.redisUsPerCommand / base(m).redisUsPerCommand)),
      watcherCpu: runs.some((m) => m.watcherCpu !== null) ? med(runs.map((m) => (m.watcherCpu === null ? null : m.watcherCpu / m.windowS))) : null,
    };
  }),
);

console.log(`\nmedians of ${rounds} rounds, the sampling window only; ratios against the load alone of the same round; latency in ms`);
console.log(
  `${'phase'.padEnd(44)} ${'cmd/s'.padStart(8)} ${'ratio'.padStart(6)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'ratio'.padStart(6)} ${'p99 +'.padStart(7)} ${'Redis us/cmd'.padStart(12)} ${'ratio'.padStart(6)} ${'watcher CPU'.padStart(11)}`,
);
for (const row of rows) {
  const dash = (text: string, width: number): string => (row.baseline ? '-' : text).padStart(width);
  console.log(
    `${row.name.padEnd(44)} ${String(Math.round(row.ops)).padStart(8)} ${dash(times(row.opsRatio), 6)} ${ms(row.p50).padStart(7)} ${ms(row.p99).padStart(7)} ${dash(times(row.p99Ratio), 6)} ` +
      `${dash(`${row.p99Added >= 0 ? '+' : ''}${ms(row.p99Added)}`, 7)} ${row.usPerCommand.toFixed(2).padStart(12)} ${dash(times(row.cpuRatio), 6)} ${(row.watcherCpu === null ? '-' : `${(row.watcherCpu * 100).toFixed(0)}%`).padStart(11)}`,
  );
}

const keyheatRuns = measures.filter((m) => m.sample !== null);
if (keyheatRuns.length > 0) {
  console.log('\nkeyheat during its window (CPU: user+sys of the keyheat process over the window; seen: commands_per_s / Redis cmd/s):');
  for (const m of keyheatRuns) {
    const sample = m.sample as SampleJson;
    const cpu = m.watcherCpu === null ? '?' : `${m.watcherCpu.toFixed(2)} s (${((m.watcherCpu / m.windowS) * 100).toFixed(0)}% of a core)`;
    console.log(
      `  round ${m.round} ${m.kind.padEnd(10)} seconds ${sample.seconds}, commands_seen ${sample.commands_seen}, commands_per_s ${Math.round(sample.commands_per_s)}, ` +
        `seen ${((sample.commands_per_s / m.ops) * 100).toFixed(0)}%, CPU ${cpu}, monitor buffer max ${kb(m.monitorMaxBytes)}, stopped_early ${sample.stopped_early ?? 'null (kept up)'}`,
    );
  }
}
process.exit(0);
