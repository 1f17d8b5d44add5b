/**
 * Files that hold secrets (the SQLite database with sealed Redis passwords, the secret key) are
 * owner-only from their first byte: directories are made with 0700 and files created with 0600
 * by open(2) itself, never chmodded after the fact. The umask can only remove bits, so the
 * modes are also set explicitly on what already existed (a data dir from an older keyheat).
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (and missing parents) with 0700. An existing one is left as it is. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** The data directory keyheat owns: created with 0700, or tightened to 0700 if it exists. */
export function tightenDataDir(dir: string): void {
  makePrivateDir(dir);
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates an empty file with 0600 if there is none, then makes sure its mode is 0600. */
export function createPrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** The database file and SQLite's companions (WAL, shared memory), where they exist. */
export function tightenSqliteFiles(file: string): void {
  for (const name of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(name)) chmodSync(name, PRIVATE_FILE_MODE);
  }
}

/**
 * Writes `text` to a new private file durably: 0600 from the first byte, the data fsynced
 * before the name appears, and the directory fsynced after, so a crash leaves either no file
 * or the whole file. With `replace`, an existing file is replaced the same way (a temporary
 * file renamed over it: never half-written); without it an existing file is an EEXIST error.
 */
export function writePrivateFileDurably(file: string, text: string, options: { replace?: boolean } = {}): void {
  const target = options.replace === true ? path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`) : file;
  const fd = openSync(target, 'wx', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    if (target !== file) rmSync(target, { force: true });
    throw error;
  }
  closeSync(fd);
  if (target !== file) renameSync(target, file);
  syncDirectory(path.dirname(file));
}

/** fsync of a directory: a file created or renamed in it survives a crash. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
