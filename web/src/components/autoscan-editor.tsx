/** The daily automatic analysis: on/off and UTC times, each with the browser's local time beside it. */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import { localTimeOf, when } from '../format';
import { useLoad } from '../use-load';
import type { Autoscan } from '../wire';

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export function AutoscanEditor(props: { readonly session: Session; readonly instanceId: string }) {
  const { session, instanceId } = props;
  const path = `/instances/${encodeURIComponent(instanceId)}/hotkey/autoscan`;
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
    <form class="panel" aria-labelledby="autoscan-title" onSubmit={(e) => void save(e)}>
      <h2 id="autoscan-title">Daily analysis</h2>
      {current.error !== null ? <p class="error" role="alert">{current.error}</p> : null}
      <label class="inline">
        <input type="checkbox" checked={enabled} disabled={readOnly} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Run automatically every day
      </label>
      <ul class="times">
        {times.map((t, i) => (
          <li key={i}>
            <label>
              Time {i + 1} (UTC)
              <input type="time" value={t} disabled={readOnly} required onInput={(e) => setTimes(times.map((x, j) => (j === i ? e.currentTarget.value : x)))} />
            </label>
            <span class="sub">{localTimeOf(t) === '' ? '' : `${localTimeOf(t)} your time`}</span>
            {readOnly ? null : (
              <button type="button" class="small" onClick={() => setTimes(times.filter((_, j) => j !== i))} aria-label={`Remove time ${i + 1}`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {readOnly ? null : (
        <div class="actions">
          <button type="button" onClick={() => setTimes([...times, '03:00'])}>
            Add a time
          </button>
          <button type="submit">Save schedule</button>
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
