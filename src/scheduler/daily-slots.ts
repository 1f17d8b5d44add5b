/** Daily UTC slots of an autoscan schedule. Pure: every process computes the same slot ids. */

/** The latest occurrence of `time` ("HH:mm", UTC) at or before `now`. */
export function latestOccurrence(time: string, now: Date): Date {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hours, minutes);
  return new Date(today <= now.getTime() ? today : today - 24 * 60 * 60 * 1000);
}

/** Slot id, the same in every process: "2026-11-29T21:00". */
export function slotId(occurrence: Date): string {
  return occurrence.toISOString().slice(0, 16);
}

export type SlotVerdict = 'due' | 'missed' | 'before-enabled';

/**
 * Whether an occurrence should create a task now: `due` within `catchUpMs` of its time, `missed`
 * after that (keyheat was not running then), `before-enabled` if the schedule was set afterwards.
 */
export function judgeSlot(occurrence: Date, now: Date, enabledAt: Date, catchUpMs: number): SlotVerdict {
  if (occurrence.getTime() < enabledAt.getTime()) return 'before-enabled';
  return now.getTime() - occurrence.getTime() <= catchUpMs ? 'due' : 'missed';
}
