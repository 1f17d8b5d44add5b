/**
 * The token generated at the first start: printed to stderr as a block of its own, never in the
 * JSON log lines on stdout, and retired once `projects:` are configured (a real `keyheat serve`
 * process on SQLite; the harness part runs on both stores).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, P1, startHarness } from '../helpers/keyheat-harness.js';
import { runKeyheat, runKeyheatToEnd, type KeyheatProcess } from '../helpers/keyheat-process.js';
import { freePort } from '../helpers/redis-server.js';
import { createPgSchema, STORES } from '../helpers/stores.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-token-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function serve(args: string[]): KeyheatProcess {
  const run = runKeyheat(['serve', ...args], { env: { KEYHEAT_LOG_LEVEL: 'info' } });
  cleanups.push(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited();
    }
  });
  return run;
}

async function status(port: number, token: string, url: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${url}`, { headers: { 'x-auth-token': token } })).status;
}

describe('keyheat serve and the first-start token', () => {
  it('prints the token to stderr only, and retires it once projects are configured', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = serve(['--port', String(port), '--data-dir', dataDir]);
    await first.waitFor(/listening on/);
    const block = /keyheat created a default project[^\n]*\n\s+project_id:\s+(\w+)\n\s+X-Auth-Token:\s+(\S+)/.exec(first.stderr());
    expect(block).not.toBeNull();
    const [, projectId, token] = block as RegExpExecArray;
    expect(await status(port, token!, `/v2/${projectId!}/instances`)).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);

    // stdout: JSON log lines (plus the one "listening" line); none holds the token.
    const stdout = first.stdout().split('\n').filter((line) => line !== '');
    expect(stdout.some((line) => line.startsWith('{'))).toBe(true);
    for (const line of stdout) {
      expect(line).not.toContain(token!);
      if (!line.startsWith('keyheat is listening')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    }

    const config = path.join(dataDir, 'keyheat.yaml');
    writeFileSync(config, JSON.stringify({ data_dir: dataDir, projects: [{ project_id: 'p1', tokens: ['configured-admin-token-000000001'] }] }));
    const second = serve(['--config', config, '--port', String(port)]);
    await second.waitFor(/listening on/);
    expect(await status(port, token!, `/v2/${projectId!}/instances`)).toBe(401);
    expect(await status(port, 'configured-admin-token-000000001', '/v2/p1/instances')).toBe(200);
    const retired = second
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => /generated at the first start no longer works/.test(String(entry['msg'])));
    expect(retired).toMatchObject({ level: 40, project_id: projectId });
    expect(second.output()).not.toContain(token!);
    second.child.kill('SIGTERM');
    await second.exited();

    // A reset cannot bring a generated token back while projects are configured.
    const reset = await runKeyheatToEnd(['token', 'reset', '--config', config]);
    expect(reset.code).toBe(1);
    expect(reset.stderr).toMatch(/projects are configured/);
  }, 90_000); // three processes started from source: slow on a loaded machine
});

describe.each(STORES)('the generated token once projects are configured (%s store)', (store) => {
  it('works without projects and gets 401 after a restart with projects, which the log says', async () => {
    const dataDir = tempDir();
    let databaseUrl: string | undefined;
    if (store === 'postgres') {
      const schema = await createPgSchema();
      cleanups.push(() => schema.drop());
      databaseUrl = schema.url;
    }
    const first = await startHarness({ store, dataDir, ...(databaseUrl === undefined ? {} : { databaseUrl }), start: false, config: { projects: [] } });
    const { projectId, newAdminToken } = first.keyheat.bootstrap;
    expect(newAdminToken).not.toBeNull();
    expect((await first.request('GET', `/v2/${projectId ?? ''}/instances`, { token: newAdminToken })).status).toBe(200);
    await first.close();

    const logLines: string[] = [];
    const second = await startHarness({ store, dataDir, ...(databaseUrl === undefined ? {} : { databaseUrl }), start: false, logLines });
    cleanups.push(() => second.close());
    const refused = await second.request('GET', `/v2/${projectId ?? ''}/instances`, { token: newAdminToken });
    expect(refused.status).toBe(401);
    expect(refused.body['error_code']).toBe('DCS.1001');
    expect((await second.request('GET', `/v2/${P1}/instances`, { token: ADMIN })).status).toBe(200);
    expect(logLines.some((line) => line.includes('generated at the first start no longer works') && line.includes(projectId ?? '?'))).toBe(true);
  });
});
