/**
 * docs/getting-started.md, run as a new user runs it: every command of its `sh` blocks, in
 * order, in one shell, against a keyheat started as the guide starts it, with the project id and
 * token read from what that first start prints.
 *
 * What the test changes, and only that: the ports (8080 and 6390 become free ones, so that the
 * test never meets a keyheat or a Redis of the machine), the data directory (a temporary one),
 * and the packaging: `npm start` and `npx keyheat` run this checkout's source through tsx, since
 * `npm test` does not build dist/. That `npm start` is `keyheat serve` and that the package's
 * `keyheat` is dist/main.js is checked in package.json. `npm ci` itself is what `.ci/run` runs
 * before `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GUIDE = readFileSync(path.join(ROOT, 'docs/getting-started.md'), 'utf8');

/** The guide's `sh` blocks, in order. */
const blocks = [...GUIDE.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => (m[1] ?? '').trimEnd());

describe('docs/getting-started.md, command by command', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-getting-started-'));
  let server: ChildProcess | null = null;
  let redisPort = 0;

  afterAll(async () => {
    if (redisPort !== 0) await run(`redis-cli -p ${redisPort} shutdown nosave`, {}).catch(() => undefined);
    if (server !== null && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a script in bash with `bin` first on the PATH; its output, or a rejection with it. */
  function run(script: string, env: NodeJS.ProcessEnv): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, ...env } });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`exit ${code}:\n${script}\n---\n${output}`))));
    });
  }

  it('starts as the README says, and the package maps npm start and keyheat as the test runs them', () => {
    expect(blocks[0]).toBe('npm ci && npm start');
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toMatch(/^npm ci && npm start\s/m);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts['start']).toBe('node dist/main.js serve');
    expect(pkg.bin['keyheat']).toBe('dist/main.js');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it('runs every command of the guide', async () => {
    const keyheatPort = await freePort();
    redisPort = await freePort();
    // `keyheat` and `npm start` from this checkout's source.
    const bin = path.join(dir, 'bin');
    const tsx = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    writeFileSync(path.join(dir, 'keyheat'), `#!/bin/sh\nexec "${process.execPath}" --import "${tsx}" "${path.join(ROOT, 'src/main.ts')}" "$@"\n`);
    chmodSync(path.join(dir, 'keyheat'), 0o755);
    await run(`mkdir -p "${bin}" && mv "${path.join(dir, 'keyheat')}" "${bin}/keyheat"`, {});
    const adapt = (text: string): string =>
      text
        .replaceAll('npx keyheat', 'keyheat')
        .replaceAll('127.0.0.1:8080', `127.0.0.1:${keyheatPort}`)
        .replaceAll('6390', String(redisPort));

    // Step 1: npm ci is CI's; npm start is `keyheat serve`, in a fresh data directory.
    server = spawn(path.join(bin, 'keyheat'), ['serve'], { cwd: dir, env: { ...process.env, KEYHEAT_PORT: String(keyheatPort), KEYHEAT_DATA_DIR: path.join(dir, 'data'), KEYHEAT_SECRET_KEY: '' } });
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!/X-Auth-Token:\s+(\S+)/.test(stderr)) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`no token block:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const project = /project_id:\s+(\S+)/.exec(stderr)?.[1] ?? '';
    const token = /X-Auth-Token:\s+(\S+)/.exec(stderr)?.[1] ?? '';
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${keyheatPort}/readyz`).then((r) => r.ok).catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error('keyheat did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }

    // Steps 2 to 5, as one shell session (variables carry from block to block).
    const script = blocks
      .slice(1)
      .map((block) => adapt(block).replaceAll('<project_id>', project).replaceAll('<token>', token))
      .join('\n');
    expect(script).not.toMatch(/<[a-z_]+>/);
    const output = await run(script, {});
    // Step 4: the hot key table with feed:today first, then the big key table with big:list.
    expect(output).toMatch(/instance_id:\s+\S+/);
    expect(output).toMatch(/^1\s+\d+\s+\S+\s+string\s+5 B\s+0\s+feed:today$/m);
    expect(output).toMatch(/big:list/);
    expect(output).toMatch(/6,000|6000/);
    // Step 5: DCS's ListHotkeyScanTasks body.
    expect(output).toMatch(/"count":1,"records":\[\{"id":"[^"]+","status":"success"/);
    redisPort = 0;
  }, 120_000);
});
