/** `keyheat secrets rotate`: re-encrypts every stored Redis password with a new key. */
import { parseArgs } from 'node:util';
import { rotateSecretKey } from '../app.js';
import { configFromArgs } from './config-flags.js';
import { SECRETS_USAGE } from './secrets-usage.js';
import { EXIT, UsageError } from './usage-error.js';

export async function secretsCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${SECRETS_USAGE}\n`);
    return EXIT.ok;
  }
  if (action !== 'rotate') throw new UsageError(action === undefined ? 'secrets needs an action: rotate' : `unknown secrets action "${action}"`, SECRETS_USAGE);
  const { keyFiles, others } = splitKeyFlags(rest);
  if (keyFiles.next === undefined) throw new UsageError('secrets rotate needs --new-key-file FILE', SECRETS_USAGE);
  const loaded = configFromArgs(others, ['config', 'data-dir']);
  const config = keyFiles.old === undefined ? loaded : { ...loaded, secrets: { key_file: keyFiles.old } };
  const { resealed, already, oldKeyId, newKeyId, installed } = await rotateSecretKey(config, keyFiles.next);
  const done =
    resealed === 0
      ? `Nothing needs re-sealing: the stored secrets of ${already} instance(s) are already sealed with key ${newKeyId}.\n`
      : `Re-sealed the stored secrets (Redis and Sentinel passwords, TLS keys) of ${resealed} instance(s): key ${oldKeyId} -> ${newKeyId}` +
        `${already > 0 ? ` (${already} already were)` : ''}.\n`;
  const next = installed === null ? 'Start keyheat with the new key now (the old one no longer opens them).\n' : `${installed} now holds the new key; start keyheat as before.\n`;
  process.stdout.write(done + next);
  return EXIT.ok;
}

function splitKeyFlags(args: readonly string[]): { keyFiles: { next?: string; old?: string }; others: string[] } {
  try {
    const { values, tokens } = parseArgs({
      args: [...args],
      options: {
        'new-key-file': { type: 'string' },
        'old-key-file': { type: 'string' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
    const others = tokens.flatMap((token) =>
      token.kind === 'option' && (token.name === 'config' || token.name === 'data-dir') ? [`--${token.name}`, token.value ?? ''] : [],
    );
    return { keyFiles: { next: values['new-key-file'], old: values['old-key-file'] }, others };
  } catch (error) {
    throw new UsageError((error as Error).message, SECRETS_USAGE);
  }
}
