/**
 * Delivers webhook events (domain/webhook-events.ts): a JSON POST per event and webhook that
 * asked for it, signed with the webhook's secret, retried with backoff for a bounded time.
 *
 * - Never slows an analysis or the API: the runner's report is synchronous and only queues;
 *   deliveries run in the background, DELIVERY_CONCURRENCY at a time.
 * - Bounded: at most `queueMax` deliveries wait (events of 20 keys at most, ~10 KB each); when
 *   full, the oldest is dropped (counted and logged). A receiver down for hours costs that much.
 * - Retried on a connection failure, a timeout, 408, 429 and 5xx, after 1 s, 2 s, 4 s... (at
 *   most 5 min apart, with jitter) until `retryForMs` after the first attempt; another 4xx is the
 *   receiver's refusal and is not retried. Failures are metrics and log lines, never task failures.
 * - Only where network.allow permits, as Redis targets: the URL's host is resolved and checked,
 *   and the request goes to exactly the address that was checked (TLS still verifies the name).
 * - Signed: `X-Keyheat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 *   made at each attempt, so a receiver can refuse a replay older than a few minutes.
 *
 * In memory, per process: a delivery still queued when the process stops is lost (logged).
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Telemetry } from '../domain/telemetry.js';
import { failureEvent, successEvents, type FinishedTask, type TaskEvents, type WebhookEvent, type WebhookEventType } from '../domain/webhook-events.js';
import type { TaskOutcome } from '../domain/task.js';
import type { NetworkPolicy } from '../redis/network-policy.js';

export interface Webhook {
  readonly url: string;
  readonly secret: string;
  readonly events: readonly WebhookEventType[];
}

export interface WebhookSettings {
  readonly webhooks: readonly Webhook[];
  /** finding.hot_key: keys estimated at this many reads a second or more. */
  readonly hotKeyQps: number;
  /** One attempt, connection to last byte. */
  readonly timeoutMs: number;
  /** How long after its first attempt a delivery is still retried. */
  readonly retryForMs: number;
  /** Deliveries waiting at most (the oldest is dropped past it). */
  readonly queueMax: number;
}

/** Deliveries in flight at once, over all webhooks. */
export const DELIVERY_CONCURRENCY = 4;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_GAP_MS = 300_000;
/** Bytes of a receiver's answer read at most (it is discarded; an error body is logged in part). */
const MAX_ANSWER_BYTES = 4096;

interface Delivery {
  readonly id: string;
  readonly webhook: Webhook;
  readonly type: WebhookEventType;
  readonly body: string;
  readonly firstAt: number;
  attempts: number;
  nextAt: number;
}

type Attempt = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly reason: string };

export class WebhookSender implements TaskEvents {
  private readonly queue: Delivery[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly policy: NetworkPolicy,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  taskSucceeded(finished: FinishedTask, outcome: TaskOutcome): void {
    this.guarded(finished, () => {
      for (const event of successEvents(finished, outcome, finished.task.num, this.settings.hotKeyQps)) this.enqueue(event);
    });
  }

  taskFailed(finished: FinishedTask, reason: string): void {
    this.guarded(finished, () => this.enqueue(failureEvent(finished, reason)));
  }

  /** A report never fails the runner's bookkeeping: a fault here is logged, the task stays as stored. */
  private guarded(finished: FinishedTask, report: () => void): void {
    try {
      report();
    } catch (error) {
      this.logger.error({ err: error, task_id: finished.task.id }, 'webhooks: the events of a finished task could not be queued');
    }
  }

  /** Deliveries waiting or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Stops delivering; what is still queued is dropped (and logged). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.queue.length > 0) this.logger.warn({ deliveries: this.queue.length }, 'webhooks: keyheat stops with deliveries still queued; they are dropped');
    for (const delivery of this.queue.splice(0)) this.telemetry.webhookDelivery(delivery.type, 'dropped');
    this.telemetry.webhookQueue(0);
  }

  private enqueue(event: WebhookEvent): void {
    if (this.closed) return;
    for (const webhook of this.settings.webhooks) {
      if (!webhook.events.includes(event.type)) continue;
      const id = randomUUID();
      const at = this.now();
      this.admit({ id, webhook, type: event.type, body: JSON.stringify({ id, ...event.body }), firstAt: at, attempts: 0, nextAt: at });
    }
    this.pump();
  }

  /** Queues a delivery (new, or to retry), dropping the oldest waiting past queueMax. */
  private admit(delivery: Delivery): void {
    this.queue.push(delivery);
    while (this.queue.length > this.settings.queueMax) {
      const dropped = this.queue.shift() as Delivery;
      this.telemetry.webhookDelivery(dropped.type, 'dropped');
      this.logger.warn({ event: dropped.type, delivery: dropped.id, url: redactedUrl(dropped.webhook.url), queue_max: this.settings.queueMax }, 'webhooks: queue full; the oldest delivery is dropped');
    }
    this.telemetry.webhookQueue(this.queue.length);
  }

  /** Starts the deliveries that are due, and sets a timer for the next one. */
  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    while (this.inFlight < DELIVERY_CONCURRENCY) {
      const index = this.queue.findIndex((d) => d.nextAt <= now);
      if (index === -1) break;
      const [delivery] = this.queue.splice(index, 1) as [Delivery];
      this.inFlight += 1;
      void this.deliver(delivery).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
    this.telemetry.webhookQueue(this.queue.length);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length === 0 || this.inFlight >= DELIVERY_CONCURRENCY) return;
    const next = Math.min(...this.queue.map((d) => d.nextAt));
    this.timer = setTimeout(() => this.pump(), Math.max(0, next - now));
    this.timer.unref();
  }

  private async deliver(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    const attempt = await this.attempt(delivery);
    const log = { event: delivery.type, delivery: delivery.id, url: redactedUrl(delivery.webhook.url), attempt: delivery.attempts };
    if (attempt.ok) {
      this.telemetry.webhookDelivery(delivery.type, 'delivered');
      this.logger.debug(log, 'webhooks: delivered');
      return;
    }
    const gap = Math.min(MAX_RETRY_GAP_MS, FIRST_RETRY_MS * 2 ** (delivery.attempts - 1)) * (0.8 + Math.random() * 0.4);
    const nextAt = this.now() + gap;
    if (!attempt.retry || nextAt - delivery.firstAt > this.settings.retryForMs || this.closed) {
      this.telemetry.webhookDelivery(delivery.type, 'failed');
      this.logger.warn({ ...log, reason: attempt.reason }, attempt.retry ? 'webhooks: delivery failed; retries exhausted' : 'webhooks: delivery refused by the receiver; not retried');
      return;
    }
    this.telemetry.webhookDelivery(delivery.type, 'retried');
    this.logger.info({ ...log, reason: attempt.reason, retry_in_ms: Math.round(gap) }, 'webhooks: delivery failed; will retry');
    delivery.nextAt = nextAt;
    this.admit(delivery);
  }

  private async attempt(delivery: Delivery): Promise<Attempt> {
    const url = new URL(delivery.webhook.url);
    let address: string;
    try {
      address = await this.policy.resolve(url.hostname.replace(/^\[|\]$/g, ''), url.host);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // A name that does not resolve may resolve later; a denied address will not be allowed later.
      return { ok: false, retry: !/network\.allow|link-local/.test(reason), reason };
    }
    const seconds = Math.floor(this.now() / 1000);
    const signature = createHmac('sha256', delivery.webhook.secret).update(`${seconds}.${delivery.body}`).digest('hex');
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Attempt>((resolve) => {
      const request = client.request(
        {
          host: address,
          port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          ...(url.protocol === 'https:' && net.isIP(url.hostname) === 0 ? { servername: url.hostname } : {}),
          headers: {
            host: url.host,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(delivery.body),
            'user-agent': 'keyheat-webhook/1',
            'x-keyheat-event': delivery.type,
            'x-keyheat-delivery': delivery.id,
            'x-keyheat-signature': `t=${seconds},v1=${signature}`,
          },
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          let answer = '';
          response.on('data', (chunk: Buffer) => {
            if (answer.length < MAX_ANSWER_BYTES) answer += chunk.toString('utf8', 0, MAX_ANSWER_BYTES - answer.length);
          });
          response.on('error', () => resolve({ ok: false, retry: true, reason: `the answer (${status}) broke off` }));
          response.on('end', () => {
            if (status >= 200 && status < 300) resolve({ ok: true });
            else resolve({ ok: false, retry: status === 408 || status === 429 || status >= 500, reason: `HTTP ${status}${answer === '' ? '' : `: ${answer.replace(/\s+/g, ' ').slice(0, 200)}`}` });
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        const reason = error.name === 'AbortError' || error.name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : (error.code ?? error.message);
        resolve({ ok: false, retry: true, reason });
      });
      request.end(delivery.body);
    });
  }
}

/** A webhook URL for logs: no credentials, no query (either may hold a token). */
export function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

