/**
 * The counters (or estimated rates, when the tasks have them) of the latest task's hottest keys
 * across the instance's last successful tasks, oldest to newest.
 */
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { api, type Session } from '../api';
import { when } from '../format';
import { useLoad } from '../use-load';
import type { Task, TaskList } from '../wire';
import { Chart, PALETTE } from './chart';

const TASKS = 10;
const LINES = 5;

export function TrendChart(props: { readonly session: Session; readonly instanceId: string; readonly refresh: number }) {
  const { session, instanceId } = props;
  const base = `/instances/${encodeURIComponent(instanceId)}`;
  const tasks = useLoad(async () => {
    const list = await api<TaskList>(session, 'GET', `${base}/hotkey-tasks?limit=${TASKS}&status=success`);
    const details = await Promise.all(list.records.map((r) => api<Task>(session, 'GET', `${base}/hotkey-task/${encodeURIComponent(r.id)}`)));
    return details.reverse();
  }, [session, base, props.refresh]);
  const hasRates = (tasks.value ?? []).some((t) => (t.keys ?? []).some((k) => typeof k.est_qps === 'number'));
  const [measure, setMeasure] = useState<'freq' | 'est_qps'>('freq');
  const shown = hasRates ? measure : 'freq';

  const config = useMemo((): ChartConfiguration | null => {
    const list = tasks.value ?? [];
    const latest = list[list.length - 1];
    if (latest === undefined || list.length < 1) return null;
    const names = (latest.keys ?? []).slice(0, LINES).map((k) => `${k.db}\u0000${k.name}`);
    return {
      type: 'line',
      data: {
        labels: list.map((t) => when(t.finished_at)),
        datasets: names.map((id, i) => ({
          label: id.split('\u0000')[1] ?? id,
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          spanGaps: false,
          data: list.map((t) => {
            const key = (t.keys ?? []).find((k) => `${k.db}\u0000${k.name}` === id);
            const value = key === undefined ? null : shown === 'freq' ? key.freq : (key.est_qps ?? null);
            return value;
          }),
        })),
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: shown === 'freq' ? 'LFU counter' : 'estimated reads/s' } } } },
    };
  }, [tasks.value, shown]);

  return (
    <section aria-labelledby="trend-title">
      <div class="heading">
        <h2 id="trend-title">Trend of the hottest keys</h2>
        {hasRates ? (
          <label class="inline">
            Show
            <select value={measure} onChange={(e) => setMeasure(e.currentTarget.value as 'freq' | 'est_qps')}>
              <option value="freq">counter</option>
              <option value="est_qps">estimated rate</option>
            </select>
          </label>
        ) : null}
      </div>
      {tasks.error !== null ? <p class="error" role="alert">{tasks.error}</p> : null}
      {config === null ? (
        <p>{tasks.loading ? 'Loading…' : 'No successful analysis yet.'}</p>
      ) : (
        <Chart label={`The ${shown === 'freq' ? 'LFU counters' : 'estimated rates'} of the hottest keys over the last ${tasks.value?.length ?? 0} analyses`} config={config} />
      )}
    </section>
  );
}
