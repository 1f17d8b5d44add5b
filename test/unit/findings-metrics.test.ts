/**
 * The finding series as written at a scrape, from a source whose answers the test controls:
 * what is read from the store at each scrape (only which tasks are latest, then the findings of
 * tasks not seen before), a rename, a newer task, a task whose findings are not there yet, a
 * store that does not answer in time. The real store behind it: test/http/findings-metrics.test.ts.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Findings, FindingsSnapshot, FindingsSource } from '../../src/domain/findings.js';
import { FindingsMetrics } from '../../src/metrics/findings-metrics.js';
import { parseExposition, samples } from '../helpers/prometheus-text.js';

const hot = (freq: number): Findings => ({ kind: 'hot', keys: [{ key: 'say "hi"\\x1b', db: 0, shard: '', freq, estQps: 12.5 }], saturated: 0 });

class Source implements FindingsSource {
  snapshot: FindingsSnapshot = { instances: [{ id: 'i1', name: 'cache-a', projectId: 'p' }], latest: [{ instanceId: 'i1', kind: 'hot', taskId: 't1', finishedAt: '2026-12-01T00:00:00.000Z' }] };
  readonly stored = new Map<string, Findings | null>([['t1', hot(100)]]);
  readonly asked: string[][] = [];
  delayMs = 0;

  async latest(): Promise<FindingsSnapshot> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.snapshot;
  }

  async findings(taskIds: readonly string[]): Promise<ReadonlyMap<string, Findings | null>> {
    this.asked.push([...taskIds]);
    return new Map(taskIds.flatMap((id) => (this.stored.has(id) ? [[id, this.stored.get(id) ?? null] as const] : [])));
  }
}

function metricsOver(source: Source): { metrics: FindingsMetrics; registry: Registry } {
  const registry = new Registry();
  return { metrics: new FindingsMetrics(registry, source, { hotKeys: 10, bigKeys: 10, deadlineMs: 200 }, pino({ level: 'silent' })), registry };
}

describe('FindingsMetrics', () => {
  it('reads the findings of a task once; later scrapes read only which tasks are latest', async () => {
    const source = new Source();
    const { metrics } = metricsOver(source);
    const first = parseExposition(await metrics.render());
    expect(samples(first, 'keyheat_hot_key_freq')).toEqual([
      expect.objectContaining({ labels: { instance_id: 'i1', instance_name: 'cache-a', key: 'say "hi"\\x1b', db: '0' }, value: '100' }),
    ]);
    expect(samples(first, 'keyheat_last_success_timestamp_seconds', { kind: 'hot' })[0]?.value).toBe(String(Date.parse('2026-12-01T00:00:00Z') / 1000));
    expect(await metrics.render()).toBe(first.text);
    expect(source.asked).toEqual([['t1']]);
  });

  it('writes a renamed instance anew, and follows a newer task', async () => {
    const source = new Source();
    const { metrics } = metricsOver(source);
    await metrics.render();
    source.snapshot = { ...source.snapshot, instances: [{ id: 'i1', name: 'cache-b', projectId: 'p' }] };
    expect(samples(parseExposition(await metrics.render()), 'keyheat_hot_key_freq')[0]?.labels?.['instance_name']).toBe('cache-b');
    source.stored.set('t2', hot(7));
    source.snapshot = { ...source.snapshot, latest: [{ instanceId: 'i1', kind: 'hot', taskId: 't2', finishedAt: '2026-12-02T00:00:00.000Z' }] };
    const after = parseExposition(await metrics.render());
    expect(samples(after, 'keyheat_hot_key_freq').map((s) => s.value)).toEqual(['7']);
    expect(source.asked).toEqual([['t1'], ['t1'], ['t2']]);
  });

  it('gives a task whose findings are not stored yet its last success only, and asks again at the next scrape', async () => {
    const source = new Source();
    source.stored.delete('t1');
    const { metrics } = metricsOver(source);
    const first = parseExposition(await metrics.render());
    expect(samples(first, 'keyheat_hot_key_freq')).toEqual([]);
    expect(samples(first, 'keyheat_last_success_timestamp_seconds')).toHaveLength(1);
    source.stored.set('t1', hot(3));
    expect(samples(parseExposition(await metrics.render()), 'keyheat_hot_key_freq').map((s) => s.value)).toEqual(['3']);
  });

  it('answers without findings, and findings_up 0, when the store is late', async () => {
    const source = new Source();
    source.delayMs = 1000;
    const { metrics, registry } = metricsOver(source);
    expect(await metrics.render()).toBe('');
    expect(await registry.metrics()).toMatch(/^keyheat_findings_up 0$/m);
  });
});
