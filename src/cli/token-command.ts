import { databaseUrl } from '../config/load-config.js';
import { AuthService } from '../service/auth-service.js';
import { openStore } from '../storage/store.js';
import { configFromArgs } from './config-flags.js';
import { EXIT, UsageError } from './usage-error.js';

export async function tokenCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'reset') throw new UsageError(action === undefined ? 'token needs an action: reset' : `unknown token action "${action}"`);
  const config = configFromArgs(rest, ['config', 'data-dir']);
  const store = await openStore(databaseUrl(config));
  try {
    const { projectId, token } = await new AuthService(store, config.projects).resetAdminToken();
    process.stdout.write(`New admin token for project ${projectId} (shown only this once; the previous one no longer works):\n  ${token}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
