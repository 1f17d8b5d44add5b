/**
 * keyheat scan vs redis-cli --hotkeys on the same 1M-key Redis, alternately, three times each.
 * Prints both medians, their ratio, whether both found the same hot keys, and the Redis
 * server's own CPU time for keyheat's scan (the floor for one Redis process).
 *
 *   npx tsx bench/speed.ts [keys=1000000] [rounds=3] [--compare=DIR]
 *
 * --compare=DIR also runs another checkout's keyheat (built here with its own
 * tsconfig.build.json) in every round, right after this one's: a before/after comparison that
 * meets the same drift (this machine's speed moves between minutes). Besides both medians it
 * prints each scan's wall time over the Redis time in its commands, which moves less with the
 * machine's load than either time alone.
 */
import path from 'node:path';
import { buildKeyheat, HOT_KEYS, keyheatScan, median, populatedRedis, redisCliHotkeys, run, scanCommandUsec, timed, type KeyheatScan } from './bench-redis.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const keys = Number(positional[0] ?? 1_000_000);
const rounds = Number(positional[1] ?? 3);
const compare = process.argv.find((a) => a.startsWith('--compare='))?.slice('--compare='.length);

await buildKeyheat();
if (compare !== undefined) await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: compare });
const redis = await populatedRedis(keys);

/** One keyheat scan (this checkout's, or the compared one's): wall ms, server ms in its commands, the hot keys found. */
async function scanOnce(main: string | null): Promise<{ ms: number; serverMs: number; scan: KeyheatScan }> {
  await redis.command(['CONFIG', 'RESETSTAT']);
  const scanned = await timed(async () => {
    if (main === null) return keyheatScan(redis.port, ['--top', '16']);
    const { stdout } = await run(process.execPath, [main, 'scan', `redis://127.0.0.1:${redis.port}`, '--json', '--top', '16'], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as KeyheatScan;
  });
  return { ms: scanned.ms, serverMs: (await scanCommandUsec(redis)) / 1000, scan: scanned.value };
}

try {
  const cliTimes: number[] = [];
  const keyheatTimes: number[] = [];
  const serverUsec: number[] = [];
  const perFloor: number[] = [];
  const comparedTimes: number[] = [];
  const comparedPerFloor: number[] = [];
  let cliKeys: string[] = [];
  let keyheatKeys: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const cli = await timed(() => redisCliHotkeys(redis.port));
    cliTimes.push(cli.ms);
    cliKeys = cli.value;
    // Which of the two keyheats goes first alternates round by round.
    const order = compare === undefined || round % 2 === 1 ? ['this', 'compared'] : ['compared', 'this'];
    let line = `round ${round}: redis-cli ${(cli.ms / 1000).toFixed(2)} s`;
    for (const which of order) {
      if (which === 'compared') {
        if (compare === undefined) continue;
        const other = await scanOnce(path.join(compare, 'dist/main.js'));
        comparedTimes.push(other.ms);
        comparedPerFloor.push(other.ms / other.serverMs);
        line += `, compared ${(other.ms / 1000).toFixed(2)} s (${(other.ms / other.serverMs).toFixed(2)}x its server time)`;
        continue;
      }
      const keyheat = await scanOnce(null);
      serverUsec.push(keyheat.serverMs * 1000);
      keyheatTimes.push(keyheat.ms);
      perFloor.push(keyheat.ms / keyheat.serverMs);
      keyheatKeys = keyheat.scan.keys.map((k) => k.name);
      line += `, keyheat ${(keyheat.ms / 1000).toFixed(2)} s (${(keyheat.ms / keyheat.serverMs).toFixed(2)}x its server time; scanned ${keyheat.scan.analysis.scanned_keys})`;
    }
    console.log(line);
  }
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  const cliMedian = median(cliTimes);
  const keyheatMedian = median(keyheatTimes);
  const serverMedian = median(serverUsec) / 1000;
  console.log(`\n${keys.toLocaleString('en-US')} keys, ${rounds} rounds`);
  console.log(`redis-cli --hotkeys median: ${(cliMedian / 1000).toFixed(2)} s`);
  console.log(`keyheat scan --top 16 median: ${(keyheatMedian / 1000).toFixed(2)} s`);
  console.log(`speed-up: ${(cliMedian / keyheatMedian).toFixed(2)}x (goal: >= 4x)`);
  console.log(`Redis server CPU in keyheat's scan commands: ${(serverMedian / 1000).toFixed(2)} s; keyheat wall time / server floor: ${(keyheatMedian / serverMedian).toFixed(2)}x`);
  if (compare !== undefined) {
    const comparedMedian = median(comparedTimes);
    console.log(`compared checkout (${compare}) median: ${(comparedMedian / 1000).toFixed(2)} s; this one / compared: ${(keyheatMedian / comparedMedian).toFixed(3)}`);
    console.log(`wall time / its own server time, medians: this ${median(perFloor).toFixed(3)}, compared ${median(comparedPerFloor).toFixed(3)}`);
  }
  console.log(`same hot keys: ${same(cliKeys, keyheatKeys) ? 'yes' : 'NO'} (redis-cli ${cliKeys.length}, keyheat ${keyheatKeys.length}, expected ${HOT_KEYS.length}: ${same(keyheatKeys, [...HOT_KEYS]) ? 'all found' : 'MISMATCH'})`);
  if (!same(cliKeys, keyheatKeys) || !same(keyheatKeys, [...HOT_KEYS])) {
    console.log(`  redis-cli: ${[...cliKeys].sort().join(' ')}\n  keyheat:   ${[...keyheatKeys].sort().join(' ')}\n  expected:  ${[...HOT_KEYS].sort().join(' ')}`);
  }
} finally {
  await redis.stop();
}
