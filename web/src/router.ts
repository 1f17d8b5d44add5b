/**
 * Hash routes: every page is served by `/` (no server fallback needed), and back/forward and
 * bookmarks work. #/instances, #/instances/<id>, and one task of a family at
 * #/instances/<id>/<segment>/<taskId>, the segment being the family's row in task-kinds.ts
 * (tasks: hot keys, bigkey-tasks, expire-scans, offline-analyses).
 */
import { useEffect, useState } from 'preact/hooks';
import { KINDS } from './task-kinds';

/** The page of one task, per family. */
export type TaskPage = 'task' | 'bigtask' | 'expiretask' | 'offlinetask';

export type Route =
  | { readonly page: 'instances' }
  | { readonly page: 'instance'; readonly instanceId: string }
  | { readonly page: TaskPage; readonly instanceId: string; readonly taskId: string };

const ROWS = Object.values(KINDS);

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] === 'instances' && parts[1] !== undefined) {
    const row = ROWS.find((r) => r.segment === parts[2]);
    if (row !== undefined && parts[3] !== undefined) return { page: row.page, instanceId: parts[1], taskId: parts[3] };
    return { page: 'instance', instanceId: parts[1] };
  }
  return { page: 'instances' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'instances':
      return '#/instances';
    case 'instance':
      return `#/instances/${encodeURIComponent(route.instanceId)}`;
    default: {
      const segment = ROWS.find((r) => r.page === route.page)?.segment ?? 'tasks';
      return `#/instances/${encodeURIComponent(route.instanceId)}/${segment}/${encodeURIComponent(route.taskId)}`;
    }
  }
}

/** The page of one task of a family. */
export function taskRoute(kind: keyof typeof KINDS, instanceId: string, taskId: string): Route {
  return { page: KINDS[kind].page, instanceId, taskId };
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
