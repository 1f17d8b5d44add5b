/**
 * The daily automatic analysis of one task family (hot keys or big keys, each with its own
 * schedule): on/off and UTC times, each with the browser's local time beside it. The two
 * editors share a page, so every control's accessible name says which schedule it is part of.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { localTimeOf, when } from '../format';
import { kindPaths } from '../task-kinds';
import { useLoad } from '../use-load';
import type { Autoscan, TaskKind } from '../wire';

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

interface Labels {
  readonly title: string;
  readonly enable: string;
  readonly time: (n: number) => string;
  readonly remove: (n: number) => string;
  readonly add: string;
  readonly save: string;
}

const LABELS: Readonly<Record<TaskKind, Labels>> = {
  hot: {
    title: 'Daily analysis',
    enable: 'Run automatically every day',
    time: (n) => `Time ${n} (UTC)`,
    remove: (n) => `Remove time ${n}`,
    add: 'Add a time',
    save: 'Save schedule',
  },
  big: {
    title: 'Daily big key analysis',
    enable: 'Scan for big keys every day',
    time: (n) => `Big key scan ${n} (UTC)`,
    remove: (n) => `Remove big key scan ${n}`,
    add: 'Add a big key scan',
    save: 'Save big key schedule',
  },
};

export function AutoscanEditor(props: { readonly session: Session; readonly instanceId: string; readonly kind: TaskKind }) {
  const { session, instanceId, kind } = props;
  const path = kindPaths(kind, instanceId).autoscan;
  const labels = LABELS[kind];
  const titleId = `autoscan-${kind}-title`;
  const current = useLoad(() => api<Autoscan>(session, 'GET', path), [session, path]);
  const [enabled, setEnabled] = useState(false);
  const [times, setTimes] = useState<string[]>([]);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  useEffect(() => {
    if (current.value === null) return;
    setEnabled(current.value.enable_auto_scan);
    setTimes(current.value.schedule_at);
  }, [current.value]);

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    const bad = times.find((t) => !TIME.test(t));
    if (bad !== undefined) {
      setMessage({ text: `"${bad}" is not a time of day (HH:mm, UTC).`, error: true });
      return;
    }
    try {
      const saved = await api<Autoscan>(session, 'PUT', path, { enable_auto_scan: enabled, schedule_at: [...new Set(times)].sort() });
      setTimes(saved.schedule_at);
      setMessage({ text: `Saved: ${saved.enable_auto_scan ? `daily at ${saved.schedule_at.join(', ')} UTC` : 'off'}.`, error: false });
    } catch (failure) {
      setMessage({ text: messageOf(failure), error: true });
    }
  };

  const readOnly = session.readOnly;
  return (
    <form class="panel" aria-labelledby={titleId} onSubmit={(e) => void save(e)}>
      <h2 id={titleId}>{labels.title}</h2>
      {current.error !== null ? <p class="error" role="alert">{current.error}</p> : null}
      <label class="inline">
        <input type="checkbox" checked={enabled} disabled={readOnly} onChange={(e) => setEnabled(e.currentTarget.checked)} /> {labels.enable}
      </label>
      <ul class="times">
        {times.map((t, i) => (
          <li key={i}>
            <label>
              {labels.time(i + 1)}
              <input type="time" value={t} disabled={readOnly} required onInput={(e) => setTimes(times.map((x, j) => (j === i ? e.currentTarget.value : x)))} />
            </label>
            <span class="sub">{localTimeOf(t) === '' ? '' : `${localTimeOf(t)} your time`}</span>
            {readOnly ? null : (
              <button type="button" class="small" onClick={() => setTimes(times.filter((_, j) => j !== i))} aria-label={labels.remove(i + 1)}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {readOnly ? null : (
        <div class="actions">
          <button type="button" onClick={() => setTimes([...times, '03:00'])}>
            {labels.add}
          </button>
          <button type="submit">{labels.save}</button>
        </div>
      )}
      {current.value?.updated_at !== undefined ? <p class="sub">Last changed {when(current.value.updated_at)}.</p> : null}
      {message !== null ? (
        <p class={message.error ? 'error' : ''} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      ) : null}
    </form>
  );
}
