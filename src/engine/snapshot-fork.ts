/**
 * Keeping forks apart (domain/fork-slots.ts): one fork per host at a time, held until the child
 * exited (redis/fork-cost.ts reads what each one cost).
 */
import { processForkSlots, type ForkSlots } from '../domain/fork-slots.js';

/** `host` of `host:port` (`[v6]:port` too). */
export function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

/** This process's own slots: the default, and all there is with the embedded store or `keyheat scan`. */
export const PROCESS_FORK_SLOTS: ForkSlots = processForkSlots();
