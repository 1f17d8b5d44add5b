/**
 * The client commands' command lines: usage errors (exit 2, with the help of the command meant)
 * and --help of every group and command. No keyheat serve is needed: none of this may reach it.
 */
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { autoscanCommand } from '../../src/cli/client/autoscan-command.js';
import { instancesCommand } from '../../src/cli/client/instances-command.js';
import type { ClientIo } from '../../src/cli/client/run-client.js';
import { tasksCommand } from '../../src/cli/client/tasks-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { memoryIo, sink } from '../helpers/client-io.js';
import { runKeyheatToEnd, type RunOptions } from '../helpers/keyheat-process.js';
import { freePort } from '../helpers/redis-server.js';

const GROUPS: Record<string, (args: readonly string[], io: ClientIo) => Promise<number>> = { instances: instancesCommand, tasks: tasksCommand, autoscan: autoscanCommand };

/** A complete connection to a port nobody listens on: a request would end in exit 3, not in a usage error. */
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  env = { KEYHEAT_SERVER: `http://127.0.0.1:${await freePort()}`, KEYHEAT_PROJECT: 'p1', KEYHEAT_TOKEN: 'client-usage-token-0000000001', KEYHEAT_REDIS_PASSWORD: '' };
});

function keyheat(args: readonly string[], options: RunOptions = {}): ReturnType<typeof runKeyheatToEnd> {
  return runKeyheatToEnd(args, { ...options, env: { ...env, ...options.env } });
}

describe('client usage errors', () => {
  it('exits 2 on a command line it cannot run, with the help of the command meant', async () => {
    const lines: (readonly string[])[] = [['tasks'], ['instances', 'show', '../etc'], ['tasks', 'list', 'i1', '--limit', '0']];
    const runs = await Promise.all(lines.map((args) => keyheat(args)));
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(runs[0]!.stderr).toMatch(/^keyheat: tasks needs a command: create\|list\|show\|rm\|nodes\|backups\n\nUsage: keyheat tasks <command>/);
    expect(runs[1]!.stderr).toMatch(/^keyheat: instance_id must be 1 to 64 letters, digits, "_" or "-", got "\.\.\/etc"\n\nUsage: keyheat instances show <instance_id>/);
    expect(runs[2]!.stderr).toMatch(/^keyheat: --limit must be an integer from 1 to 1000, got "0"\n\nUsage: keyheat tasks list <instance_id>/);
    const noProject = await keyheat(['instances', 'list'], { env: { KEYHEAT_PROJECT: '' } });
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toMatch(/^keyheat: no project: give --project ID or set KEYHEAT_PROJECT/);
    const empty = await keyheat(['instances', 'add', '--name', 'x', '--url', 'redis://127.0.0.1:1', '--password-stdin'], { input: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^keyheat: --password-stdin: standard input was empty/);
  });

  it('refuses every other bad command line before any request', async () => {
    const io = memoryIo(env);
    const lines: [string, readonly string[]][] = [
      ['tasks', ['start', 'x']],
      ['tasks', ['show', 'only-instance']],
      ['tasks', ['show', 'a', 'b', 'c']],
      ['instances', ['list', '--bogus']],
      ['instances', ['add', '--url', 'redis://127.0.0.1:1']],
      ['instances', ['add', '--name', 'x', '--url', 'http://127.0.0.1:1']],
      ['tasks', ['list', 'i1', '--status', 'done']],
      ['tasks', ['create', 'i1', '--max-cpu-share', '2']],
      ['autoscan', ['set', 'i1', '--on', '--off']],
      ['autoscan', ['set', 'i1', '--on', '--at', '24:00']],
      ['autoscan', ['set', 'i1', '--on', '--at', '']],
      ['instances', ['list', '--server', 'ftp://127.0.0.1']],
      ['instances', ['list', '--timeout', 'soon']],
      ['instances', ['list', '--token', 'two words']],
      ['tasks', ['create', 'i1', '--offline']],
      ['tasks', ['create', 'i1', '--expired', '--offline']],
      ['tasks', ['create', 'i1', '--expired', '--top-keys', '5']],
      ['tasks', ['nodes', 'i1']],
      ['tasks', ['backups', 'i1', 't1']],
      ['autoscan', ['get', 'i1', '--offline']],
      ['autoscan', ['set', 'i1', '--expired', '--at', '03:00']],
      ['autoscan', ['set', 'i1', '--expired', '--interval', 'daily']],
      ['autoscan', ['set', 'i1', '--on', '--at', '03:00', '--first-scan-at', '2099-01-01T00:00:00Z']],
    ];
    for (const [group, args] of lines) {
      const run = GROUPS[group]!(args, io);
      await expect(run, `${group} ${args.join(' ')}`).rejects.toBeInstanceOf(UsageError);
      await expect(run.catch((error: UsageError) => error.usage)).resolves.toMatch(new RegExp(`^Usage: keyheat ${group} `));
    }
    await expect(GROUPS['instances']!(['list'], memoryIo({ ...env, KEYHEAT_TOKEN: '' }))).rejects.toThrow(/^no token: set KEYHEAT_TOKEN/);
    // A password is never read from a terminal (it would echo), nor sent with a line break in it.
    const add = ['add', '--name', 'x', '--url', 'redis://127.0.0.1:1', '--password-stdin'];
    const terminal = { ...memoryIo(env), stdin: Object.assign(Readable.from([]), { isTTY: true }) };
    await expect(GROUPS['instances']!(add, terminal)).rejects.toThrow(/^--password-stdin reads a pipe, not a terminal/);
    await expect(GROUPS['instances']!(add, memoryIo(env, { input: 'pass\r\nAUTH x\n' }))).rejects.toThrow(/^invalid Redis URL: /);
  });
});

describe('keyheat help for the client commands', () => {
  const commands: Record<string, readonly string[]> = {
    instances: ['list', 'add', 'show', 'rm'],
    tasks: ['create', 'list', 'show', 'rm', 'nodes', 'backups'],
    autoscan: ['get', 'set'],
  };

  it('documents every group and every command with its flags, the connection and the exit codes', async () => {
    const groups = await Promise.all(Object.keys(commands).map((group) => keyheat([group, '--help'])));
    const texts = new Map<string, string>();
    Object.keys(commands).forEach((group, i) => {
      expect(groups[i]!.code).toBe(0);
      texts.set(group, groups[i]!.stdout);
    });
    // The commands' own help, in this process: the same code the processes above ran.
    for (const [group, subs] of Object.entries(commands)) {
      for (const sub of subs) {
        const out: string[] = [];
        expect(await GROUPS[group]!([sub, '--help'], { ...memoryIo(env), stdout: sink(out) })).toBe(0);
        texts.set(`${group} ${sub}`, out.join(''));
      }
    }
    for (const [name, text] of texts) {
      const [group, sub] = name.split(' ');
      expect(text, name).toMatch(new RegExp(`^Usage: keyheat ${group} ${sub ?? '<command>'}`));
      expect(text, name).toMatch(/\nConnection \(flags beat the environment\):\n {2}--server URL .*KEYHEAT_SERVER/);
      expect(text, name).toMatch(/\nExit codes, as keyheat scan's: 0 done; 2 usage; 3 /);
    }
    for (const sub of commands['tasks']!) expect(texts.get('tasks')).toMatch(new RegExp(`\\n {2}${sub} `));
    expect(texts.get('instances add')).toMatch(/--password-stdin[\s\S]*KEYHEAT_REDIS_PASSWORD/);
    expect(texts.get('tasks create')).toMatch(/--wait[\s\S]*--max-cpu-share S[\s\S]*--idle-cpu-share S[\s\S]*--max-block-us US[\s\S]*--batch N[\s\S]*--busy-batch N[\s\S]*--rate KEYS_PER_S/);
    expect(texts.get('tasks list')).toMatch(/--status S[\s\S]*--offset N[\s\S]*--limit N/);
    expect(texts.get('autoscan set')).toMatch(/--on[\s\S]*--off[\s\S]*--at TIMES[\s\S]*--expired[\s\S]*--first-scan-at ISO[\s\S]*--interval S[\s\S]*--run-timeout S[\s\S]*--scan-keys-count N/);
    for (const text of [texts.get('tasks create'), texts.get('tasks list'), texts.get('tasks show'), texts.get('tasks rm')]) expect(text).toMatch(/\[--big\|--expired\|--offline\]/);
    expect(texts.get('tasks create')).toMatch(/--offline[\s\S]*--node IP:PORT[\s\S]*--backup FILE/);
    expect(texts.get('tasks')).toMatch(/DCS\.4919, DCS\.4818, DCS\.4026/);
  });

  it('lists the client commands in the top-level usage, and "help <command>" shows its help', async () => {
    const [top, help, direct] = await Promise.all([keyheat(['--help']), keyheat(['help', 'tasks']), keyheat(['tasks', '--help'])]);
    expect(top.stdout).toMatch(/\n {2}instances list \| add [\s\S]*\n {2}tasks create <instance_id> \[--wait\][\s\S]*\n {2}autoscan get <instance_id> \| set/);
    expect(top.stdout).toMatch(/KEYHEAT_SERVER, KEYHEAT_PROJECT, KEYHEAT_TOKEN/);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(direct.stdout);
  });
});


describe('the help of the commands that run here', () => {
  it('prints each command\'s own help for --help, -h and "help <command>", and exits 0', async () => {
    const runs = await Promise.all(
      ['serve', 'scan', 'token', 'secrets'].flatMap((command) => [
        keyheat([command, '--help']).then((run) => ({ command, run })),
        keyheat([command, '-h']).then((run) => ({ command, run })),
        keyheat(['help', command]).then((run) => ({ command, run })),
      ]),
    );
    for (const { command, run } of runs) {
      expect(run.code, `${command}: ${run.stderr}`).toBe(0);
      expect(run.stdout, command).toMatch(new RegExp(`^Usage: keyheat ${command}`));
    }
    const scan = runs.find((r) => r.command === 'scan')?.run.stdout ?? '';
    expect(scan).toMatch(/redis\+sentinel:\/\/[\s\S]*KEYHEAT_SENTINEL_PASSWORD[\s\S]*--cacert FILE[\s\S]*--cert FILE[\s\S]*--key FILE[\s\S]*--sni NAME[\s\S]*--insecure[\s\S]*docs\/acl\.md[\s\S]*Exit codes/);
    // A usage error of scan shows scan's help, not the whole usage.
    const wrong = await keyheat(['scan', '--no-such-flag']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/\n\nUsage: keyheat scan <redis-url>/);
    const unknown = await keyheat(['help', 'nothing']);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/no help for "nothing"/)]);
  });
});
