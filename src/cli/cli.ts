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
import { EXIT, UsageError } from './usage-error.js';

export const USAGE = `Usage: keyheat <command> [options]

Commands:
  serve [--config FILE] [--host H] [--port P] [--data-dir DIR]
        Run the service: DCS-compatible HTTP API and task runner.
  scan <redis-url> [--top N] [--json] [--pattern P] [--max-cpu-share S] [--idle-cpu-share S]
       [--max-block-us US] [--rate KEYS_PER_S] [--batch N] [--busy-batch N] [--timeout MS]
       [--prefix-delimiters CHARS] [--prefix-depth 1-3] [--sample 10s [--sample-replicas]]
        Analyse one Redis (standalone: every database; cluster: every primary) and print
        its hot keys. The password may be in the URL or in KEYHEAT_REDIS_PASSWORD.
        --sample 10s first watches the commands (MONITOR) for 1s-120s and ranks keys by
        measured rate too; it costs Redis throughput while it runs (README), and works
        without an LFU policy. --sample-replicas watches the replicas as well.
        Exit codes: 0 done, 2 usage, 3 unreachable or authentication refused,
        4 not analysable (maxmemory-policy not LFU without --sample, Redis < 4.0,
        MONITOR refused with --sample), 1 other failure.
  scan <redis-url> --big [--string-bytes N] [--collection-count N] [--per-type N] [--memory]
       [--primaries] [--json] [--pattern P] [pacing flags as above]
        Big key analysis: every key's type and size (any Redis version and policy), on a
        replica of each shard where one can be reached, else the primary. Reports per type
        the N biggest keys (default 20) over the thresholds (default: strings over 10240
        bytes, collections over 5000 items), every type's totals and namespaces by size.
        --memory reads MEMORY USAGE of every key too; --primaries reads the primaries.
        Same exit codes; --top and --sample are for hot keys only.
  scan <redis-url> --snapshot [--snapshot-replicas] [--big [thresholds]] [--top N] [--json]
  scan --rdb dump.rdb [--big [thresholds]] [--top N] [--json]
        Read each primary's RDB instead of scanning: it forks once (REPLCONF rdb-only,
        SYNC) and keyheat parses the stream as it arrives; nothing is stored. Hot keys
        come from the RDB's LFU counters, sizes from its encodings; with --big the big key
        result comes from the same pass. --snapshot-replicas takes each shard's RDB from a
        replica (whose counters are its own). --rdb reads a saved RDB file instead. Refused
        (exit 4) where SYNC/REPLCONF are not permitted, repl-diskless-sync is no, or the
        node lacks free memory for the fork (snapshot.max_memory_share); docs/snapshots.md
        says what a fork costs.
  token reset [--config FILE] [--data-dir DIR]
        Issue a new admin token for the default project (the old one stops working).
        Run it while keyheat serve is stopped.
  secrets rotate --new-key-file FILE [--old-key-file FILE] [--config FILE] [--data-dir DIR]
        Re-encrypt every stored Redis password with a new key (keyheat serve stopped).

Client commands, for a running keyheat serve (over its HTTP API):
  instances list | add --name N --url URL [--password-stdin] | show <instance_id>
            | rm <instance_id>
        Registered Redis deployments. The password may come from KEYHEAT_REDIS_PASSWORD.
  tasks create <instance_id> [--wait] [pacing flags] | list <instance_id> [--status S]
        [--offset N] [--limit N] | show <instance_id> <task_id> | rm <instance_id> <task_id>
        Hot key analysis tasks; "create --wait" prints the same table as scan.
  autoscan get <instance_id> | set <instance_id> --on|--off [--at HH:mm,...]
        The daily automatic analysis (UTC times).
        Every client command takes --server URL (default http://127.0.0.1:8080), --project ID,
        --token TOKEN (or KEYHEAT_SERVER, KEYHEAT_PROJECT, KEYHEAT_TOKEN), --timeout MS and
        --json, and exits with scan's codes. "keyheat <command> --help" shows the details.

  help [command]  Show this text, or a client command's.

Every option can also come from the environment (KEYHEAT_CONFIG, KEYHEAT_HOST, KEYHEAT_PORT,
KEYHEAT_DATA_DIR, KEYHEAT_DATABASE_URL, ...); flags beat environment, environment beats file.`;

const CLIENT_GROUPS: readonly string[] = ['instances', 'tasks', 'autoscan'];

export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
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
      case 'instances':
        return await (await import('./client/instances-command.js')).instancesCommand(rest);
      case 'tasks':
        return await (await import('./client/tasks-command.js')).tasksCommand(rest);
      case 'autoscan':
        return await (await import('./client/autoscan-command.js')).autoscanCommand(rest);
      case 'help':
        // `keyheat help tasks` is `keyheat tasks --help`.
        if (rest[0] !== undefined && CLIENT_GROUPS.includes(rest[0])) return await runCli([rest[0], '--help']);
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
      process.stderr.write(`keyheat: ${error.message}\n\n${error.usage ?? USAGE}\n`);
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
