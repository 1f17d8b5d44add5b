/** `keyheat autoscan get|set`: the daily automatic analysis of an instance, over the API. */
import { MAX_SCHEDULE_TIMES, SCHEDULE_TIME } from '../../domain/autoscan.js';
import { SCAN_EXIT } from '../../domain/failure-map.js';
import { UsageError } from '../usage-error.js';
import { shown } from './client-errors.js';
import { AUTOSCAN_GET_HELP, AUTOSCAN_HELP, AUTOSCAN_SET_HELP } from './client-help.js';
import { formatAutoscan } from './client-output.js';
import { runGroup, type ClientIo, type CommandContext, type CommandGroup } from './run-client.js';

const AUTOSCAN: CommandGroup = {
  name: 'autoscan',
  help: AUTOSCAN_HELP,
  subcommands: [
    {
      name: 'get',
      help: AUTOSCAN_GET_HELP,
      options: { big: { type: 'boolean' } },
      args: ['instance_id'],
      run: async ({ api, io, json, flags, args: [instanceId = ''] }) => {
        const kind = flags.boolean('big') ? 'big' : 'hot';
        const config = await api.getAutoscan(instanceId, kind);
        io.stdout.write(json ? `${JSON.stringify(config)}\n` : formatAutoscan(config, kind));
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'set',
      help: AUTOSCAN_SET_HELP,
      options: { on: { type: 'boolean' }, off: { type: 'boolean' }, at: { type: 'string', multiple: true }, big: { type: 'boolean' } },
      args: ['instance_id'],
      run: set,
    },
  ],
};

export function autoscanCommand(args: readonly string[], io?: ClientIo): Promise<number> {
  return runGroup(AUTOSCAN, args, io);
}

async function set({ api, io, json, flags, usage, args: [instanceId = ''] }: CommandContext): Promise<number> {
  const on = flags.boolean('on');
  if (on === flags.boolean('off')) throw new UsageError('autoscan set needs exactly one of --on and --off', usage);
  const given = flags.list('at');
  const kind = flags.boolean('big') ? 'big' : 'hot';
  // PUT replaces the whole setting: without --at, the times already set are sent back unchanged.
  const times = given === undefined ? (await api.getAutoscan(instanceId, kind)).schedule_at : scheduleTimes(given, usage);
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
