/**
 * A process never claims its own running task again (issue 12), on both stores: not when its
 * wall clock jumps past the lease, not when its event loop stalls longer than the lease. The
 * store passes over the tasks the claimer runs, and taking over a lease is a compare-and-set on
 * the previous runner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gatedAnalysis, type GatedAnalysis } from '../helpers/gated-analysis.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { redisLike, startStub, type Stub } from '../helpers/resp-stub.js';
import { STORES } from '../helpers/stores.js';

const LEASE_MS = 1000;


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORES)('%s store: leases and the clock', (kind) => {
  let harness: Harness | undefined;
  let stub: Stub | undefined;
  afterEach(async () => {
    await harness?.close({ removeData: true });
    await stub?.close();
    harness = undefined;
    stub = undefined;
  });

  async function runningTask(runnerNow: () => Date, gated: GatedAnalysis): Promise<{ instanceId: string; taskId: string }> {
    stub = await startStub(redisLike());
    harness = await startHarness({ store: kind, config: { runner: { poll_interval_ms: 50, lease_ms: LEASE_MS } }, overrides: { analyze: gated.analyze, runnerNow } });
    const instanceId = await harness.registerInstance(stub.url);
    const created = await harness.createTask(instanceId);
    expect(created.status).toBe(200);
    const taskId = created.body['id'] as string;
    await harness.waitForTask(instanceId, taskId, ['running']);
    await expect.poll(gated.starts).toBe(1);
    return { instanceId, taskId };
  }

  it('a wall clock jump past the lease does not make the process claim its running task again', async () => {
    let skewMs = 0;
    const gated = gatedAnalysis();
    const { instanceId, taskId } = await runningTask(() => new Date(Date.now() + skewMs), gated);
    skewMs = 60 * 60 * 1000;
    await sleep(LEASE_MS * 2); // many polls and renewals with the jumped clock
    expect(gated.starts()).toBe(1);
    gated.open();
    const task = await harness?.waitForTask(instanceId, taskId);
    expect(task).toMatchObject({ status: 'success' });
    expect(gated.starts()).toBe(1);
    expect(await harness?.keyheat.store.tasks.get(P1, instanceId, taskId)).toMatchObject({ attempts: 1 });
  });

  it('an event-loop stall longer than the lease does not make the process claim its running task again', async () => {
    const gated = gatedAnalysis();
    const { instanceId, taskId } = await runningTask(() => new Date(), gated);
    const stallUntil = performance.now() + LEASE_MS * 1.5;
    while (performance.now() < stallUntil) {
      // A synchronous stall: no timer, no renewal, no poll runs meanwhile.
    }
    await sleep(LEASE_MS);
    expect(gated.starts()).toBe(1);
    gated.open();
    expect(await harness?.waitForTask(instanceId, taskId)).toMatchObject({ status: 'success' });
    expect(gated.starts()).toBe(1);
  });

  it('the store passes over the tasks a claimer runs, and a takeover is a CAS on the previous runner', async () => {
    stub = await startStub(redisLike());
    harness = await startHarness({ store: kind, start: false });
    const instanceId = await harness.registerInstance(stub.url);
    const taskId = (await harness.createTask(instanceId)).body['id'] as string;
    const queue = harness.keyheat.store.queue;
    const t0 = new Date();
    expect((await queue.claimNext('r1', t0, LEASE_MS))?.id).toBe(taskId);
    const late = new Date(t0.getTime() + 10 * LEASE_MS);
    // r1's lease looks expired to r1 itself: it must not take its own running task again.
    expect(await queue.claimNext('r1', late, LEASE_MS, [], [taskId])).toBeUndefined();
    // Another runner may take it over, once; r1's writes then fail their CAS.
    expect(await queue.claimNext('r2', late, LEASE_MS)).toMatchObject({ id: taskId, takenOver: true, attempts: 2 });
    expect(await queue.claimNext('r3', late, LEASE_MS)).toBeUndefined();
    expect(await queue.renewLease(taskId, 'r1', late, LEASE_MS)).toBe(false);
  });
});
