/**
 * An exclusive lock file next to the SQLite database: one keyheat process per embedded store.
 * That is what lets a starting process treat every task left `running` as orphaned. A lock
 * left by a dead process (crash, SIGKILL) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

export class StoreLockedError extends Error {
  constructor(readonly lockFile: string, readonly pid: number) {
    super(`another keyheat process (pid ${pid}) is using this database (lock file ${lockFile}); stop it, or use PostgreSQL to run several processes`);
    this.name = 'StoreLockedError';
  }
}

export interface FileLock {
  release(): void;
}

export function acquireFileLock(lockFile: string): FileLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => releaseIfOurs(lockFile) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(lockFile);
      if (holder !== null && holder !== process.pid && isAlive(holder)) throw new StoreLockedError(lockFile, holder);
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

function readHolder(lockFile: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lockFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(lockFile: string): void {
  if (readHolder(lockFile) === process.pid) rmSync(lockFile, { force: true });
}
