/** --help of the client commands: every group and every command, with the options they share. */
import { ERROR_CATALOGUE } from '../../domain/errors.js';
import { EXPIRE_LIMITS } from '../../domain/limits.js';
import { TASK_KIND_SPECS } from '../../domain/task-kinds.js';
import { DEFAULT_SERVER, DEFAULT_TIMEOUT_MS } from './connection.js';
import { ownOptionsHelp, sharedOptionsHelp } from './pacing-flags.js';

const CONNECTION = `Connection (flags beat the environment):
  --server URL    keyheat serve's address (KEYHEAT_SERVER; default ${DEFAULT_SERVER})
  --project ID    the project id (KEYHEAT_PROJECT)
  --token TOKEN   an X-Auth-Token of the project (KEYHEAT_TOKEN; prefer the variable:
                  a flag shows in the process list)
  --timeout MS    give up on a request after this long (default ${DEFAULT_TIMEOUT_MS})
  --json          print the API's JSON bodies instead of tables`;

/** Each kind's "cannot be analysed so" code: DCS.4922, DCS.4919, DCS.4818, DCS.4026. */
const UNSUPPORTED = Object.values(TASK_KIND_SPECS).map((spec) => ERROR_CATALOGUE[spec.errors.unsupported].dcsCode);

const EXIT_CODES = `Exit codes, as keyheat scan's: 0 done; 2 usage; 3 keyheat unreachable or the token refused,
or the Redis unreachable or refusing its password; 4 the Redis cannot be analysed (DCS.4922:
maxmemory-policy not LFU, Redis < 4.0; ${UNSUPPORTED.slice(1).join(', ')}: the same for big keys,
the expired key scan, offline analysis); 130 interrupted; 1 any other error. A DCS error is
printed with its error_code and error_msg, and keyheat's reason below them.`;

/** The kind flags: one at most; without one, hot keys. */
const KINDS = `Kinds (one at most; without one, hot key analysis):
  --big        big key analysis (.../${TASK_KIND_SPECS.big.dcs.create}, .../${TASK_KIND_SPECS.big.dcs.list})
  --expired    the expired key scan (.../${TASK_KIND_SPECS.expire.dcs.create}, .../${TASK_KIND_SPECS.expire.dcs.list})
  --offline    offline key analysis of one node's RDB (.../${TASK_KIND_SPECS.offline.dcs.create})`;

const group = (usage: string, about: string, commands: string, name: string): string =>
  `Usage: keyheat ${usage}\n\n${about}\n\nCommands:\n${commands}\n\n"keyheat ${name} <command> --help" shows a command's options.\n\n${CONNECTION}\n\n${EXIT_CODES}`;

const command = (usage: string, about: string, options = ''): string =>
  `Usage: keyheat ${usage}\n\n${about}\n${options === '' ? '' : `\nOptions:\n${options}\n`}\n${CONNECTION}\n\n${EXIT_CODES}`;

export const INSTANCES_HELP = group(
  'instances <command> [options]',
  'The Redis deployments (standalone or cluster) registered with a running keyheat serve.',
  `  list                            list the registered instances
  add --name N --url redis://...  register a Redis (keyheat connects to it first)
  show <instance_id>              show one instance
  rm <instance_id>                unregister an instance, with its tasks`,
  'instances',
);

export const INSTANCES_LIST_HELP = command('instances list [options]', 'Lists the instances of the project (GET /instances).');

export const INSTANCES_ADD_HELP = command(
  'instances add --name NAME --url URL [--password-stdin] [options]',
  `Registers a Redis deployment (POST /instances) and prints it. keyheat connects to it before
answering, to read its version and mode; for a cluster give any node. The password is read
from standard input with --password-stdin, else from KEYHEAT_REDIS_PASSWORD (as keyheat scan
does), else from the URL (redis://:PASSWORD@HOST:PORT, which shows in the process list).
keyheat never shows a password again.`,
  `  --name NAME        a name for people (1-255 characters)
  --url URL          redis://[USER@]HOST[:PORT], or rediss:// for TLS
  --password-stdin   read the Redis password from standard input, not a terminal:
                     printf '%s' "$PW" | keyheat instances add --password-stdin ...`,
);

export const INSTANCES_SHOW_HELP = command('instances show <instance_id> [options]', 'Shows one instance (GET /instances/{instance_id}).');

export const INSTANCES_RM_HELP = command(
  'instances rm <instance_id> [options]',
  `Unregisters an instance with all its tasks (DELETE /instances/{instance_id}); a running
analysis of it stops. With --json nothing is printed (the API answers 204 without a body).`,
);

export const TASKS_HELP = group(
  'tasks <command> [options]',
  `Analysis tasks of a registered instance, run by a keyheat serve: hot keys (the default), big
keys (--big), the expired key scan (--expired), offline key analysis of one node's RDB
(--offline).

${KINDS}`,
  `  create <instance_id> [kind] [--wait]  create a task; --wait follows it and prints its result
  list <instance_id> [kind]             list the instance's tasks of a kind, newest first
  show <instance_id> <task_id> [kind]   show a task, with its result once it succeeded
  rm <instance_id> <task_id> [kind]     delete a task (stops it if it is running)
  nodes <instance_id> <task_id>         the nodes an offline analysis may read (--node)
  backups <instance_id>                 the saved RDB files an offline analysis may read (--backup)`,
  'tasks',
);

export const TASKS_CREATE_HELP = command(
  'tasks create <instance_id> [--big|--expired|--offline] [--wait] [option flags] [options]',
  `Creates a hot key analysis task (POST .../hotkey-task, DCS CreateHotkeyScanTask); with --big a
big key analysis task (POST .../bigkey-task, DCS CreateBigkeyScanTask); with --expired an
expired key scan (POST .../scan-expire-keys-task, DCS ScanExpireKey), which SCANs every primary
so Redis reclaims the keys whose TTL has passed; with --offline an offline key analysis of one
node's RDB (POST .../offline/key-analysis, DCS CreateOfflineKeyAnalysis): a fresh RDB the node
sends, or with --backup a saved one. keyheat first checks that the nodes can be reached and, for
hot keys, use an LFU maxmemory-policy (exit 4 if not); the analysis then runs in the service.
Without --wait the new task is printed at once.`,
  `  --wait               follow the task until it ends: on a terminal a progress bar on stderr
                       (for --expired and --offline, which report no progress, the time
                       it has run), then the same table as keyheat scan with the kind's flag
                       (with --json, the finished task's JSON). A failed task prints its
                       error_msg and exits with keyheat scan's code for that failure. Ctrl-C
                       stops waiting (exit 130); the task goes on in the service.
  --big                a big key analysis task
  --expired            an expired key scan
  --offline            an offline key analysis of one node's RDB
Pacing flags, for this task only (as keyheat scan's; a flag not given leaves the value of
the server's configuration, analysis.*); a flag marked with kinds is for those only:
${sharedOptionsHelp()}
Hot keys only (no kind flag):
${ownOptionsHelp('hot')}
With --big, what makes a key big (the server's bigkeys.* when not given):
${ownOptionsHelp('big')}
With --expired (the pacing flags above apply too):
${ownOptionsHelp('expire')}
With --offline (--node is required; "keyheat tasks backups" lists the backups):
${ownOptionsHelp('offline')}`,
);

export const TASKS_LIST_HELP = command(
  'tasks list <instance_id> [--big|--expired|--offline] [--status S] [--offset N] [--limit N] [options]',
  `Lists an instance's tasks of one kind, newest first, one page at a time: hot key tasks (GET
.../hotkey-tasks), with --big big key tasks (.../bigkey-tasks), with --expired expired key
scans with the keys each reclaimed (.../auto-expire/histories), with --offline offline
analyses (.../offline/key-analysis).`,
  `  --status S   only tasks in this state: waiting, running, success or failed
  --offset N   skip the N newest (default 0)
  --limit N    at most N tasks, 1-1000 (default 10)`,
);

export const TASKS_SHOW_HELP = command(
  'tasks show <instance_id> <task_id> [--big|--expired|--offline] [options]',
  `Shows a task (GET .../hotkey-task/{task_id}; with --big .../bigkey-task/{task_id}; with
--expired .../auto-expire/histories/{task_id}; with --offline .../offline/key-analysis/{task_id}):
its state, its progress while it runs, why it failed, and once it succeeded the same table as
keyheat scan prints with the kind's flag.`,
);

export const TASKS_RM_HELP = command(
  'tasks rm <instance_id> <task_id> [--big|--expired|--offline] [options]',
  `Deletes a task (DELETE .../hotkey-task/{task_id}; with --big a big key task, --expired an
expired key scan, --offline an offline analysis); a running analysis stops at once (keys an
expired key scan already reclaimed stay reclaimed). Prints the task as it was (an offline
analysis: its id).`,
);

export const TASKS_NODES_HELP = command(
  'tasks nodes <instance_id> <task_id> [options]',
  `Lists the instance's nodes an offline key analysis may read, every primary and usable replica
with its role and shard (GET .../offline/key-analysis/{task_id}/nodes, DCS
ListOfflineKeyAnalysisNodes): what "tasks create --offline --node" takes. The API lists them
under an offline analysis of the instance: give the id of any of them (keyheat tasks list
<instance_id> --offline). A standalone instance has one node: its address.`,
);

export const TASKS_BACKUPS_HELP = command(
  'tasks backups <instance_id> [options]',
  `Lists the saved RDB files an offline key analysis of the instance may read, newest first (GET
.../backups): the files under <offline.backup_dir>/<instance_id>/ on the keyheat server, where
backup jobs put redis-cli --rdb or BGSAVE copies. "tasks create --offline --backup FILE" reads
one instead of a fresh RDB of the node.`,
);

export const AUTOSCAN_HELP = group(
  'autoscan <command> [options]',
  `The automatic analysis of an instance: keyheat creates a task at each time (UTC). --big: the
big key analysis's own daily schedule; --expired: the expired key scan's, every --interval
from --first-scan-at (DCS's autoscan-config). Offline analysis has no schedule.`,
  `  get <instance_id> [--big|--expired]                    show the settings
  set <instance_id> [--big] --on|--off [--at HH:mm,...]  turn it on or off, at these times
  set <instance_id> --expired [--on|--off] [--first-scan-at ISO] [--interval S]
      [--run-timeout S] [--scan-keys-count N]            the expired key scan's schedule`,
  'autoscan',
);

export const AUTOSCAN_GET_HELP = command(
  'autoscan get <instance_id> [--big|--expired] [options]',
  `Shows the automatic analysis settings (GET .../hotkey/autoscan; with --big .../bigkey/autoscan;
with --expired .../scan-expire-keys/autoscan-config, in seconds).`,
);

export const AUTOSCAN_SET_HELP = command(
  'autoscan set <instance_id> [--big] --on|--off [--at HH:mm[,HH:mm...]] [options]\n       keyheat autoscan set <instance_id> --expired [--on|--off] [--first-scan-at ISO] [--interval S] [--run-timeout S] [--scan-keys-count N] [options]',
  `Changes the automatic analysis (PUT .../hotkey/autoscan; with --big the big key analysis's,
.../bigkey/autoscan; with --expired the expired key scan's, .../scan-expire-keys/autoscan-config)
and prints the new settings. Daily schedules: without --at the times already set are kept; --at
replaces them (--at "" clears them). The expired key scan's: runs at first_scan_at + k x
interval, each failed after its timeout; a setting not given is kept; turned on without
--first-scan-at when the one kept has passed, the next run after a minute from now on the same
cadence becomes the first (interval 0 needs a new --first-scan-at).`,
  `  --big                 the big key analysis's daily schedule (independent of the hot key one)
  --on                  create a task every day at the times (--expired: every interval)
  --off                 stop creating them (the times are kept unless --at is given)
  --at TIMES            UTC times HH:mm, comma-separated or repeated, at most 24: --at 03:00,21:00
  --expired             the expired key scan's schedule, with:
  --first-scan-at ISO   the first run, ISO 8601 UTC: 2026-12-08T02:00:00Z (later than now to turn it on)
  --interval S          time between runs: seconds, or 90s, 30m, 6h, 1d; 0 = the first run only
  --run-timeout S       a run still going after this long fails (at least 2 x interval; over 1 s
                        with interval 0); not given: the one kept, raised to 2 x interval if it
                        must be (--timeout is the client's own request timeout)
  --scan-keys-count N   keys per SCAN page (SCAN COUNT), ${EXPIRE_LIMITS.scanKeysCount.min}-${EXPIRE_LIMITS.scanKeysCount.max}`,
);
