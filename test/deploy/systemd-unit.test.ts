/**
 * deploy/systemd/keyheat.service passes `systemd-analyze verify` without a warning, where the
 * command exists (systemd's own check of every key and value; it exits 0 on unknown keys, so
 * any output fails the test). Without it, the test says so and skips.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasCommand } from '../helpers/commands.js';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT = path.resolve(import.meta.dirname, '../../deploy/systemd/keyheat.service');


/** What systemd-analyze verify says of a unit file: its exit code and everything it printed. */
async function verify(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file]);
    return { code: 0, output: `${stdout}${stderr}`.trim() };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trim() };
  }
}

const available = await hasCommand('systemd-analyze');
if (!available) console.log('systemd unit: systemd-analyze not found, verify skipped');

describe.runIf(available)('deploy/systemd/keyheat.service', () => {
  it('verifies without a word', async () => {
    expect(await verify(UNIT)).toEqual({ code: 0, output: '' });
  });

  it('runs as its own user with the hardening the deployment guide promises', () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of ['User=keyheat', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/keyheat', 'LoadCredential=secret.key:/etc/keyheat/secret.key', 'KillSignal=SIGTERM']) {
      expect(unit.split('\n')).toContain(line);
    }
  });

  it('would catch a mistake: a misspelt key or a wrong value is reported', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-unit-'));
    const bad = path.join(dir, 'keyheat.service');
    copyFileSync(UNIT, bad);
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('ProtectSystem=strict', 'ProtectSystm=strict').replace('NoNewPrivileges=yes', 'NoNewPrivileges=maybe'));
    const result = await verify(bad);
    expect(result.output).toMatch(/Unknown key 'ProtectSystm'/);
    expect(result.output).toMatch(/maybe/);
  });
});
