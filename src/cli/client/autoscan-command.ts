/**
 * `keyheat autoscan get|set`: the automatic analysis of an instance, over the API. Hot and big
 * keys run at daily UTC times (--at); the expired key scan (--expired) every --interval seconds
 * from --first-scan-at, as DCS's autoscan-config has it. Offline analysis has no schedule.
 */
import { MAX_SCHEDULE_TIMES, SCHEDULE_TIME } from '../../domain/autoscan.js';
import { SCAN_EXIT } from '../../domain/failure-map.js';
import { EXPIRE_LIMITS } from '../../domain/limits.js';
import { kindSpec } from '../../domain/task-kinds.js';
import type { TaskKind } from '../../domain/task-status.js';
import { optionalNumeric } from '../flag-values.js';
import { UsageError } from '../usage-error.js';
import type { ExpireAutoscanBody, ExpireAutoscanWire } from './api-client.js';
import { shown } from './client-errors.js';
import { AUTOSCAN_GET_HELP, AUTOSCAN_HELP, AUTOSCAN_SET_HELP } from './client-help.js';
import { formatAutoscan, formatExpireAutoscan } from './client-output.js';
import { kindOf, kindOptions, kindSuffix } from './kind-flags.js';
import { runGroup, type ClientIo, type CommandContext, type CommandGroup, type Flags } from './run-client.js';

const KINDS = kindOptions();

/** The expired key scan's schedule flags (--timeout is every client command's request timeout). */
const INTERVAL_FLAGS = ['first-scan-at', 'interval', 'run-timeout', 'scan-keys-count'] as const;

const AUTOSCAN: CommandGroup = {
  name: 'autoscan',
  help: AUTOSCAN_HELP,
  subcommands: [
    {
      name: 'get',
      help: AUTOSCAN_GET_HELP,
      options: { ...KINDS },
      args: ['instance_id'],
      run: async ({ api, io, json, flags, usage, args: [instanceId = ''] }) => {
        const kind = scheduledKind(flags, usage);
        const config = kind === 'expire' ? await api.getExpireAutoscan(instanceId) : await api.getAutoscan(instanceId, kind);
        io.stdout.write(json ? `${JSON.stringify(config)}\n` : 'interval' in config ? formatExpireAutoscan(config) : formatAutoscan(config, kind));
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'set',
      help: AUTOSCAN_SET_HELP,
      options: {
        on: { type: 'boolean' },
        off: { type: 'boolean' },
        at: { type: 'string', multiple: true },
        ...KINDS,
        ...Object.fromEntries(INTERVAL_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
      },
      args: ['instance_id'],
      run: set,
    },
  ],
};

export function autoscanCommand(args: readonly string[], io?: ClientIo): Promise<number> {
  return runGroup(AUTOSCAN, args, io);
}

/** The kind asked for, which must have a schedule (offline analysis has none). */
function scheduledKind(flags: Flags, usage: string): TaskKind {
  const kind = kindOf(flags, usage);
  if (kindSpec(kind).schedule === null) throw new UsageError(`${kindSpec(kind).label} has no schedule: run one with keyheat tasks create <instance_id>${kindSuffix(kind)}`, usage);
  return kind;
}

async function set(context: CommandContext): Promise<number> {
  const { api, io, json, flags, usage, args: [instanceId = ''] } = context;
  const kind = scheduledKind(flags, usage);
  if (kindSpec(kind).schedule === 'interval') return setIntervalSchedule(context);
  const given = INTERVAL_FLAGS.find((flag) => flags.string(flag) !== undefined);
  if (given !== undefined) throw new UsageError(`--${given} is for the expired key scan's schedule: add --expired (${kindSpec(kind).label} runs at daily --at times)`, usage);
  const on = flags.boolean('on');
  if (on === flags.boolean('off')) throw new UsageError('autoscan set needs exactly one of --on and --off', usage);
  const at = flags.list('at');
  // PUT replaces the whole setting: without --at, the times already set are sent back unchanged.
  const times = at === undefined ? (await api.getAutoscan(instanceId, kind)).schedule_at : scheduleTimes(at, usage);
  if (on && times.length === 0) throw new UsageError('autoscan set --on needs times: --at HH:mm[,HH:mm...] (UTC)', usage);
  const config = await api.putAutoscan(instanceId, on, times, kind);
  io.stdout.write(json ? `${JSON.stringify(config)}\n` : formatAutoscan(config, kind));
  return SCAN_EXIT.ok;
}

/** The --at values, checked with the service's rule; `--at ""` is the empty list. */
function scheduleTimes(values: readonly string[], usage: string): string[] {
  const times = [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))].sort();
  const bad = times.find((time) => !SCHEDULE_TIME.test(time));
  if (bad !== undefined) throw new UsageError(`--at takes UTC times HH:mm from 00:00 to 23:59, got "${shown(bad)}"`, usage);
  if (times.length > MAX_SCHEDULE_TIMES) throw new UsageError(`--at takes at most ${MAX_SCHEDULE_TIMES} times a day, got ${times.length}`, usage);
  return times;
}

/** ISO 8601 UTC, as the service takes first_scan_at: 2026-12-08T02:00:00Z, milliseconds optional. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
/** Seconds, or a number with a unit: 90s, 30m, 6h, 1d. */
const DURATION = /^(\d{1,10})(s|m|min|h|d)?$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 };
/** The longest interval or timeout taken: what a 32-bit integer column holds. */
const MAX_SECONDS = 2_147_483_647;
/** A first run moved forward must still be ahead of the server's clock when the request arrives. */
const FIRST_RUN_MARGIN_MS = 60_000;

/**
 * `autoscan set --expired`: DCS's autoscan-config. PUT replaces every field: what is not given is
 * sent back as it is, except where keeping it would be refused (a first run already passed when
 * the schedule is on, a timeout under 2 x a new interval). The service's rules are checked here
 * too, so a mistake names its flag before any request.
 */
async function setIntervalSchedule({ api, io, json, flags, usage, args: [instanceId = ''] }: CommandContext): Promise<number> {
  if (flags.list('at') !== undefined) throw new UsageError('--at sets daily times; the expired key scan runs every --interval from --first-scan-at', usage);
  if (flags.boolean('on') && flags.boolean('off')) throw new UsageError('autoscan set takes one of --on and --off', usage);
  const firstGiven = firstScanAt(flags.string('first-scan-at'), usage);
  const intervalGiven = seconds(flags.string('interval'), '--interval', 0, usage);
  const timeoutGiven = seconds(flags.string('run-timeout'), '--run-timeout', 1, usage);
  const countGiven = optionalNumeric(flags.string('scan-keys-count'), '--scan-keys-count', EXPIRE_LIMITS.scanKeysCount);
  if (!flags.boolean('on') && !flags.boolean('off') && [firstGiven, intervalGiven, timeoutGiven, countGiven].every((v) => v === undefined)) {
    throw new UsageError('autoscan set --expired needs something to change: --on, --off, --first-scan-at, --interval, --run-timeout or --scan-keys-count', usage);
  }
  const passed = (first: string): UsageError => new UsageError(`--first-scan-at ${first} has passed: the first run must be later than now`, usage);
  if (flags.boolean('on') && firstGiven !== undefined && Date.parse(firstGiven) <= Date.now()) throw passed(firstGiven);
  const current = await api.getExpireAutoscan(instanceId);
  const enable = flags.boolean('on') ? true : flags.boolean('off') ? false : current.enable_auto_scan;
  const interval = intervalGiven ?? current.interval;
  const timeout = timeoutGiven ?? keptTimeout(current.timeout, interval);
  if (timeoutGiven !== undefined && !timeoutFits(timeoutGiven, interval)) {
    throw new UsageError(`--run-timeout must be ${interval === 0 ? 'more than 1 s with interval 0' : `at least 2 x interval = ${2 * interval} s`}, got ${timeoutGiven} s`, usage);
  }
  const body: ExpireAutoscanBody = {
    enable_auto_scan: enable,
    first_scan_at: firstGiven ?? keptFirstRun(current, interval, enable, usage),
    interval,
    timeout,
    scan_keys_count: countGiven ?? current.scan_keys_count,
  };
  // On already (no --on given): the same rule.
  if (enable && firstGiven !== undefined && Date.parse(firstGiven) <= Date.now()) throw passed(firstGiven);
  const config = await api.putExpireAutoscan(instanceId, body);
  io.stdout.write(json ? `${JSON.stringify(config)}\n` : formatExpireAutoscan(config));
  return SCAN_EXIT.ok;
}

function firstScanAt(value: string | undefined, usage: string): string | undefined {
  if (value === undefined) return undefined;
  if (!ISO_UTC.test(value) || !Number.isFinite(Date.parse(value))) throw new UsageError(`--first-scan-at takes an ISO 8601 UTC time such as 2026-12-08T02:00:00Z, got "${shown(value)}"`, usage);
  return value;
}

/** A duration flag in seconds: 86400, 90s, 30m, 6h, 1d. */
function seconds(value: string | undefined, flag: string, min: number, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const match = DURATION.exec(value.trim());
  const n = match === null ? NaN : Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? NaN);
  if (!(n >= min && n <= MAX_SECONDS)) throw new UsageError(`${flag} takes whole seconds from ${min}, or with a unit (90s, 30m, 6h, 1d), got "${shown(value)}"`, usage);
  return n;
}

/** The service's rule: at least 2 x interval, or more than 1 s for a single run. */
function timeoutFits(timeout: number, interval: number): boolean {
  return interval === 0 ? timeout > 1 : timeout >= 2 * interval;
}

function keptTimeout(timeout: number, interval: number): number {
  if (timeoutFits(timeout, interval)) return timeout;
  return interval === 0 ? 2 : 2 * interval;
}

/** The first run kept; on a schedule turned on whose first run has passed, the next run on the same cadence after a minute from now. */
function keptFirstRun(current: ExpireAutoscanWire, interval: number, enable: boolean, usage: string): string {
  const first = Date.parse(current.first_scan_at);
  const after = Date.now() + FIRST_RUN_MARGIN_MS;
  if (!enable || !Number.isFinite(first) || first > after) return current.first_scan_at;
  if (interval === 0) throw new UsageError(`the first run kept (${shown(current.first_scan_at)}) has passed, and interval 0 runs once: give --first-scan-at`, usage);
  const steps = Math.floor((after - first) / (interval * 1000)) + 1;
  return new Date(first + steps * interval * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
