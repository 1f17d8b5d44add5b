/** The top keys, the namespaces and the shards or databases of a task, as charts. */
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { percent } from '../format';
import type { Task } from '../wire';
import { Chart, PALETTE } from './chart';

const TOP = 15;

export function TaskCharts(props: { readonly task: Task }) {
  const { task } = props;
  const [open, setOpen] = useState(true);
  const charts = useMemo(() => chartsOf(task), [task]);
  return (
    <section aria-labelledby="charts-title">
      <div class="heading">
        <h2 id="charts-title">Charts</h2>
        <button type="button" aria-expanded={open} aria-controls="charts" onClick={() => setOpen(!open)}>
          {open ? 'Hide charts' : 'Show charts'}
        </button>
      </div>
      {open ? (
        <div id="charts" class="charts">
          {charts.map((c) => (
            <figure key={c.title}>
              <figcaption>{c.title}</figcaption>
              <Chart label={c.title} config={c.config} height={c.height} />
              <p class="sub">{c.text}</p>
            </figure>
          ))}
        </div>
      ) : null}
    </section>
  );
}

interface ChartSpec {
  readonly title: string;
  readonly text: string;
  readonly config: ChartConfiguration;
  readonly height: number;
}

function chartsOf(task: Task): ChartSpec[] {
  const specs: ChartSpec[] = [];
  const keys = (task.keys ?? []).slice(0, TOP);
  if (keys.length > 0) {
    const rates = keys.every((k) => typeof k.est_qps === 'number');
    specs.push({
      title: `Top ${keys.length} keys by ${rates ? 'estimated reads/s' : 'LFU counter'}`,
      text: keys.slice(0, 3).map((k) => `${k.name}: ${rates ? `${k.est_qps}/s` : k.freq}`).join(', '),
      height: Math.max(200, keys.length * 22),
      config: {
        type: 'bar',
        data: {
          labels: keys.map((k) => (k.name.length > 40 ? `${k.name.slice(0, 39)}…` : k.name)),
          datasets: [{ label: rates ? 'estimated reads/s' : 'LFU counter', data: keys.map((k) => (rates ? (k.est_qps ?? 0) : k.freq)), backgroundColor: keys.map((k) => (k.saturated === true ? PALETTE[6] : PALETTE[0])) }],
        },
        options: { indexAxis: 'y', plugins: { legend: { display: false } } },
      },
    });
  }
  const prefixes = task.prefixes ?? [];
  if (prefixes.length > 0) specs.push(shareChart('Namespaces by share of the estimated reads', prefixes.map((p) => ({ label: p.prefix === '' ? '(none)' : p.prefix, share: p.share }))));
  const groups = task.shards !== undefined ? task.shards.map((s) => ({ label: s.shard, share: s.share })) : (task.databases ?? []).map((d) => ({ label: `db${d.db}`, share: d.share }));
  if (groups.length > 0) specs.push(shareChart(task.shards !== undefined ? 'Shards by share of the estimated reads' : 'Databases by share of the estimated reads', groups));
  return specs;
}

function shareChart(title: string, parts: readonly { label: string; share: number }[]): ChartSpec {
  return {
    title,
    text: parts.slice(0, 5).map((p) => `${p.label} ${percent(p.share)}`).join(', '),
    height: 260,
    config: {
      type: 'doughnut',
      data: { labels: parts.map((p) => p.label), datasets: [{ data: parts.map((p) => Math.round(p.share * 1000) / 10), backgroundColor: parts.map((_, i) => PALETTE[i % PALETTE.length]) }] },
      options: { plugins: { legend: { position: 'right' }, tooltip: { callbacks: { label: (item) => `${item.label}: ${String(item.raw)}%` } } } },
    },
  };
}
