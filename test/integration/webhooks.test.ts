/**
 * Webhooks from a real keyheat, for real tasks on a real redis-server, to local HTTP receivers:
 * the events and their signed bodies; a receiver that is down, then up; one that answers 500,
 * then 200; one too slow to answer; one that refuses (400); a full queue; a receiver outside
 * network.allow; and that none of it slows the API or the analyses.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatedAnalysis } from '../helpers/gated-analysis.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { scrape, value } from '../helpers/prometheus-text.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';

const SECRET = 'webhook-secret-0123456789';
const PASSWORD = 'redis-password-s3cret';
const EVENTS = ['task.finished', 'task.failed', 'finding.hot_key', 'finding.big_key'];

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown>;
  readonly at: number;
}

/** An HTTP receiver on loopback: records every request, answers as `answer` says (status, or 'hang'). */
class Receiver {
  readonly received: Received[] = [];
  answer: (request: number) => number | 'hang' = () => 200;
  private server: http.Server | null = null;

  constructor(
    readonly port: number,
    private readonly host = '127.0.0.1',
  ) {}

  get url(): string {
    return `http://${this.host}:${this.port}/hooks/keyheat?team=cache`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ headers: request.headers, body, json: JSON.parse(body) as Record<string, unknown>, at: Date.now() });
        const answer = this.answer(this.received.length);
        if (answer === 'hang') return;
        response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, this.host, resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
    this.server = null;
  }

  of(event: string): Received[] {
    return this.received.filter((r) => r.headers['x-keyheat-event'] === event);
  }
}

async function eventually<T>(read: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('not in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function verifySignature(received: Received): boolean {
  const header = String(received.headers['x-keyheat-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (match === null) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${received.body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 60;
}

describe('webhooks', () => {
  let redis: RedisServer;
  const harnesses: Harness[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
    await redis.command(['MSET', ...Array.from({ length: 200 }, (_, i) => [`user:${i}`, 'v']).flat()]);
    await redis.command(['MSET', 'feed:today', 'v', 'feed:tomorrow', 'v']);
    for (const key of ['feed:today', 'feed:tomorrow']) for (let i = 0; i < 500; i++) await redis.command(['GET', key]);
    await redis.command(['RPUSH', 'big:list', ...Array.from({ length: 6000 }, (_, i) => String(i))]);
  });

  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close({ removeData: true });
    for (const receiver of receivers.splice(0)) await receiver.stop();
  });

  afterAll(async () => redis?.stop());

  async function keyheatWith(receiver: { url: string }, notifications: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<{ harness: Harness; instanceId: string }> {
    const harness = await startHarness({
      config: { notifications: { webhooks: [{ url: receiver.url, secret: SECRET, events: EVENTS }], hot_key_qps: 0.001, ...notifications }, metrics: { token: 'metrics-token-0123456789abcdef' }, ...extra },
    });
    harnesses.push(harness);
    const instanceId = await harness.registerInstance(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`, 'cache-a');
    return { harness, instanceId };
  }

  async function receiverOn(port?: number, host?: string): Promise<Receiver> {
    const receiver = await new Receiver(port ?? (await freePort()), host).start();
    receivers.push(receiver);
    return receiver;
  }

  async function runTask(harness: Harness, instanceId: string, kind: 'hot' | 'big' = 'hot'): Promise<string> {
    const created = kind === 'hot' ? await harness.createTask(instanceId) : await harness.request('POST', `/v2/${P1}/instances/${instanceId}/bigkey-task`);
    expect(created.status, created.text).toBe(200);
    const id = created.body['id'] as string;
    if (kind === 'hot') {
      expect((await harness.waitForTask(instanceId, id))['status']).toBe('success');
      return id;
    }
    let status = '';
    for (let i = 0; i < 200 && status !== 'success' && status !== 'failed'; i++) {
      status = String((await harness.request('GET', `/v2/${P1}/instances/${instanceId}/bigkey-task/${id}`)).body['status']);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('success');
    return id;
  }

  it('posts task.finished and finding.hot_key, signed, naming the project, instance, task and keys, never the password', async () => {
    const receiver = await receiverOn();
    const { harness, instanceId } = await keyheatWith(receiver);
    const taskId = await runTask(harness, instanceId);
    const finished = await eventually(() => receiver.of('task.finished')[0]);
    const hot = await eventually(() => receiver.of('finding.hot_key')[0]);
    for (const r of [finished, hot]) {
      expect(verifySignature(r)).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-keyheat-delivery']).toBe(r.json['id']);
      expect(r.body).not.toContain(PASSWORD);
    }
    expect(finished.json).toMatchObject({
      event: 'task.finished',
      project_id: P1,
      instance: { id: instanceId, name: 'cache-a' },
      task: { id: taskId, kind: 'hot', scan_type: 'manual', status: 'success', num: expect.any(Number) },
    });
    expect(hot.json).toMatchObject({ event: 'finding.hot_key', hot_key_qps: 0.001, task: { id: taskId } });
    const keys = hot.json['keys'] as { key: string; est_qps: number }[];
    expect(keys.map((k) => k.key)).toEqual(expect.arrayContaining(['feed:today', 'feed:tomorrow']));
    expect(keys.every((k) => k.est_qps >= 0.001)).toBe(true);
    // A tampered body does not verify.
    expect(verifySignature({ ...finished, body: finished.body.replace('cache-a', 'cache-b') })).toBe(false);
  });

  it('posts finding.big_key for a big key task that listed keys', async () => {
    const receiver = await receiverOn();
    const { harness, instanceId } = await keyheatWith(receiver);
    await runTask(harness, instanceId, 'big');
    const big = await eventually(() => receiver.of('finding.big_key')[0]);
    expect(big.json).toMatchObject({ task: { kind: 'big' }, thresholds: { string_bytes: 10_240, collection_count: 5000 }, keys_above: 1, keys: [{ key: 'big:list', type: 'list', size: 6000, unit: 'count', db: 0 }] });
  });

  it('posts task.failed with the reason when an analysis fails', async () => {
    const receiver = await receiverOn();
    const gate = gatedAnalysis();
    const doomed = await startRedis();
    const harness = await startHarness({ config: { notifications: { webhooks: [{ url: receiver.url, secret: SECRET, events: ['task.failed'] }] } }, overrides: { analyze: gate.analyze } });
    harnesses.push(harness);
    const instanceId = await harness.registerInstance(doomed.url, 'doomed');
    const created = await harness.createTask(instanceId);
    await gate.started;
    await doomed.stop();
    gate.open();
    const failed = await eventually(() => receiver.of('task.failed')[0]);
    expect(failed.json).toMatchObject({ event: 'task.failed', instance: { id: instanceId, name: 'doomed' }, task: { id: created.body['id'], status: 'failed', error_msg: expect.stringMatching(/./) } });
    expect(receiver.received).toHaveLength(1);
  });

  it('retries while the receiver is down, and delivers once it is up', async () => {
    const port = await freePort();
    const { harness, instanceId } = await keyheatWith({ url: `http://127.0.0.1:${port}/hook` });
    await runTask(harness, instanceId);
    await new Promise((r) => setTimeout(r, 2500));
    const receiver = await receiverOn(port);
    const delivered = await eventually(() => receiver.of('task.finished')[0], 20_000);
    expect(verifySignature(delivered)).toBe(true);
    const metrics = await scrape(harness, { authorization: 'Bearer metrics-token-0123456789abcdef' });
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'retried' })).toBeGreaterThanOrEqual(1);
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'delivered' })).toBe(1);
  });

  it('retries after 500 until the receiver accepts; does not retry a 400', async () => {
    const flaky = await receiverOn();
    flaky.answer = (n) => (n <= 2 ? 500 : 200);
    const refusing = await receiverOn();
    refusing.answer = () => 400;
    const harness = await startHarness({
      config: {
        notifications: {
          webhooks: [
            { url: flaky.url, secret: SECRET, events: ['task.finished'] },
            { url: refusing.url, secret: SECRET, events: ['task.finished'] },
          ],
        },
        metrics: { token: 'metrics-token-0123456789abcdef' },
      },
    });
    harnesses.push(harness);
    const instanceId = await harness.registerInstance(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`);
    await runTask(harness, instanceId);
    await eventually(() => (flaky.received.length >= 3 ? true : undefined), 20_000);
    // The same delivery three times: same id, each attempt signed anew.
    expect(new Set(flaky.received.map((r) => r.json['id'])).size).toBe(1);
    expect(flaky.received[1]!.at - flaky.received[0]!.at).toBeGreaterThanOrEqual(700);
    await new Promise((r) => setTimeout(r, 1500));
    expect(refusing.received).toHaveLength(1);
    const metrics = await scrape(harness, { authorization: 'Bearer metrics-token-0123456789abcdef' });
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'retried' })).toBe(2);
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'delivered' })).toBe(1);
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'failed' })).toBe(1);
  });

  it('keeps the API and the analyses at their pace while a receiver hangs, and gives up after retry_for_ms', async () => {
    const hanging = await receiverOn();
    hanging.answer = () => 'hang';
    const { harness, instanceId } = await keyheatWith(hanging, { timeout_ms: 300, retry_for_ms: 1500 });
    const started = performance.now();
    for (let i = 0; i < 3; i++) await runTask(harness, instanceId);
    const tasksMs = performance.now() - started;
    const health = performance.now();
    expect((await harness.keyheat.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(performance.now() - health).toBeLessThan(100);
    // Three analyses of 200 keys, whatever the receiver does.
    expect(tasksMs).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 3000));
    const metrics = await scrape(harness, { authorization: 'Bearer metrics-token-0123456789abcdef' });
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'failed' })).toBe(3);
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'delivered' })).toBe(0);
    expect(value(metrics, 'keyheat_webhook_queue')).toBe(0);
  });

  it('keeps at most notifications.queue_max deliveries waiting, dropping the oldest', async () => {
    const port = await freePort();
    const { harness, instanceId } = await keyheatWith({ url: `http://127.0.0.1:${port}/down` }, { queue_max: 2 });
    for (let i = 0; i < 3; i++) await runTask(harness, instanceId);
    const metrics = await scrape(harness, { authorization: 'Bearer metrics-token-0123456789abcdef' });
    // 3 tasks x 2 events (task.finished, finding.hot_key) = 6 deliveries; a few in flight, 2 waiting at most.
    expect(value(metrics, 'keyheat_webhook_queue')).toBeLessThanOrEqual(2);
    const dropped = ['task.finished', 'finding.hot_key'].reduce((sum, event) => sum + value(metrics, 'keyheat_webhook_deliveries_total', { event, outcome: 'dropped' }), 0);
    expect(dropped).toBeGreaterThanOrEqual(1);
  });

  it('never posts to a receiver outside network.allow', async () => {
    // 127.0.0.2 is loopback too, but outside the allowed 127.0.0.1/32.
    const outside = await receiverOn(undefined, '127.0.0.2');
    const { harness, instanceId } = await keyheatWith(outside, {}, { network: { allow: ['127.0.0.1/32'] } });
    await runTask(harness, instanceId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(outside.received).toHaveLength(0);
    const metrics = await scrape(harness, { authorization: 'Bearer metrics-token-0123456789abcdef' });
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'failed' })).toBe(1);
    expect(value(metrics, 'keyheat_webhook_deliveries_total', { event: 'task.finished', outcome: 'retried' })).toBe(0);
  });
});
