/**
 * keyheat scan vs redis-cli --hotkeys on the same 1M-key Redis, alternately, three times each.
 * Prints both medians, their ratio, whether both found the same hot keys, and the Redis
 * server's own CPU time for keyheat's scan (the floor for one Redis process).
 *
 *   npx tsx bench/speed.ts [keys=1000000] [rounds=3]
 */
import { buildKeyheat, HOT_KEYS, keyheatScan, median, populatedRedis, redisCliHotkeys, scanCommandUsec, timed } from './bench-redis.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 3);

await buildKeyheat();
const redis = await populatedRedis(keys);
try {
  const cliTimes: number[] = [];
  const keyheatTimes: number[] = [];
  const serverUsec: number[] = [];
  let cliKeys: string[] = [];
  let keyheatKeys: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const cli = await timed(() => redisCliHotkeys(redis.port));
    cliTimes.push(cli.ms);
    cliKeys = cli.value;
    await redis.command(['CONFIG', 'RESETSTAT']);
    const keyheat = await timed(() => keyheatScan(redis.port, ['--top', '16']));
    serverUsec.push(await scanCommandUsec(redis));
    keyheatTimes.push(keyheat.ms);
    keyheatKeys = keyheat.value.keys.map((k) => k.name);
    console.log(`round ${round}: redis-cli ${(cli.ms / 1000).toFixed(2)} s, keyheat ${(keyheat.ms / 1000).toFixed(2)} s (scanned ${keyheat.value.analysis.scanned_keys})`);
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
  console.log(`same hot keys: ${same(cliKeys, keyheatKeys) ? 'yes' : 'NO'} (redis-cli ${cliKeys.length}, keyheat ${keyheatKeys.length}, expected ${HOT_KEYS.length}: ${same(keyheatKeys, [...HOT_KEYS]) ? 'all found' : 'MISMATCH'})`);
  if (!same(cliKeys, keyheatKeys) || !same(keyheatKeys, [...HOT_KEYS])) {
    console.log(`  redis-cli: ${[...cliKeys].sort().join(' ')}\n  keyheat:   ${[...keyheatKeys].sort().join(' ')}\n  expected:  ${[...HOT_KEYS].sort().join(' ')}`);
  }
} finally {
  await redis.stop();
}
