/** Loads something for a page: the value, the error message, a reload. Stale answers are dropped. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from './api';

export interface Loaded<T> {
  readonly value: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ value: T | null; error: string | null; loading: boolean }>({ value: null, error: null, loading: true });
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (value) => mine === generation.current && setState({ value, error: null, loading: false }),
      (error: unknown) => mine === generation.current && setState((s) => ({ value: s.value, error: messageOf(error), loading: false })),
    );
  }, [run]);
  useEffect(reload, [reload]);
  return { ...state, reload };
}
