/**
 * Command dispatch. Output formatting and exit codes only; the work is done by app.ts and the
 * engine, or, for the client commands (instances, tasks, autoscan), by a keyheat serve over
 * HTTP. Each command is loaded only when it runs: `keyheat scan` does not pay for loading the
 * service (Fastify, the database drivers), about half a second of start-up, nor a client
 * command for either.
 */
import { ConfigError } from '../config/config-error.js';
import { SecretKeyError } from '../domain/secret-box.js';
import { StoreLockedError, UnsupportedDatabaseUrl } from '../domain/store-errors.js';
import { HEALTHCHECK_HELP, SCAN_HELP, SERVE_HELP, TOKEN_HELP } from './command-help.js';
import { SECRETS_USAGE } from './secrets-usage.js';
import { EXIT, UsageError } from './usage-error.js';

export const USAGE = `Usage: keyheat <command> [options]

Commands:
  serve [--config FILE] [--host H] [--port P] [--data-dir DIR]
        Run the service: DCS-compatible HTTP API and task runner.
  scan <redis-url> [--top N] [--json] [--pattern P] [pacing flags] [--sample 10s] [TLS flags]
        Analyse one Redis (standalone: every database; cluster: every primary; behind
        Sentinel with redis+sentinel://host:26379/<master_name>: the current primary) and
        print its hot keys. The password may be in the URL or in KEYHEAT_REDIS_PASSWORD; TLS
        takes redis-cli's --cacert, --cert, --key, --sni, --insecure.
  scan <redis-url> --big [--string-bytes N] [--collection-count N] [--per-type N] [--memory]
        Big key analysis: every key's type and size, on a replica of each shard where one
        can be read.
  scan <redis-url> --snapshot [--snapshot-replicas] [--big]   |   scan --rdb dump.rdb [--big]
        Read each primary's RDB (one fork, streamed, never stored) or a saved RDB file instead
        of scanning.
  scan <redis-url> --expired [--scan-keys-count N] [pacing flags]
        The expired key scan: SCAN every primary so Redis reclaims the keys whose TTL has
        passed; prints how many were reclaimed and the TTLs of the keys found.
  scan <redis-url> --offline [--node IP:PORT]   |   scan --rdb dump.rdb --offline
        Offline key analysis of one node's RDB (a fresh one, or a saved file): the largest
        keys and prefixes per type, totals by type. "keyheat scan --help" shows every flag
        and the exit codes.
  token reset [--config FILE] [--data-dir DIR]
        Issue a new admin token for the default project (the old one stops working).
        Run it while keyheat serve is stopped.
  secrets rotate --new-key-file FILE [--old-key-file FILE] [--config FILE] [--data-dir DIR]
        Re-encrypt every stored secret (Redis and Sentinel passwords, TLS keys) with a new key
        (keyheat serve stopped).

Client commands, for a running keyheat serve (over its HTTP API):
  instances list | add --name N --url URL [--password-stdin] | show <instance_id>
            | rm <instance_id>
        Registered Redis deployments. The password may come from KEYHEAT_REDIS_PASSWORD.
  tasks create <instance_id> [--wait] [pacing flags] | list <instance_id> [--status S]
        [--offset N] [--limit N] | show <instance_id> <task_id> | rm <instance_id> <task_id>
        | nodes <instance_id> <task_id> | backups <instance_id>
        Analysis tasks: hot keys, or with --big, --expired (the expired key scan) or --offline
        (offline key analysis, create takes --node IP:PORT [--backup FILE]); "create --wait"
        prints the same table as scan. nodes and backups: what --offline may read.
  autoscan get <instance_id> | set <instance_id> --on|--off [--at HH:mm,...]
        The daily automatic analysis (UTC times); --big its own; --expired the expired key
        scan's, every --interval from --first-scan-at.
        Every client command takes --server URL (default http://127.0.0.1:8080), --project ID,
        --token TOKEN (or KEYHEAT_SERVER, KEYHEAT_PROJECT, KEYHEAT_TOKEN), --timeout MS and
        --json, and exits with scan's codes. "keyheat <command> --help" shows the details.

  healthcheck [--config FILE] [--host H] [--port P]
        Exit 0 when this machine's keyheat serve answers GET /readyz (the container image's
        HEALTHCHECK).

  help [command]  Show this text, or a command's ("keyheat <command> --help" does too).

Every option can also come from the environment (KEYHEAT_CONFIG, KEYHEAT_HOST, KEYHEAT_PORT,
KEYHEAT_DATA_DIR, KEYHEAT_DATABASE_URL, ...); flags beat environment, environment beats file.`;

const CLIENT_GROUPS: readonly string[] = ['instances', 'tasks', 'autoscan'];

/** The help of the commands that run here; `keyheat <command> --help` prints it and exits 0. */
const LOCAL_HELP: Readonly<Record<string, string>> = { serve: SERVE_HELP, scan: SCAN_HELP, token: TOKEN_HELP, secrets: SECRETS_USAGE, healthcheck: HEALTHCHECK_HELP };

export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const localHelp = command === undefined ? undefined : LOCAL_HELP[command];
  if (localHelp !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${localHelp}\n`);
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'serve':
        return await (await import('./serve-command.js')).serveCommand(rest);
      case 'scan':
        return await (await import('./scan-command.js')).scanCommand(rest);
      case 'token':
        return await (await import('./token-command.js')).tokenCommand(rest);
      case 'secrets':
        return await (await import('./secrets-command.js')).secretsCommand(rest);
      case 'healthcheck':
        return await (await import('./healthcheck-command.js')).healthcheckCommand(rest);
      case 'instances':
        return await (await import('./client/instances-command.js')).instancesCommand(rest);
      case 'tasks':
        return await (await import('./client/tasks-command.js')).tasksCommand(rest);
      case 'autoscan':
        return await (await import('./client/autoscan-command.js')).autoscanCommand(rest);
      case 'help':
        // `keyheat help tasks` is `keyheat tasks --help`.
        if (rest[0] !== undefined && (CLIENT_GROUPS.includes(rest[0]) || LOCAL_HELP[rest[0]] !== undefined)) return await runCli([rest[0], '--help']);
        if (rest[0] !== undefined) throw new UsageError(`no help for "${rest[0]}": it is not a command`);
        process.stdout.write(`${USAGE}\n`);
        return EXIT.ok;
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      // The help of the command that was meant, when it is known.
      process.stderr.write(`keyheat: ${error.message}\n\n${error.usage ?? localHelp ?? USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof StoreLockedError || error instanceof UnsupportedDatabaseUrl || error instanceof SecretKeyError) {
      process.stderr.write(`keyheat: ${error.message}\n`);
      return EXIT.failure;
    }
    process.stderr.write(`keyheat: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failure;
  }
}
