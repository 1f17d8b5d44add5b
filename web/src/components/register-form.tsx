/** Registers a Redis: name, URL and password. The API's DCS error is shown next to the form. */
import { useRef, useState } from 'preact/hooks';
import { api, messageOf, type Session } from '../api';
import type { Instance } from '../wire';

export function RegisterForm(props: { readonly session: Session; readonly onDone: (name: string | null) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const data = new FormData(form.current ?? undefined);
    const name = String(data.get('name') ?? '').trim();
    const url = String(data.get('url') ?? '').trim();
    const password = String(data.get('password') ?? '');
    setBusy(true);
    setError(null);
    try {
      const created = await api<Instance>(props.session, 'POST', '/instances', { name, url, ...(password === '' ? {} : { password }) });
      props.onDone(created.name);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} class="panel" aria-labelledby="register-title" onSubmit={(e) => void submit(e)}>
      <h2 id="register-title">Register a Redis</h2>
      <label>
        Name
        <input name="name" required maxLength={255} autocomplete="off" />
      </label>
      <label>
        Redis URL
        <input name="url" required placeholder="redis://10.0.0.5:6379" spellcheck={false} autocomplete="off" aria-describedby="url-hint" />
      </label>
      <p id="url-hint" class="hint">
        Any node of a cluster will do: keyheat finds the others. <code>rediss://</code> for TLS.
      </p>
      <label>
        Password
        <input name="password" type="password" autocomplete="new-password" />
      </label>
      {error !== null ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Register
        </button>
        <button type="button" onClick={() => props.onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
