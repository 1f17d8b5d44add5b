/**
 * What a scan does to the Redis' other clients: redis-benchmark GET traffic (4 clients) runs
 * for a fixed number of requests while nothing scans, while redis-cli --hotkeys scans, and while
 * keyheat scans (back to back, so the whole window is under scan) with several pacing settings.
 * Prints p50/p99 per phase and the difference to the no-scan p99.
 *
 * Phases alternate (no scan, redis-cli, each keyheat setting) for `rounds` rounds, because
 * on a small machine the noise between two identical phases is of the order of the effects.
 * The summary gives each phase's median p99 and its median difference to the no-scan p99.
 *
 *   npx tsx bench/impact.ts [keys=1000000] [seconds=8] [rounds=2] [settings...]
 *   settings: "default", or comma-separated keyheat flags: "batch=100,rate=20000", "busy-batch=5"
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { buildKeyheat, KEYHEAT, median, populatedRedis, run } from './bench-redis.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? 8);
const rounds = Number(process.argv[4] ?? 2);
const settings = process.argv.slice(5).length > 0 ? process.argv.slice(5) : ['default', 'rate=20000'];

interface Latency {
  rps: number;
  p50: number;
  p99: number;
}

await buildKeyheat();
const redis = await populatedRedis(keys);

async function benchmark(requests: number): Promise<Latency> {
  const { stdout } = await run('redis-benchmark', ['-p', String(redis.port), '-t', 'get', '-r', String(keys), '-n', String(requests), '-c', '4', '--csv', '--precision', '3']);
  const row = stdout.trim().split('\n').pop()?.split(',').map((cell) => Number(cell.replaceAll('"', ''))) ?? [];
  return { rps: row[1] ?? 0, p50: row[4] ?? 0, p99: row[6] ?? 0 };
}

/** Runs `command` again and again until `until` settles; returns how many runs completed. */
async function loopWhile(until: Promise<unknown>, command: string, args: string[]): Promise<number> {
  let done = false;
  let child: ChildProcess | null = null;
  void until.finally(() => {
    done = true;
    child?.kill('SIGKILL');
  });
  let runs = 0;
  while (!done) {
    const current = spawn(command, args, { stdio: 'ignore' });
    child = current;
    const code = await new Promise<number | null>((resolve) => current.once('exit', resolve));
    if (code === 0) runs += 1;
  }
  return runs;
}

async function phase(name: string, scanner: [string, string[]] | null, requests: number, baseline: number | null): Promise<number> {
  const measuring = benchmark(requests);
  const runs = scanner === null ? 0 : await loopWhile(measuring, scanner[0], scanner[1]);
  const latency = await measuring;
  const delta = baseline === null ? '' : `  p99 +${(latency.p99 - baseline).toFixed(3)} ms vs no scan`;
  console.log(`${name.padEnd(34)} rps ${Math.round(latency.rps).toString().padStart(6)}  p50 ${latency.p50.toFixed(3)} ms  p99 ${latency.p99.toFixed(3)} ms${delta}${scanner === null ? '' : `  (${runs} complete scans)`}`);
  return latency.p99;
}

function keyheatCommand(setting: string): [string, string[]] {
  const pairs = setting === 'default' ? [] : setting.split(',').map((kv) => kv.split('=') as [string, string]);
  const nice = pairs.find(([k]) => k === 'nice')?.[1];
  const flags = pairs.filter(([k]) => k !== 'nice').flatMap(([k, v]) => [`--${k}`, v]);
  const scan = [KEYHEAT, 'scan', `redis://127.0.0.1:${redis.port}`, '--json', ...flags];
  return nice === undefined ? [process.execPath, scan] : ['nice', ['-n', nice, process.execPath, ...scan]];
}

try {
  const calibration = await benchmark(100_000);
  const requests = Math.round(calibration.rps * seconds);
  console.log(`${keys.toLocaleString('en-US')} keys; GET load: 4 clients, ${requests} requests (~${seconds} s unloaded), ${rounds} rounds\n`);
  const phases: [string, [string, string[]] | null][] = [
    ['no scan', null],
    ['redis-cli --hotkeys', ['redis-cli', ['-p', String(redis.port), '--hotkeys']]],
    ...settings.map((setting): [string, [string, string[]]] => [`keyheat ${setting}`, keyheatCommand(setting)]),
  ];
  const p99s = new Map<string, number[]>(phases.map(([name]) => [name, []]));
  const deltas = new Map<string, number[]>(phases.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    let base = 0;
    for (const [name, scanner] of phases) {
      const p99 = await phase(name, scanner, requests, scanner === null ? null : base);
      if (scanner === null) base = p99;
      p99s.get(name)?.push(p99);
      deltas.get(name)?.push(p99 - base);
    }
  }
  console.log('\nmedians over rounds:');
  for (const [name] of phases) {
    const delta = median(deltas.get(name) ?? []);
    console.log(`  ${name.padEnd(34)} p99 ${median(p99s.get(name) ?? []).toFixed(3)} ms${name === 'no scan' ? '' : `  (+${delta.toFixed(3)} ms)`}`);
  }
} finally {
  await redis.stop();
}
