/**
 * What the webhook queue holds while its receiver is down: 1,000 hot key tasks finish (each with
 * 100 keys above notifications.hot_key_qps: a task.finished and a finding.hot_key of 20 keys),
 * with the receiver's port closed the whole time. Real deliveries to a closed loopback port, real
 * backoff timers; the 1,000 completions are spread over DURATION_S seconds (60 by default: the
 * queue's size does not depend on how long the receiver stays down, only on queue_max, since
 * every delivery retries within retry_for_ms). Prints the heap before and after (after a GC),
 * the deliveries waiting, their bytes, and how many were dropped, against the baseline of a
 * queue that was never used (the same process before the completions).
 *
 *   node --expose-gc --import tsx bench/webhook-queue.ts [queue_max=1000] [duration_s=60]
 */
import net from 'node:net';
import pino from 'pino';
import type { Task, TaskOutcome } from '../src/domain/task.js';
import { NO_TELEMETRY, type Telemetry } from '../src/domain/telemetry.js';
import { WebhookSender } from '../src/notify/webhook-sender.js';
import { NetworkPolicy } from '../src/redis/network-policy.js';

const queueMax = Number(process.argv[2] ?? 1000);
const durationS = Number(process.argv[3] ?? 60);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** A loopback port nobody listens on. */
const port = await new Promise<number>((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = server.address() as net.AddressInfo;
    server.close(() => resolve(p));
  });
});

let dropped = 0;
let retried = 0;
let depth = 0;
const telemetry: Telemetry = {
  ...NO_TELEMETRY,
  webhookDelivery: (_event, outcome) => {
    if (outcome === 'dropped') dropped += 1;
    if (outcome === 'retried') retried += 1;
  },
  webhookQueue: (d) => {
    depth = d;
  },
};
const sender = new WebhookSender(
  { webhooks: [{ url: `http://127.0.0.1:${port}/hook`, secret: '0123456789abcdef', events: ['task.finished', 'task.failed', 'finding.hot_key', 'finding.big_key'] }], hotKeyQps: 1000, timeoutMs: 10_000, retryForMs: 3_600_000, queueMax },
  NetworkPolicy.OPEN,
  telemetry,
  pino({ level: 'silent' }),
);

const outcome = (n: number): TaskOutcome => ({
  keys: Array.from({ length: 100 }, (_, i) => ({ name: `tenant:${n}:feed:${i}:${'x'.repeat(40)}`, type: 'string', db: 0, size: 120, unit: 'byte', freq: 255 - i, estQps: 50_000 - i * 100 })),
  stats: { scannedKeys: 1_000_000, vanishedKeys: 0, changedKeys: 0, durationMs: 40_000 },
  insights: { lfu: [], prefixes: [], trend: null, advice: [] },
});
const task = (n: number): Task =>
  ({ id: `task-${n}`, projectId: 'p', instanceId: `inst-${n % 50}`, kind: 'hot', status: 'success', scanType: 'auto', createdAt: new Date().toISOString(), num: 100 }) as unknown as Task;

gc();
const before = process.memoryUsage().heapUsed;
const started = performance.now();
for (let n = 0; n < 1000; n++) {
  sender.taskSucceeded({ task: task(n), instanceName: `cache-${n % 50}`, finishedAt: new Date() }, outcome(n));
  await new Promise((r) => setTimeout(r, (durationS * 1000) / 1000));
}
gc();
const after = process.memoryUsage().heapUsed;
const queued = (sender as unknown as { queue: { body: string }[] }).queue;
const bodyBytes = queued.reduce((sum, d) => sum + Buffer.byteLength(d.body), 0);
console.log(
  `1000 completions (2000 deliveries) over ${((performance.now() - started) / 1000).toFixed(0)} s, receiver down, queue_max ${queueMax}: ` +
    `${depth} waiting (${(bodyBytes / 1024 / 1024).toFixed(2)} MB of bodies, ${(bodyBytes / Math.max(1, queued.length) / 1024).toFixed(1)} KB each), ${dropped} dropped, ${retried} retries; ` +
    `heap ${(before / 1024 / 1024).toFixed(1)} MB before, ${(after / 1024 / 1024).toFixed(1)} MB after (+${((after - before) / 1024 / 1024).toFixed(1)} MB)`,
);
sender.close();
