/**
 * A Chart.js chart, loaded on first use (its own chunk: pages without charts never fetch it).
 * The canvas has an accessible name and the data is also given as text (a figure caption and,
 * for screen readers, the same numbers the tables show).
 */
import type { Chart as ChartType, ChartConfiguration } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';

let loading: Promise<typeof ChartType> | null = null;

function loadChartJs(): Promise<typeof ChartType> {
  loading ??= import('./chart-setup').then((m) => m.Chart);
  return loading;
}

export function Chart(props: { readonly label: string; readonly config: ChartConfiguration; readonly height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let chart: ChartType | null = null;
    let cancelled = false;
    loadChartJs()
      .then((Chart) => {
        if (cancelled || canvas.current === null) return;
        chart = new Chart(canvas.current, { ...props.config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...props.config.options } });
      })
      .catch((error: unknown) => setFailed(error instanceof Error ? error.message : String(error)));
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [props.config]);
  if (failed !== null) return <p role="alert">The chart could not be drawn: {failed}</p>;
  return (
    <div class="chart" style={{ height: `${props.height ?? 260}px` }}>
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}

/** Colours that read on light and dark backgrounds. */
export const PALETTE = ['#d9480f', '#1971c2', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#e03131', '#5c7cfa', '#66a80f', '#868e96'];
