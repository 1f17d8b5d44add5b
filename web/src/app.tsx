/** The shell: sign-in until there is a session, then the page of the current route. */
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, saveSession, whenSessionEnds, type Session } from './api';
import { BigTaskPage } from './pages/bigtask-page';
import { InstancePage } from './pages/instance-page';
import { InstancesPage } from './pages/instances-page';
import { SignIn } from './pages/sign-in';
import { TaskPage } from './pages/task-page';
import { href, useRoute } from './router';

interface TaskPageProps {
  readonly session: Session;
  readonly instanceId: string;
  readonly taskId: string;
}

/** The pages of an expired key scan and of an offline analysis: chunks of their own, loaded on first use, so the first page stays small. */
const loadExpirePage = (): Promise<FunctionComponent<TaskPageProps>> => import('./pages/expire-page').then((m) => m.ExpirePage);
const loadOfflinePage = (): Promise<FunctionComponent<TaskPageProps>> => import('./pages/offline-page').then((m) => m.OfflinePage);

function LazyPage(props: { readonly load: () => Promise<FunctionComponent<TaskPageProps>>; readonly page: TaskPageProps }) {
  const [Page, setPage] = useState<FunctionComponent<TaskPageProps> | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    props.load().then(
      (component) => live && setPage(() => component),
      (error: unknown) => live && setFailed(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      live = false;
    };
  }, [props.load]);
  if (failed !== null) {
    return (
      <p class="error" role="alert">
        The page could not be loaded ({failed}): reload it.
      </p>
    );
  }
  return Page === null ? <p>Loading…</p> : <Page {...props.page} />;
}

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
        {route.page === 'expiretask' ? <LazyPage load={loadExpirePage} page={{ session, instanceId: route.instanceId, taskId: route.taskId }} /> : null}
        {route.page === 'offlinetask' ? <LazyPage load={loadOfflinePage} page={{ session, instanceId: route.instanceId, taskId: route.taskId }} /> : null}
      </main>
    </>
  );
}
