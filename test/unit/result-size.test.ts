import { describe, expect, it } from 'vitest';
import { RESULT_TRIMMED, fitOutcome, jsonBytes } from '../../src/domain/result-size.js';
import type { TaskOutcome } from '../../src/domain/task.js';

const items = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}:${i}`, pad: 'x'.repeat(100) }));

/** One outcome of each kind, its lists 1,000 items long (only what fitOutcome reads and keeps matters here). */
const outcomes: Record<string, TaskOutcome> = {
  hot: {
    keys: items(1000, 'hot'),
    stats: { nodes: items(1000, 'node') },
    insights: { advice: [], trend: { new: items(1000, 'new'), gone: items(1000, 'gone') }, shards: items(1000, 'shard') },
  } as unknown as TaskOutcome,
  big: { kind: 'big', result: { keys: items(1000, 'big'), stats: { nodes: items(1000, 'node') }, advice: [] } } as unknown as TaskOutcome,
  expire: { kind: 'expire', result: { num: 7, ttl: { namespaces: items(1000, 'ns'), databases: items(1000, 'db') }, nodes: items(1000, 'node') } } as unknown as TaskOutcome,
  offline: {
    kind: 'offline',
    result: { report: { largestKeys: items(1000, 'largest'), largestKeyPrefixes: items(1000, 'prefix') }, hot: null, snapshot: { nodes: items(1000, 'node') } },
  } as unknown as TaskOutcome,
};

/** The note a cut outcome carries about itself. */
function noteOf(outcome: TaskOutcome): string | undefined {
  switch (outcome.kind) {
    case 'big':
      return outcome.result.advice.find((a) => a.code === RESULT_TRIMMED)?.message;
    case 'expire':
    case 'offline':
      return outcome.result.trimmed;
    default:
      return outcome.insights?.advice.find((a) => a.code === RESULT_TRIMMED)?.message;
  }
}

describe('fitOutcome: a result over retention.max_result_bytes keeps the head of each list and says what it left out', () => {
  for (const [kind, outcome] of Object.entries(outcomes)) {
    it(`${kind}`, () => {
      const max = 64 * 1024;
      expect(jsonBytes(outcome)).toBeGreaterThan(max);
      const fitted = fitOutcome(outcome, max);
      expect(jsonBytes(fitted)).toBeLessThanOrEqual(max);
      expect(fitted.kind).toBe(outcome.kind);
      expect(noteOf(fitted)).toMatch(/more than retention\.max_result_bytes \(65,536\): .*of 1000 .* were left out/);
      // Every list keeps its head, in order, cut to about the same share.
      const json = JSON.stringify(fitted);
      for (const head of kind === 'hot' ? ['hot:0', 'new:0', 'gone:0', 'shard:0', 'node:0'] : kind === 'big' ? ['big:0', 'node:0'] : kind === 'expire' ? ['ns:0', 'db:0', 'node:0'] : ['largest:0', 'prefix:0', 'node:0']) {
        expect(json).toContain(`"${head}"`);
      }
      expect(json).not.toContain(':999"');
    });
  }

  it('leaves a result within the bound untouched', () => {
    for (const outcome of Object.values(outcomes)) expect(fitOutcome(outcome, 10 * 1024 * 1024)).toBe(outcome);
  });
});
