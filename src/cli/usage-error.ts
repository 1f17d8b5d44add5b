/**
 * A command line that cannot be run as given: exit code 2 with the message and usage. `usage`
 * is the help of the command that was meant (`keyheat tasks create`), shown instead of the
 * top-level text so the reader sees the flags of that command.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
