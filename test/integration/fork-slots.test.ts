/**
 * One fork per host at a time: within a process (the embedded store, `keyheat scan`), and across
 * the processes of one PostgreSQL store (two stores opened on one schema stand for two keyheat
 * processes: each has its own pool and sessions). A wait is bounded and says so.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForkSlotTimeout, processForkSlots, type ForkSlots } from '../../src/domain/fork-slots.js';
import { openStore, type Store } from '../../src/storage/store.js';
import { createPgSchema, postgresAvailable, TEST_SECRET_KEY, type PgSchema } from '../helpers/stores.js';
import { parseSecretKey } from '../../src/domain/secret-box.js';

const never = new AbortController().signal;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two holders of one host's slot, the second asking while the first holds it for `holdMs`: when each held it. */
async function contend(first: ForkSlots, second: ForkSlots, host: string, holdMs: number, secondWaitMs: number): Promise<{ spans: [number, number][]; second: unknown }> {
  const spans: [number, number][] = [];
  const held = (ms: number) => async (): Promise<void> => {
    const start = performance.now();
    await sleep(ms);
    spans.push([start, performance.now()]);
  };
  const a = first.hold(host, 5000, never, held(holdMs));
  await sleep(50);
  const b = second.hold(host, secondWaitMs, never, held(50)).then(
    () => 'held',
    (error: unknown) => error,
  );
  await a;
  return { spans, second: await b };
}

describe('fork slots', () => {
  it('in one process: one holder per host at a time, a bounded wait, other hosts free', async () => {
    const slots = processForkSlots();
    const host = `h-${randomBytes(4).toString('hex')}`;
    const waited = await contend(slots, slots, host, 400, 2000);
    expect(waited.second).toBe('held');
    const [[, firstEnd], [secondStart]] = waited.spans as [[number, number], [number, number]];
    expect(secondStart).toBeGreaterThanOrEqual(firstEnd);
    const timedOut = await contend(slots, slots, host, 600, 200);
    expect(timedOut.second).toBeInstanceOf(ForkSlotTimeout);
    expect(String(timedOut.second)).toMatch(new RegExp(`waited \\d+ ms for the fork slot of host ${host}.*snapshot.max_slot_wait_ms`));
    // Another host does not wait.
    const started = performance.now();
    const other = slots.hold(`${host}-other`, 100, never, async () => performance.now());
    await slots.hold(host, 1000, never, async () => sleep(300));
    expect((await other) - started).toBeLessThan(100);
  });

  it('in one process: an abort ends the wait with its reason', async () => {
    const slots = processForkSlots();
    const host = `h-${randomBytes(4).toString('hex')}`;
    const holding = slots.hold(host, 1000, never, () => sleep(500));
    const abort = new AbortController();
    const waiting = slots.hold(host, 5000, abort.signal, async () => 'ran');
    setTimeout(() => abort.abort(new Error('task cancelled')), 50);
    await expect(waiting).rejects.toThrow('task cancelled');
    await holding;
  });

  describe.skipIf(!postgresAvailable())('across processes sharing a PostgreSQL store', () => {
    let schema: PgSchema;
    let one: Store;
    let two: Store;

    beforeAll(async () => {
      schema = await createPgSchema();
      const secretKey = parseSecretKey(TEST_SECRET_KEY, 'the test key');
      one = await openStore(schema.url, { maxTasksPerInstance: 10, secretKey });
      two = await openStore(schema.url, { maxTasksPerInstance: 10, secretKey });
    });

    afterAll(async () => {
      await one?.close();
      await two?.close();
      await schema?.drop();
    });

    it('never lets two processes hold one host at once, and bounds the wait', async () => {
      const [a, b] = [one.forkSlots, two.forkSlots];
      expect(a).not.toBeNull();
      const host = `10.0.0.${Math.floor(Math.random() * 250)}-${randomBytes(4).toString('hex')}`;
      const waited = await contend(a as ForkSlots, b as ForkSlots, host, 600, 3000);
      expect(waited.second).toBe('held');
      const [[, firstEnd], [secondStart]] = waited.spans as [[number, number], [number, number]];
      expect(secondStart).toBeGreaterThanOrEqual(firstEnd);
      const timedOut = await contend(a as ForkSlots, b as ForkSlots, host, 800, 300);
      expect(timedOut.second).toBeInstanceOf(ForkSlotTimeout);
      // Released: either process takes it at once now.
      const started = performance.now();
      await (b as ForkSlots).hold(host, 1000, never, async () => undefined);
      expect(performance.now() - started).toBeLessThan(500);
    });
  });
});
