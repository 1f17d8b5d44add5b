import { describe, expect, it } from 'vitest';
import { canTransition, TASK_STATUSES } from '../../src/domain/task-status.js';

describe('task status transitions', () => {
  it('allows exactly the documented moves', () => {
    const allowed = TASK_STATUSES.flatMap((from) => TASK_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
    expect(allowed.sort()).toEqual(['running->failed', 'running->success', 'running->waiting', 'waiting->failed', 'waiting->running'].sort());
  });
});
