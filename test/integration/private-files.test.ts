/**
 * The data dir and its files are owner-only from their first byte, whatever the umask, and a
 * data dir left permissive by an older keyheat (or by hand) is tightened at start. Database URLs
 * never show their password, in the log or on serve's stdout.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../helpers/keyheat-harness.js';
import { runKeyheat } from '../helpers/keyheat-process.js';
import { createPgSchema, postgresAvailable } from '../helpers/stores.js';

const mode = (file: string): number => statSync(file).mode & 0o777;

describe('files in the data dir', () => {
  let previousUmask: number;
  let root: string;
  beforeAll(() => {
    previousUmask = process.umask(0); // the most permissive: every mode below is keyheat's own
    root = mkdtempSync(path.join(os.tmpdir(), 'keyheat-files-'));
  });
  afterAll(() => {
    process.umask(previousUmask);
    rmSync(root, { recursive: true, force: true });
  });

  it('are created 0700 / 0600 under a 000 umask', async () => {
    const dataDir = path.join(root, 'fresh', 'data');
    const h = await startHarness({ dataDir, databaseUrl: `sqlite:${path.join(dataDir, 'keyheat.db')}` });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(path.join(root, 'fresh'))).toBe(0o700); // missing parents too
      for (const name of ['keyheat.db', 'keyheat.db-wal', 'keyheat.db-shm', 'secret.key']) {
        const file = path.join(dataDir, name);
        if (name === 'keyheat.db' || name === 'secret.key') expect(existsSync(file)).toBe(true);
        if (existsSync(file)) expect(mode(file), name).toBe(0o600);
      }
    } finally {
      await h.close();
    }
  });

  it('are tightened at start when they were left permissive', async () => {
    const dataDir = path.join(root, 'old');
    const first = await startHarness({ dataDir, databaseUrl: `sqlite:${path.join(dataDir, 'keyheat.db')}` });
    await first.close();
    const files = ['keyheat.db', 'keyheat.db-wal', 'keyheat.db-shm', 'secret.key'].map((name) => path.join(dataDir, name));
    for (const file of files) {
      if (!existsSync(file)) writeFileSync(file, '', { mode: 0o666 });
      chmodSync(file, 0o666);
    }
    chmodSync(dataDir, 0o777);
    const second = await startHarness({ dataDir, databaseUrl: `sqlite:${path.join(dataDir, 'keyheat.db')}` });
    try {
      expect(mode(dataDir)).toBe(0o700);
      for (const file of files) if (existsSync(file)) expect(mode(file), file).toBe(0o600);
    } finally {
      await second.close();
    }
  });

  it('a SQLite file outside the data dir is private, and its shared directory is left alone', async () => {
    const shared = path.join(root, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    const h = await startHarness({ dataDir: path.join(root, 'elsewhere'), databaseUrl: `sqlite:${path.join(shared, 'kh.db')}` });
    try {
      expect(mode(path.join(shared, 'kh.db'))).toBe(0o600);
      expect(mode(shared)).toBe(0o755);
    } finally {
      await h.close();
    }
  });
});

describe.runIf(postgresAvailable())('a PostgreSQL URL with a password', () => {
  it('is redacted in the "store opened" log line and on serve\'s stdout', async () => {
    const schema = await createPgSchema();
    const url = new URL(schema.url);
    url.password = 'hunter2-in-userinfo';
    url.searchParams.set('password', 'hunter2-in-query');
    try {
      const lines: string[] = [];
      const h = await startHarness({ databaseUrl: url.toString(), logLines: lines, start: false });
      await h.close({ removeData: true });
      const opened = lines.find((line) => line.includes('store opened'));
      expect(opened).toContain('***');
      expect(lines.join('\n')).not.toContain('hunter2');

      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-redact-'));
      const run = runKeyheat(['serve', '--port', '0', '--data-dir', dataDir], { env: { KEYHEAT_DATABASE_URL: url.toString() } });
      try {
        await run.waitFor(/keyheat is listening/);
        expect(run.output()).toContain('***');
        expect(run.output()).not.toContain('hunter2');
      } finally {
        run.child.kill('SIGTERM');
        await run.exited();
        rmSync(dataDir, { recursive: true, force: true });
      }
    } finally {
      await schema.drop();
    }
  });
});
