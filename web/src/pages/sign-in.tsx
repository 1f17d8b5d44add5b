/** Project ID and token, checked against the API before the session starts (kept in sessionStorage). */
import { useState } from 'preact/hooks';
import { call, messageOf, type Session } from '../api';

export function SignIn(props: { readonly notice: string | null; readonly onSignIn: (session: Session) => void }) {
  const [projectId, setProjectId] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await call<unknown>({ projectId: projectId.trim(), token: token.trim() }, 'GET', '/instances');
      props.onSignIn({ projectId: projectId.trim(), token: token.trim(), readOnly: answer.readOnly });
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>keyheat</h1>
      <p>Hot key analysis for your Redis deployments.</p>
      {props.notice !== null ? <p class="notice" role="status">{props.notice}</p> : null}
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Project ID
          <input name="project" value={projectId} onInput={(e) => setProjectId(e.currentTarget.value)} required autocomplete="username" spellcheck={false} />
        </label>
        <label>
          Token
          <input name="token" type="password" value={token} onInput={(e) => setToken(e.currentTarget.value)} required autocomplete="current-password" />
        </label>
        {error !== null ? <p class="error" role="alert">{error}</p> : null}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="hint">The project ID and an admin token are printed by the first <code>keyheat serve</code>; see the README.</p>
    </main>
  );
}
