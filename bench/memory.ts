/**
 * Peak RSS of `keyheat scan` on 1M and on 5M keys: the engine keeps a bounded top-K and a few
 * pages in flight, so memory must not grow with the keyspace (goal: < 50 MB more at 5M).
 *
 *   npx tsx bench/memory.ts [small=1000000] [large=5000000]
 */
import { buildKeyheat, KEYHEAT, peakRssKb, populatedRedis } from './bench-redis.js';

const sizes = [Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 5_000_000)];

await buildKeyheat();
const peaks: number[] = [];
for (const keys of sizes) {
  const redis = await populatedRedis(keys);
  try {
    const kb = await peakRssKb(process.execPath, [KEYHEAT, 'scan', `redis://127.0.0.1:${redis.port}`, '--json', '--top', '100']);
    peaks.push(kb);
    console.log(`${keys.toLocaleString('en-US')} keys: peak RSS ${(kb / 1024).toFixed(1)} MB`);
  } finally {
    await redis.stop();
  }
}
const growth = ((peaks[1] ?? 0) - (peaks[0] ?? 0)) / 1024;
console.log(`growth: ${growth.toFixed(1)} MB (goal: < 50 MB); ratio ${((peaks[1] ?? 0) / (peaks[0] ?? 1)).toFixed(2)}x`);
