/**
 * The dashboard built once per run (web/ -> dist/web, as npm run build does), before any test
 * file starts: the end-to-end files run in parallel, and a build in one of them emptied dist/web
 * under another's requests (a 404 for "/"). A test never runs against a stale build.
 *
 * One PostgreSQL database per test run, created from KEYHEAT_TEST_PG_URL (default: the local
 * server with trust auth) and dropped at the end. Each test store gets its own schema inside it.
 * Without a reachable PostgreSQL the PostgreSQL variants are skipped with a warning, except in
 * CI (CI=1), where that is an error: a skipped suite must not pass for a green one.
 */
import pg from 'pg';
import { buildDashboard } from './helpers/browser.js';
import { matrixVersions, versionsDir } from './helpers/redis-versions.js';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildDashboard();
  // The version matrix runs where its builds are; a checkout without them says so once.
  const versions = matrixVersions();
  if (versions.length === 0) process.stderr.write('\nversion matrix: skipped (no shared/redis-versions found; set KEYHEAT_REDIS_VERSIONS to its folder)\n\n');
  else process.stderr.write(`\nversion matrix: ${versions.map((v) => v.name).join(', ')} (${versionsDir() ?? ''})\n\n`);
  const base = process.env['KEYHEAT_TEST_PG_URL'] ?? DEFAULT_PG_URL;
  const name = `keyheat_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    const reason = `PostgreSQL at ${base.replace(/:[^:@/]*@/, ':***@')} is not usable: ${(error as Error).message}`;
    if (process.env['CI'] !== undefined && process.env['CI'] !== '') throw new Error(`${reason} (CI requires it)`);
    process.stderr.write(`\nwarning: ${reason}; the PostgreSQL variants of the tests are skipped\n\n`);
    project.provide('pgUrl', null);
    return async () => undefined;
  }
  // No connection is held through the run: a test that restarts the server (pg-outage.test.ts)
  // would otherwise kill it, and an idle client's error would crash the runner itself.
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  project.provide('pgUrl', url.toString());
  return async () => {
    const dropper = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  };
}
