/** The replay memory: expiry with the date's window, and a hard cap that forgets the oldest. */
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src/http/aksk/replay-guard.js';

describe('ReplayGuard', () => {
  it('refuses a signature seen within its window and forgets it after', () => {
    const guard = new ReplayGuard(10);
    expect(guard.remember('a', 1000, 0)).toBe(true);
    expect(guard.wasSeen('a', 500)).toBe(true);
    expect(guard.remember('a', 1000, 500)).toBe(false);
    expect(guard.wasSeen('a', 1001)).toBe(false);
    expect(guard.remember('b', 3000, 1001)).toBe(true);
    expect(guard.size).toBe(1); // 'a' expired and was dropped
  });

  it('keeps at most maxEntries, forgetting the oldest first', () => {
    const guard = new ReplayGuard(3);
    for (const s of ['a', 'b', 'c', 'd']) expect(guard.remember(s, 10_000, 0)).toBe(true);
    expect(guard.size).toBe(3);
    expect(guard.wasSeen('a', 1)).toBe(false);
    expect(['b', 'c', 'd'].every((s) => guard.wasSeen(s, 1))).toBe(true);
  });
});
