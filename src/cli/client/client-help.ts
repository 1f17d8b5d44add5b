/** --help of the client commands: every group and every command, with the options they share. */
import { DEFAULT_SERVER, DEFAULT_TIMEOUT_MS } from './connection.js';
import { ownOptionsHelp, sharedOptionsHelp } from './pacing-flags.js';

const CONNECTION = `Connection (flags beat the environment):
  --server URL    keyheat serve's address (KEYHEAT_SERVER; default ${DEFAULT_SERVER})
  --project ID    the project id (KEYHEAT_PROJECT)
  --token TOKEN   an X-Auth-Token of the project (KEYHEAT_TOKEN; prefer the variable:
                  a flag shows in the process list)
  --timeout MS    give up on a request after this long (default ${DEFAULT_TIMEOUT_MS})
  --json          print the API's JSON bodies instead of tables`;

const EXIT_CODES = `Exit codes, as keyheat scan's: 0 done; 2 usage; 3 keyheat unreachable or the token refused,
or the Redis unreachable or refusing its password; 4 the Redis cannot be analysed (DCS.4922:
maxmemory-policy not LFU, Redis < 4.0); 130 interrupted; 1 any other error. A DCS error is
printed with its error_code and error_msg, and keyheat's reason below them.`;

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
  'Hot key analysis tasks of a registered instance, run by a keyheat serve.',
  `  create <instance_id> [--wait]  create a task; --wait follows it and prints the hot keys
  list <instance_id>             list the instance's tasks, newest first
  show <instance_id> <task_id>   show a task, with its hot keys once it succeeded
  rm <instance_id> <task_id>     delete a task (stops it if it is running)`,
  'tasks',
);

export const TASKS_CREATE_HELP = command(
  'tasks create <instance_id> [--big] [--wait] [pacing flags] [options]',
  `Creates a hot key analysis task (POST .../hotkey-task, DCS CreateHotkeyScanTask), or with
--big a big key analysis task (POST .../bigkey-task, DCS CreateBigkeyScanTask). keyheat
first checks that every primary can be reached and, for hot keys, uses an LFU
maxmemory-policy (exit 4 if not); the analysis then runs in the service. Without --wait the
new task is printed at once.`,
  `  --wait               follow the task until it ends: a progress bar on stderr when it is a
                       terminal, then the same table as keyheat scan (with --json, the
                       finished task's JSON). A failed task prints its error_msg and exits
                       with keyheat scan's code for that failure. Ctrl-C stops waiting
                       (exit 130); the task goes on in the service.
Pacing flags, for this task only (as keyheat scan's; a flag not given leaves the value of
the server's configuration, analysis.*):
${sharedOptionsHelp()}
${ownOptionsHelp('hot')}
With --big, what makes a key big (the server's bigkeys.* when not given):
${ownOptionsHelp('big')}`,
);

export const TASKS_LIST_HELP = command(
  'tasks list <instance_id> [--big] [--status S] [--offset N] [--limit N] [options]',
  "Lists an instance's hot key tasks (with --big its big key tasks), newest first (GET .../hotkey-tasks, .../bigkey-tasks), one page at a time.",
  `  --status S   only tasks in this state: waiting, running, success or failed
  --offset N   skip the N newest (default 0)
  --limit N    at most N tasks, 1-1000 (default 10)`,
);

export const TASKS_SHOW_HELP = command(
  'tasks show <instance_id> <task_id> [--big] [options]',
  `Shows a task (GET .../hotkey-task/{task_id}; with --big .../bigkey-task/{task_id}): its state,
its progress while it runs, why it failed, and once it succeeded the same table as keyheat scan
(keyheat scan --big for a big key task).`,
);

export const TASKS_RM_HELP = command(
  'tasks rm <instance_id> <task_id> [--big] [options]',
  'Deletes a task (DELETE .../hotkey-task/{task_id}; with --big a big key task); a running analysis stops at once. Prints the task as it was.',
);

export const AUTOSCAN_HELP = group(
  'autoscan <command> [options]',
  'The daily automatic analysis of an instance: keyheat creates a task at each time (UTC). --big: the big key analysis\'s own schedule.',
  `  get <instance_id> [--big]                              show the settings
  set <instance_id> [--big] --on|--off [--at HH:mm,...]  turn it on or off, at these times`,
  'autoscan',
);

export const AUTOSCAN_GET_HELP = command('autoscan get <instance_id> [--big] [options]', 'Shows the daily automatic analysis settings (GET .../hotkey/autoscan; with --big .../bigkey/autoscan).');

export const AUTOSCAN_SET_HELP = command(
  'autoscan set <instance_id> [--big] --on|--off [--at HH:mm[,HH:mm...]] [options]',
  `Changes the daily automatic analysis (PUT .../hotkey/autoscan; with --big the big key
analysis's, .../bigkey/autoscan) and prints the new settings.
Without --at the times already set are kept; --at replaces them (--at "" clears them).`,
  `  --big       the big key analysis's schedule (independent of the hot key one)
  --on        create a task every day at the times
  --off       stop creating them (the times are kept unless --at is given)
  --at TIMES  UTC times HH:mm, comma-separated or repeated, at most 24: --at 03:00,21:00`,
);
