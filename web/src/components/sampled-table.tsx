/**
 * The sampling phase's own ranking: keys by the rate measured with MONITOR over the window,
 * hottest first (the API's order), beside the LFU list rather than merged into it, because the
 * two answer different questions (measured commands/s now, against counters that saturate).
 * A key the LFU list lacks is marked: it was read often, but did not exist when scanned (cache
 * misses) or fell outside the LFU top keys.
 */
import { percent, perSecond } from '../format';
import type { Task } from '../wire';
import { KeyName, keyIdentity, keyTitle } from './key-name.js';

type SampledKey = NonNullable<Task['sampled']>[number];
type Sample = NonNullable<Task['sample']>;

/** One identity for a key in both lists: escaped names carry their exact bytes in base64. */
const identity = keyIdentity;

export function SampledTable(props: { readonly task: Task }) {
  const { task } = props;
  const sampled = task.sampled ?? [];
  const keys = task.keys ?? [];
  const cluster = sampled.some((k) => k.shard !== undefined);
  // Without an LFU list every key would carry the mark: it would say nothing.
  const inLfu = keys.length === 0 ? null : new Set(keys.map(identity));
  return (
    <section aria-labelledby="sampled-title">
      <h2 id="sampled-title">Measured rates (sampling)</h2>
      {task.sample !== undefined ? <Window sample={task.sample} /> : null}
      {sampled.length === 0 ? (
        <p class="notice">No command naming a key was seen during the window.</p>
      ) : (
        <div class="table-scroll">
          <table class="keys">
            <caption class="visually-hidden">Measured rates (sampling): keys by commands per second seen, hottest first</caption>
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Key</th>
                <th scope="col">DB</th>
                {cluster ? <th scope="col">Shard</th> : null}
                <th scope="col">Commands/s</th>
                <th scope="col">Share</th>
                <th scope="col">Over-count ≤</th>
              </tr>
            </thead>
            <tbody>
              {sampled.map((k, i) => (
                <SampledRow key={identity(k)} sampledKey={k} rank={i + 1} cluster={cluster} missing={inLfu !== null && !inLfu.has(identity(k))} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SampledRow(props: { readonly sampledKey: SampledKey; readonly rank: number; readonly cluster: boolean; readonly missing: boolean }) {
  const k = props.sampledKey;
  return (
    <tr>
      <td class="num">{props.rank}</td>
      <th scope="row" class="mono key-name" title={keyTitle(k)}>
        <KeyName named={k} />
        {props.missing ? (
          <span class="mark not-in-lfu" title="Not in the LFU list of this task: the key did not exist when scanned, or its counter was below the LFU top keys">
            not in LFU list
          </span>
        ) : null}
      </th>
      <td class="num">{k.db}</td>
      {props.cluster ? <td class="mono">{k.shard}</td> : null}
      <td class="num">{perSecond(k.qps)}</td>
      <td class="num">{percent(k.share)}</td>
      <td class="num" title={`At least ${perSecond(Math.max(0, k.qps - k.error))}, at most ${perSecond(k.qps)}`}>
        {k.error === 0 ? 'exact' : perSecond(k.error)}
      </td>
    </tr>
  );
}

/** What was watched, and a warning when keyheat could not keep up and ended the window early. */
function Window(props: { readonly sample: Sample }) {
  const s = props.sample;
  const seconds = s.seconds.toLocaleString(undefined, { maximumFractionDigits: 1 });
  const nodes = `${s.nodes} node${s.nodes === 1 ? '' : 's'}`;
  const rate = s.commands_per_s.toLocaleString(undefined, { maximumFractionDigits: s.commands_per_s < 10 ? 2 : 0 });
  return (
    <>
      <p class="sub">
        {seconds} s of MONITOR on {nodes}, {rate} commands/s seen ({s.commands_seen.toLocaleString()} commands). A rate may count up to{' '}
        {perSecond(s.bound)} of other keys' commands ({s.counters.toLocaleString()} counters per node): each key's true rate lies between its rate minus
        its error and its rate.
      </p>
      {s.stopped_early !== null ? (
        <p class="notice" role="alert">
          The window ended early: {s.stopped_early}. The rates cover {seconds} of the {s.requested_seconds} s asked for.
        </p>
      ) : null}
    </>
  );
}
