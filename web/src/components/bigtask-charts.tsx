/**
 * The namespaces of a big key task by size (or by memory, when the task read MEMORY USAGE), as a
 * chart with the same numbers in words beside it, like the hot key charts (task-charts.tsx).
 */
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { percent } from '../format';
import type { BigTask } from '../wire';
import { Chart, PALETTE } from './chart';

const TOP = 15;

export function BigTaskCharts(props: { readonly task: BigTask }) {
  const { task } = props;
  const [open, setOpen] = useState(true);
  const chart = useMemo(() => namespacesChart(task), [task]);
  if (chart === null) return null;
  return (
    <section aria-labelledby="bigcharts-title">
      <div class="heading">
        <h2 id="bigcharts-title">Charts</h2>
        <button type="button" aria-expanded={open} aria-controls="bigcharts" onClick={() => setOpen(!open)}>
          {open ? 'Hide charts' : 'Show charts'}
        </button>
      </div>
      {open ? (
        <div id="bigcharts" class="charts">
          <figure>
            <figcaption>{chart.title}</figcaption>
            <Chart label={chart.title} config={chart.config} height={chart.height} />
            <p class="sub">{chart.text}</p>
          </figure>
        </div>
      ) : null}
    </section>
  );
}

function namespacesChart(task: BigTask): { title: string; text: string; height: number; config: ChartConfiguration } | null {
  const prefixes = (task.prefixes ?? []).slice(0, TOP);
  if (prefixes.length === 0) return null;
  const by = task.prefixes_by === 'memory' ? 'memory' : 'size';
  const parts = prefixes.map((p) => ({ label: p.prefix === '' ? '(none)' : p.prefix, share: p.share, keys: p.keys }));
  return {
    title: `Namespaces by ${by}`,
    text: parts.slice(0, 5).map((p) => `${p.label} ${percent(p.share)} (${p.keys.toLocaleString()} ${p.keys === 1 ? 'key' : 'keys'})`).join(', '),
    height: Math.max(200, parts.length * 26),
    config: {
      type: 'bar',
      data: {
        labels: parts.map((p) => (p.label.length > 40 ? `${p.label.slice(0, 39)}…` : p.label)),
        datasets: [{ label: `share of the ${by}`, data: parts.map((p) => Math.round(p.share * 1000) / 10), backgroundColor: parts.map((_, i) => PALETTE[i % PALETTE.length]) }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => `${String(item.raw)}% of the ${by}` } } },
        scales: { x: { ticks: { callback: (v) => `${String(v)}%` } } },
      },
    },
  };
}
