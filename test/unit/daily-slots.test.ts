import { describe, expect, it } from 'vitest';
import { judgeSlot, latestOccurrence, slotId } from '../../src/scheduler/daily-slots.js';

const at = (iso: string) => new Date(iso);

describe('daily slots', () => {
  it('finds the latest occurrence of a UTC time, today or yesterday', () => {
    expect(latestOccurrence('21:00', at('2026-11-29T21:00:00.000Z')).toISOString()).toBe('2026-11-29T21:00:00.000Z');
    expect(latestOccurrence('21:00', at('2026-11-29T20:59:59.999Z')).toISOString()).toBe('2026-11-28T21:00:00.000Z');
    expect(latestOccurrence('00:00', at('2026-03-01T00:10:00.000Z')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(latestOccurrence('23:59', at('2026-03-01T00:10:00.000Z')).toISOString()).toBe('2026-02-28T23:59:00.000Z');
  });

  it('names a slot by its UTC date and time only', () => {
    expect(slotId(at('2026-11-29T21:00:00.000Z'))).toBe('2026-11-29T21:00');
  });

  it('runs a slot within the catch-up window, skips it after, and never before the schedule existed', () => {
    const slot = at('2026-11-29T21:00:00.000Z');
    const enabled = at('2026-11-29T08:00:00.000Z');
    const hour = 60 * 60 * 1000;
    expect(judgeSlot(slot, at('2026-11-29T21:00:05.000Z'), enabled, hour)).toBe('due');
    expect(judgeSlot(slot, at('2026-11-29T22:00:00.000Z'), enabled, hour)).toBe('due');
    expect(judgeSlot(slot, at('2026-11-29T22:00:00.001Z'), enabled, hour)).toBe('missed');
    expect(judgeSlot(slot, at('2026-11-29T21:30:00.000Z'), at('2026-11-29T21:10:00.000Z'), hour)).toBe('before-enabled');
  });
});
