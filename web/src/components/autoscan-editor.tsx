/**
 * The automatic runs of one task family, each with its own schedule. Hot and big keys run daily
 * (DCS's autoscan): on/off and UTC times, each with the browser's local time beside it. The
 * expired key scan runs from a first time every so many seconds (interval-editor.tsx). The
 * editors share a page, so every control's accessible name says which schedule it is part of.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { localTimeOf, when } from '../format';
import { instancePath, KINDS, type DailyLabels } from '../task-kinds';
import { useLoad } from '../use-load';
import type { Autoscan, TaskKind } from '../wire';
import { IntervalEditor } from './interval-editor';

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The schedule of a family, as its row in task-kinds.ts has it: daily times, an interval, or none. */
export function AutoscanEditor(props: { readonly session: Session; readonly instanceId: string; readonly kind: TaskKind; readonly level?: 2 | 3 }) {
  const schedule = KINDS[props.kind].schedule;
  if (schedule === null) return null;
  const path = `${instancePath(props.instanceId)}${schedule.path}`;
  const titleId = `autoscan-${props.kind}-title`;
  return schedule.type === 'daily' ? (
    <DailyEditor session={props.session} path={path} labels={schedule.labels} titleId={titleId} level={props.level ?? 2} />
  ) : (
    <IntervalEditor session={props.session} path={path} labels={schedule.labels} titleId={titleId} level={props.level ?? 2} />
  );
}

function DailyEditor(props: { readonly session: Session; readonly path: string; readonly labels: DailyLabels; readonly titleId: string; readonly level: 2 | 3 }) {
  const { session, path, labels, titleId } = props;
  const Heading = props.level === 2 ? 'h2' : 'h3';
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
      <Heading id={titleId}>{labels.title}</Heading>
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
