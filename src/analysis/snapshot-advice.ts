/**
 * Advice on a snapshot analysis (docs/snapshots.md, docs/reading-results.md): what the forks
 * cost, a replication backlog a primary had to create, counters that are a replica's own or
 * absent, and what a saved file cannot say. Pure: from the snapshot report alone.
 */
import type { Advice } from '../domain/insights.js';
import type { SnapshotReport } from '../domain/snapshot.js';

const MIB = 1048576;

/** `counters`: hot keys were asked for, with the keys read and how many had an LFU counter; null for big keys only. */
export function snapshotAdvice(report: SnapshotReport, counters: { readonly keys: number; readonly withFreq: number } | null): Advice[] {
  const advice: Advice[] = [];
  if (counters !== null && counters.keys > 0 && counters.withFreq === 0) {
    // Redis writes FREQ only under an LFU maxmemory-policy, and only from Redis 5.0 (RDB 9).
    advice.push({
      code: 'snapshot-no-counters',
      message: 'This RDB carries no LFU counters: saved by Redis 4.0 or under a non-LFU policy, so hot keys cannot be told from it (sizes and big keys can).',
    });
  }
  if (report.source === 'file') {
    const rates = counters === null ? '' : " Rates assume Redis's default LFU settings (lfu-log-factor 10, lfu-decay-time 1): the file does not say which its server had.";
    advice.push({ code: 'snapshot-file', message: `Read from a saved RDB file: the counters and sizes are those of when the file was written.${rates}` });
    return advice;
  }
  const forks = report.nodes.filter((r) => r.forkUsec !== null);
  if (forks.length > 0) {
    const longest = forks.reduce((a, b) => ((a.forkUsec ?? 0) >= (b.forkUsec ?? 0) ? a : b));
    const bytes = report.nodes.reduce((sum, r) => sum + r.rdbBytes, 0);
    advice.push({
      code: 'snapshot-cost',
      message:
        `Each node read forked once: the longest fork blocked ${longest.node} for ${((longest.forkUsec ?? 0) / 1000).toFixed(1)} ms; ` +
        `${(bytes / MIB).toFixed(1)} MiB of RDB were read. Copy-on-write memory grows with the writes made while the child runs (docs/snapshots.md).`,
    });
  }
  for (const r of report.nodes) {
    if (r.backlogBytes === null) continue;
    advice.push({
      code: 'snapshot-backlog',
      message:
        `${r.node} had no replication backlog: the SYNC made it create one of ${(r.backlogBytes / MIB).toFixed(1)} MiB (repl-backlog-size), ` +
        'which it keeps for repl-backlog-ttl (3600 s by default) unless a replica connects.',
    });
  }
  if (counters === null) return advice;
  if (report.nodes.some((r) => r.role === 'replica')) {
    advice.push({
      code: 'snapshot-replica-counters',
      message: "Counters were read from replicas: a replica's LFU counters count the reads it served itself, not the primary's traffic. Keys read only on primaries look cold there.",
    });
  }
  return advice;
}
