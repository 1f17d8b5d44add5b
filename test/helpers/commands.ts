/** Whether a command of the machine is there (promtool, prometheus, systemd-analyze): it runs with `args` and exits 0. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function hasCommand(command: string, args: readonly string[] = ['--version']): Promise<boolean> {
  try {
    await promisify(execFile)(command, [...args]);
    return true;
  } catch {
    return false;
  }
}
