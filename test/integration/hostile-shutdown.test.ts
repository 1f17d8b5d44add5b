/**
 * A real `keyheat serve` whose running analysis is stuck on a Redis that stalls in AUTH: SIGTERM
 * still stops it on time (grace period, then the hand-back within 2 s), and a second SIGTERM
 * exits at once. The store is SQLite: what is tested is the process, not the store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runKeyheat, type KeyheatProcess } from '../helpers/keyheat-process.js';
import { freePort } from '../helpers/redis-server.js';
import { redisLike, startStub, type Stub } from '../helpers/resp-stub.js';

const TOKEN = 'hostile-shutdown-admin-token-01';

let dir = '';
let stub: Stub | null = null;
let serve: KeyheatProcess | null = null;

afterEach(async () => {
  serve?.child.kill('SIGKILL');
  await stub?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** keyheat serve with one instance whose analysis connection stalls in AUTH, and its task running. */
async function stuckAnalysis(graceMs: number): Promise<{ port: number }> {
  // Registration is the stub's connection 0 and the create's preflight connection 1.
  stub = await startStub(redisLike((c, { connection }) => (c[0] === 'AUTH' && connection >= 2 ? null : undefined)));
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-shutdown-'));
  const config = path.join(dir, 'keyheat.json');
  writeFileSync(
    config,
    JSON.stringify({
      data_dir: dir,
      log: { level: 'info' },
      analysis: { connect_timeout_ms: 120_000, command_timeout_ms: 120_000 },
      runner: { poll_interval_ms: 100, shutdown_grace_ms: graceMs },
      projects: [{ project_id: 'p1', tokens: [TOKEN] }],
      instances: [{ project_id: 'p1', instance_id: 'stuck', name: 'stuck', url: `redis://:pw@127.0.0.1:${stub.port}` }],
    }),
  );
  const port = await freePort();
  serve = runKeyheat(['serve', '--config', config, '--port', String(port)]);
  await serve.waitFor(/listening on/);
  const created = await fetch(`http://127.0.0.1:${port}/v2/p1/instances/stuck/hotkey-task`, { method: 'POST', headers: { 'x-auth-token': TOKEN } });
  expect(created.status).toBe(200);
  const current = stub;
  for (let i = 0; i < 200 && !(current.stats.accepted >= 3 && current.stats.open >= 1); i++) await new Promise((r) => setTimeout(r, 25));
  expect(current.stats.open).toBe(1); // the analysis, waiting for AUTH
  return { port };
}

describe('keyheat serve with an analysis stuck on a stalling Redis', () => {
  it('on SIGTERM waits the grace period, then hands the task back and exits 0 within 2 s', async () => {
    await stuckAnalysis(500);
    const process = serve as KeyheatProcess;
    const started = performance.now();
    process.child.kill('SIGTERM');
    const code = await process.exited();
    const elapsed = performance.now() - started;
    expect(code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(500 + 2000);
    expect(process.output()).toMatch(/task handed back/);
    expect(stub?.stats.open).toBe(0);
  });

  it('exits at once on a second SIGTERM, however long the grace period', async () => {
    await stuckAnalysis(600_000);
    const process = serve as KeyheatProcess;
    process.child.kill('SIGTERM');
    await process.waitFor(/stopping: no new tasks are claimed/);
    const started = performance.now();
    process.child.kill('SIGTERM');
    const code = await process.exited();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(process.output()).toMatch(/task handed back/);
  });
});
