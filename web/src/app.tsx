/** The shell: sign-in until there is a session, then the page of the current route. */
import { useEffect, useState } from 'preact/hooks';
import { loadSession, saveSession, whenSessionEnds, type Session } from './api';
import { BigTaskPage } from './pages/bigtask-page';
import { InstancePage } from './pages/instance-page';
import { InstancesPage } from './pages/instances-page';
import { SignIn } from './pages/sign-in';
import { TaskPage } from './pages/task-page';
import { href, useRoute } from './router';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();

  useEffect(() => {
    whenSessionEnds((reason) => {
      saveSession(null);
      setSession(null);
      setNotice(reason);
    });
  }, []);

  const signIn = (next: Session): void => {
    saveSession(next);
    setNotice(null);
    setSession(next);
  };
  const signOut = (): void => {
    saveSession(null);
    setSession(null);
    setNotice('You signed out.');
  };

  if (session === null) return <SignIn notice={notice} onSignIn={signIn} />;
  return (
    <>
      <header class="top">
        <a class="brand" href={href({ page: 'instances' })}>
          keyheat
        </a>
        <span class="who">
          project <span class="mono">{session.projectId}</span>
          {session.readOnly ? <span class="badge">read-only</span> : null}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'instances' ? <InstancesPage session={session} /> : null}
        {route.page === 'instance' ? <InstancePage session={session} instanceId={route.instanceId} /> : null}
        {route.page === 'task' ? <TaskPage session={session} instanceId={route.instanceId} taskId={route.taskId} /> : null}
        {route.page === 'bigtask' ? <BigTaskPage session={session} instanceId={route.instanceId} taskId={route.taskId} /> : null}
      </main>
    </>
  );
}
