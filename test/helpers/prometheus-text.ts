/** Reading keyheat's /metrics in tests: the exposition parsed by family, samples by labels. */
import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from 'parse-prometheus-text-format';
import { expect } from 'vitest';
import type { Harness } from './keyheat-harness.js';

export type Labels = Record<string, string>;

export interface Families {
  /** The exposition as parsed: one family per metric, with its HELP and TYPE. */
  readonly byName: ReadonlyMap<string, PrometheusFamily>;
  /**
   * The same text parsed with histograms declared untyped, so that each `_count` and `_sum`
   * series keeps its labels: parse-prometheus-text-format 1.1.1 merges every label set of a
   * histogram into one (its flattenMetrics drops the labels).
   */
  readonly histogramSeries: readonly PrometheusFamily[];
  readonly text: string;
}

export function parseExposition(text: string): Families {
  return {
    byName: new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family])),
    histogramSeries: parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')),
    text,
  };
}

export async function scrape(harness: Harness, headers: Record<string, string> = {}): Promise<Families> {
  const response = await harness.keyheat.http.inject({ method: 'GET', url: '/metrics', headers });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(response.body);
}

function matches(sample: PrometheusSample, labels: Labels): boolean {
  return Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value);
}

/** The samples of `name` whose labels include `labels`; none when the family is absent. */
export function samples(families: Families, name: string, labels: Labels = {}): PrometheusSample[] {
  const family = families.byName.get(name);
  if (family === undefined) throw new Error(`no metric ${name}`);
  return family.metrics.filter((sample) => matches(sample, labels));
}

/** A counter's or gauge's value, 0 when the labelled series does not exist (yet). */
export function value(families: Families, name: string, labels: Labels = {}): number {
  return samples(families, name, labels).reduce((sum, sample) => sum + Number(sample.value), 0);
}

/** A histogram's `_count` (or, with part `sum`, its `_sum`) over the series matching `labels`. */
export function observations(families: Families, name: string, labels: Labels = {}, part: 'count' | 'sum' = 'count'): number {
  if (families.byName.get(name)?.type !== 'HISTOGRAM') throw new Error(`no histogram ${name}`);
  return families.histogramSeries
    .filter((family) => family.name === `${name}_${part}`)
    .flatMap((family) => family.metrics.filter((sample) => matches(sample, labels)))
    .reduce((sum, sample) => sum + Number(sample.value), 0);
}
