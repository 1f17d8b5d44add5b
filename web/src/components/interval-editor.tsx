/**
 * The automatic expired key scan (DCS's scan-expire-keys/autoscan-config): on/off, the first run
 * in UTC (the browser's local time beside it), then every `interval` seconds, each run failing
 * after `timeout` seconds, SCAN pages of `scan_keys_count` keys. The service checks the values
 * as DCS does and its refusal (DCS.4819-4822) is shown as it says it, on the field it is about:
 * the form does not second-guess the ranges, so what a DCS client would be told, the page tells.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf, type Session } from '../api';
import { ttl, when } from '../format';
import type { IntervalLabels } from '../task-kinds';
import { useLoad } from '../use-load';
import type { ExpireAutoscan, ExpireAutoscanInput } from '../wire';

type Field = 'first' | 'interval' | 'timeout' | 'count';

/** The field each of DCS's refusals is about. */
const FIELD_OF: Readonly<Record<string, Field>> = { 'DCS.4819': 'first', 'DCS.4820': 'interval', 'DCS.4821': 'timeout', 'DCS.4822': 'count' };

/** An ISO UTC time as a datetime-local value read as UTC ("2026-12-08T02:00:00"), or '' if it is not a time. */
function inputOf(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '' : new Date(time).toISOString().slice(0, 19);
}

/** A datetime-local value read as UTC, as the API wants it ("2026-12-08T02:00:00Z"), or null. */
function isoOf(value: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(\.\d+)?$/.exec(value);
  if (match === null) return null;
  const iso = `${match[1]}${match[2] ?? ':00'}Z`;
  return Number.isNaN(Date.parse(iso)) ? null : iso;
}

/** The next whole hour, UTC: a first run the service accepts, offered while the schedule is off and its stored first run has passed. */
function nextHour(): string {
  const date = new Date(Date.now() + 3_600_000);
  date.setUTCMinutes(0, 0, 0);
  return date.toISOString().slice(0, 19);
}

const localOf = (value: string): string => {
  const iso = isoOf(value);
  return iso === null ? '' : new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
};

const wholeNumber = (text: string): number | null => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : null);

export function IntervalEditor(props: { readonly session: Session; readonly path: string; readonly labels: IntervalLabels; readonly titleId: string; readonly level: 2 | 3 }) {
  const { session, path, labels, titleId } = props;
  const Heading = props.level === 2 ? 'h2' : 'h3';
  const readOnly = session.readOnly;
  const current = useLoad(() => api<ExpireAutoscan>(session, 'GET', path), [session, path]);
  const [enabled, setEnabled] = useState(false);
  const [first, setFirst] = useState('');
  const [interval, setIntervalText] = useState('');
  const [timeout, setTimeoutText] = useState('');
  const [count, setCount] = useState('');
  const [message, setMessage] = useState<{ text: string; error: boolean; field: Field | null } | null>(null);

  useEffect(() => {
    const c = current.value;
    if (c === null) return;
    setEnabled(c.enable_auto_scan);
    const stored = inputOf(c.first_scan_at);
    const passed = Date.parse(c.first_scan_at) <= Date.now();
    setFirst(!readOnly && !c.enable_auto_scan && (stored === '' || passed) ? nextHour() : stored);
    setIntervalText(String(c.interval));
    setTimeoutText(String(c.timeout));
    setCount(String(c.scan_keys_count));
  }, [current.value, readOnly]);

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    const firstScanAt = isoOf(first);
    if (firstScanAt === null) {
      setMessage({ text: 'The first scan needs a date and a time (UTC).', error: true, field: 'first' });
      return;
    }
    const numbers: [Field, string, string][] = [
      ['interval', interval, 'The interval'],
      ['timeout', timeout, 'The timeout'],
      ['count', count, 'The keys per SCAN page'],
    ];
    for (const [field, text, name] of numbers) {
      if (wholeNumber(text) === null) {
        setMessage({ text: `${name} is a whole number.`, error: true, field });
        return;
      }
    }
    const body: ExpireAutoscanInput = {
      enable_auto_scan: enabled,
      first_scan_at: firstScanAt,
      interval: Number(interval),
      timeout: Number(timeout),
      scan_keys_count: Number(count),
    };
    try {
      const saved = await api<ExpireAutoscan>(session, 'PUT', path, body);
      setFirst(inputOf(saved.first_scan_at));
      const runs = saved.interval === 0 ? `once, at ${inputOf(saved.first_scan_at).replace('T', ' ')} UTC` : `from ${inputOf(saved.first_scan_at).replace('T', ' ')} UTC, every ${ttl(saved.interval)}`;
      setMessage({ text: `Saved: ${saved.enable_auto_scan ? `${runs}, ${saved.scan_keys_count} keys per SCAN page` : 'off'}.`, error: false, field: null });
    } catch (failure) {
      setMessage({ text: messageOf(failure), error: true, field: failure instanceof ApiError && failure.code !== null ? (FIELD_OF[failure.code] ?? null) : null });
    }
  };

  const messageId = `${titleId}-message`;
  const seconds = (text: string): string => {
    const n = wholeNumber(text);
    return n === null || n <= 0 ? '' : ttl(n);
  };
  const fields: readonly { field: Field; label: string; value: string; set: (v: string) => void; hint: string }[] = [
    { field: 'first', label: 'First scan (UTC)', value: first, set: setFirst, hint: localOf(first) === '' ? '' : `${localOf(first)} your time` },
    {
      field: 'interval',
      label: 'Interval (seconds)',
      value: interval,
      set: setIntervalText,
      hint: wholeNumber(interval) === 0 ? 'the first scan only' : seconds(interval) === '' ? '' : `every ${seconds(interval)}`,
    },
    { field: 'timeout', label: 'Timeout (seconds)', value: timeout, set: setTimeoutText, hint: `${seconds(timeout) === '' ? '' : `${seconds(timeout)}; `}at least twice the interval` },
    { field: 'count', label: 'Keys per SCAN page', value: count, set: setCount, hint: 'scan_keys_count, 10 to 1000' },
  ];

  return (
    <form class="panel" aria-labelledby={titleId} onSubmit={(e) => void save(e)} noValidate>
      <Heading id={titleId}>{labels.title}</Heading>
      {current.error !== null ? <p class="error" role="alert">{current.error}</p> : null}
      <label class="inline">
        <input type="checkbox" checked={enabled} disabled={readOnly} onChange={(e) => setEnabled(e.currentTarget.checked)} /> {labels.enable}
      </label>
      <div class="fields">
        {fields.map((f) => {
          const inputId = `${titleId}-${f.field}`;
          const hintId = `${inputId}-hint`;
          // A field the last refusal was about is marked invalid and described by it.
          const refused = message?.field === f.field;
          return (
            <div key={f.field} class="field">
              <label for={inputId}>{f.label}</label>
              <input
                id={inputId}
                type={f.field === 'first' ? 'datetime-local' : 'number'}
                step={1}
                value={f.value}
                disabled={readOnly}
                required
                onInput={(e) => f.set(e.currentTarget.value)}
                aria-invalid={refused ? true : undefined}
                aria-describedby={refused ? `${messageId} ${hintId}` : hintId}
              />
              <span id={hintId} class="sub">
                {f.hint}
              </span>
            </div>
          );
        })}
      </div>
      {readOnly ? null : (
        <div class="actions">
          <button type="submit">{labels.save}</button>
        </div>
      )}
      {current.value !== null ? <p class="sub">Last changed {when(current.value.updated_at)}.</p> : null}
      {message !== null ? (
        <p id={messageId} class={message.error ? 'error' : ''} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      ) : null}
    </form>
  );
}
