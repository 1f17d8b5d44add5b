import { resetAdminToken } from '../app.js';
import { configFromArgs } from './config-flags.js';
import { EXIT, UsageError } from './usage-error.js';

export async function tokenCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'reset') throw new UsageError(action === undefined ? 'token needs an action: reset' : `unknown token action "${action}"`);
  const config = configFromArgs(rest, ['config', 'data-dir']);
  // With projects configured, a generated token would be deleted and ignored at the next start.
  if (config.projects.length > 0) {
    process.stderr.write('keyheat: projects are configured, so a generated admin token would not work; list tokens under projects[].tokens instead\n');
    return EXIT.failure;
  }
  const { projectId, token } = await resetAdminToken(config);
  process.stdout.write(`New admin token for project ${projectId} (shown only this once; the previous one no longer works):\n  ${token}\n`);
  return EXIT.ok;
}
