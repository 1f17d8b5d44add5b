/** `keyheat instances list|add|show|rm`: registered Redis deployments, over the API. */
import { parseRedisUrl } from '../../redis/redis-url.js';
import { SCAN_EXIT } from '../../domain/failure-map.js';
import type { RedisTls } from '../../domain/instance.js';
import { REDIS_TLS_OPTIONS, tlsFromFlags } from '../redis-tls-flags.js';
import { UsageError } from '../usage-error.js';
import type { RegisterRequest } from './api-client.js';
import { INSTANCES_ADD_HELP, INSTANCES_HELP, INSTANCES_LIST_HELP, INSTANCES_RM_HELP, INSTANCES_SHOW_HELP } from './client-help.js';
import { formatInstance, formatInstances } from './client-output.js';
import { runGroup, type ClientIo, type CommandContext, type CommandGroup } from './run-client.js';

/** The wire's bound on `password` (RegisterInstanceBody); more on stdin is a mistake, not a password. */
const MAX_PASSWORD_CHARS = 1024;

const INSTANCES: CommandGroup = {
  name: 'instances',
  help: INSTANCES_HELP,
  subcommands: [
    {
      name: 'list',
      help: INSTANCES_LIST_HELP,
      options: {},
      args: [],
      run: async ({ api, io, json }) => {
        const list = await api.listInstances();
        io.stdout.write(json ? `${JSON.stringify(list)}\n` : formatInstances(list.instances));
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'add',
      help: INSTANCES_ADD_HELP,
      options: { name: { type: 'string' }, url: { type: 'string' }, 'password-stdin': { type: 'boolean' }, ...REDIS_TLS_OPTIONS },
      args: [],
      run: async (context) => {
        const instance = await context.api.addInstance(await registration(context));
        context.io.stdout.write(context.json ? `${JSON.stringify(instance)}\n` : formatInstance(instance));
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'show',
      help: INSTANCES_SHOW_HELP,
      options: {},
      args: ['instance_id'],
      run: async ({ api, io, json, args: [id = ''] }) => {
        const instance = await api.getInstance(id);
        io.stdout.write(json ? `${JSON.stringify(instance)}\n` : formatInstance(instance));
        return SCAN_EXIT.ok;
      },
    },
    {
      name: 'rm',
      help: INSTANCES_RM_HELP,
      options: {},
      args: ['instance_id'],
      run: async ({ api, io, json, args: [id = ''] }) => {
        await api.removeInstance(id);
        if (!json) io.stdout.write(`Instance ${id} removed, with its tasks.\n`);
        return SCAN_EXIT.ok;
      },
    },
  ],
};

export function instancesCommand(args: readonly string[], io?: ClientIo): Promise<number> {
  return runGroup(INSTANCES, args, io);
}

/** The POST body; the URL is checked here too, so a typo is a usage error (2) before any request. */
async function registration({ flags, io, usage }: CommandContext): Promise<RegisterRequest> {
  const name = flags.string('name');
  const url = flags.string('url');
  if (name === undefined || name === '') throw new UsageError('instances add needs --name NAME', usage);
  if (url === undefined) throw new UsageError('instances add needs --url redis://HOST:PORT', usage);
  const password = flags.boolean('password-stdin') ? await readPassword(io, usage) : io.env['KEYHEAT_REDIS_PASSWORD'];
  const sentinelPassword = /^rediss?\+sentinel:/i.test(url) ? io.env['KEYHEAT_SENTINEL_PASSWORD'] : undefined;
  const tls = tlsFromFlags({ cacert: flags.string('cacert'), cert: flags.string('cert'), key: flags.string('key'), sni: flags.string('sni'), insecure: flags.boolean('insecure') }, usage);
  try {
    parseRedisUrl(url, { password: password ?? null, sentinelPassword: sentinelPassword ?? null, tls });
  } catch (error) {
    throw new UsageError(`invalid Redis URL: ${(error as Error).message}`, usage);
  }
  return {
    name,
    url,
    ...(password === undefined || password === '' ? {} : { password }),
    ...(sentinelPassword === undefined || sentinelPassword === '' ? {} : { sentinel_password: sentinelPassword }),
    ...(tls === null ? {} : { tls: tlsToWire(tls) }),
  };
}

/** The API's `tls` object: only what was given. */
function tlsToWire(tls: RedisTls): NonNullable<RegisterRequest['tls']> {
  return {
    ...(tls.ca === null ? {} : { ca: tls.ca }),
    ...(tls.cert === null ? {} : { cert: tls.cert }),
    ...(tls.key === null ? {} : { key: tls.key }),
    ...(tls.servername === null ? {} : { servername: tls.servername }),
    ...(tls.insecure ? { insecure: true } : {}),
  };
}

/** The whole of stdin, without the newline `echo` or a here-string adds; never from a terminal, where it would echo. */
async function readPassword(io: ClientIo, usage: string): Promise<string> {
  if (io.stdin.isTTY === true) throw new UsageError('--password-stdin reads a pipe, not a terminal: printf \'%s\' "$PW" | keyheat instances add ...', usage);
  let text = '';
  for await (const chunk of io.stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.length > MAX_PASSWORD_CHARS + 2) throw new UsageError(`the password on stdin is longer than ${MAX_PASSWORD_CHARS} characters`, usage);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--password-stdin: standard input was empty', usage);
  return password;
}
