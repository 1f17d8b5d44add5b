/**
 * Hash routes: every page is served by `/` (no server fallback needed), and back/forward and
 * bookmarks work. #/instances, #/instances/<id>, #/instances/<id>/tasks/<taskId> (hot keys),
 * #/instances/<id>/bigkey-tasks/<taskId> (big keys).
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly page: 'instances' }
  | { readonly page: 'instance'; readonly instanceId: string }
  | { readonly page: 'task'; readonly instanceId: string; readonly taskId: string }
  | { readonly page: 'bigtask'; readonly instanceId: string; readonly taskId: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] === 'instances' && parts[1] !== undefined) {
    if (parts[2] === 'tasks' && parts[3] !== undefined) return { page: 'task', instanceId: parts[1], taskId: parts[3] };
    if (parts[2] === 'bigkey-tasks' && parts[3] !== undefined) return { page: 'bigtask', instanceId: parts[1], taskId: parts[3] };
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
    case 'task':
      return `#/instances/${encodeURIComponent(route.instanceId)}/tasks/${encodeURIComponent(route.taskId)}`;
    case 'bigtask':
      return `#/instances/${encodeURIComponent(route.instanceId)}/bigkey-tasks/${encodeURIComponent(route.taskId)}`;
  }
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
