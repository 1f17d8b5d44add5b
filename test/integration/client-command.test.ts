/**
 * The client commands (instances, tasks, autoscan) as a user runs them: each a real keyheat
 * process talking HTTP to a real `keyheat serve` process, which analyses real Redis servers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasksCommand } from '../../src/cli/client/tasks-command.js';
import { memoryIo } from '../helpers/client-io.js';
import { runKeyheat, runKeyheatToEnd, type KeyheatProcess, type RunOptions } from '../helpers/keyheat-process.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

const PROJECT = 'p1';
const TOKEN = 'client-test-admin-token-00000001';
const READONLY = 'client-test-readonly-token-00001';
const PASSWORD = 'pw-client-1';
/** What the progress line writes before each redraw, as a regular expression: CR, ESC [ K. */
const CLEAR_LINE = '\\r\\u001b\\[K';

let serve: KeyheatProcess;
let server: string;
let dataDir: string;
let redis: RedisServer;
/** 3000 cold keys: a task paced with --rate runs long enough to be watched, interrupted or broken. */
let slow: RedisServer;
let lru: RedisServer;
const redisServers: RedisServer[] = [];

beforeAll(async () => {
  [redis, slow, lru] = await Promise.all([
    startRedis({ password: PASSWORD, lfuLogFactor: 0, lfuDecayTime: 0 }),
    startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 }),
    startRedis({ policy: 'volatile-lru' }),
  ]);
  redisServers.push(redis, slow, lru);
  // With lfu-log-factor 0 and no decay, OBJECT FREQ = 5 + reads.
  await seedRedis(redis, [
    { name: 'user:42', db: 0, type: 'string', size: 3, hits: 40 },
    { name: 'cart:7', db: 0, type: 'hash', size: 2, hits: 25 },
    { name: 'feed:today', db: 1, type: 'list', size: 4, hits: 10 },
  ], 500);
  await seedRedis(slow, [{ name: 'slow:hot', db: 0, type: 'string', size: 1, hits: 20 }], 3000);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-client-'));
  const config = path.join(dataDir, 'keyheat.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      data_dir: dataDir,
      log: { level: 'warn' },
      runner: { poll_interval_ms: 100 },
      projects: [{ project_id: PROJECT, tokens: [TOKEN], readonly_tokens: [READONLY] }],
    }),
  );
  const port = await freePort();
  server = `http://127.0.0.1:${port}`;
  serve = runKeyheat(['serve', '--config', config, '--port', String(port)]);
  await serve.waitFor(/listening on/);
});

afterAll(async () => {
  if (serve !== undefined && serve.child.exitCode === null) {
    serve.child.kill('SIGKILL');
    await serve.exited();
  }
  await Promise.all(redisServers.map((r) => r.stop()));
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

/** keyheat with the connection in the environment, as a user would export it. */
function keyheat(args: readonly string[], options: RunOptions = {}): ReturnType<typeof runKeyheatToEnd> {
  return runKeyheatToEnd(args, { ...options, env: connectionEnv(options.env) });
}

function connectionEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { KEYHEAT_SERVER: server, KEYHEAT_PROJECT: PROJECT, KEYHEAT_TOKEN: TOKEN, KEYHEAT_REDIS_PASSWORD: '', ...extra };
}

async function addInstance(name: string, target: RedisServer, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const added = await keyheat(['instances', 'add', '--name', name, '--url', `redis://127.0.0.1:${target.port}`, '--json'], { env });
  expect(added.code, added.output).toBe(0);
  return (JSON.parse(added.stdout) as { instance_id: string }).instance_id;
}

/** Straight to the API: the id of the instance's running task once its scan has begun. */
async function runningTask(instanceId: string): Promise<string> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const response = await fetch(`${server}/v2/${PROJECT}/instances/${instanceId}/hotkey-tasks?status=running`, { headers: { 'x-auth-token': TOKEN } });
    const list = (await response.json()) as { records: { id: string }[] };
    if (list.records[0] !== undefined) return list.records[0].id;
  }
  throw new Error('no task started running within 20 s');
}

describe('keyheat instances', () => {
  it('adds with the password from stdin or the environment, lists, shows and removes, as tables and as JSON', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const added = await keyheat(['instances', 'add', '--name', 'cache-1', '--url', url, '--password-stdin'], { input: `${PASSWORD}\n` });
    expect(added.code, added.output).toBe(0);
    expect(added.stdout).toMatch(/^instance_id: +([\w-]+)\nname: +cache-1\nengine: +Redis \d+\.\d+\.\d+\nmode: +single\naddress: +127\.0\.0\.1:\d+\nstatus: +RUNNING/);
    const id = /^instance_id: +([\w-]+)/.exec(added.stdout)![1]!;
    const second = await addInstance('cache-2', redis, { KEYHEAT_REDIS_PASSWORD: PASSWORD });

    const [list, listJson, shown] = await Promise.all([keyheat(['instances', 'list']), keyheat(['instances', 'list', '--json']), keyheat(['instances', 'show', second, '--json'])]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id +name +mode +engine +address +status +created\n/);
    expect(list.stdout).toMatch(new RegExp(`${id}  cache-1  single  Redis \\S+ +127\\.0\\.0\\.1:${redis.port}  RUNNING  \\S+Z\\n`));
    const listed = JSON.parse(listJson.stdout) as { instance_num: number; instances: { instance_id: string }[] };
    expect(listed.instance_num).toBe(2);
    expect(listed.instances.map((i) => i.instance_id).sort()).toEqual([id, second].sort());
    expect(JSON.parse(shown.stdout)).toMatchObject({ instance_id: second, name: 'cache-2', engine: 'Redis', mode: 'single', port: redis.port });
    const removed = await keyheat(['instances', 'rm', second]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`Instance ${second} removed, with its tasks.\n`);
    const gone = await keyheat(['instances', 'show', second]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('keyheat: DCS.3022: This DCS instance does not exist.\n');
    for (const run of [added, list, shown]) expect(run.output).not.toContain(PASSWORD);
  });

  it('exits 3 when the Redis refuses the password, and never shows it', async () => {
    const refused = await keyheat(['instances', 'add', '--name', 'bad', '--url', `redis://127.0.0.1:${redis.port}`, '--password-stdin'], { input: 'not-the-password' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^keyheat: DCS\.4800: Invalid password in the request\.\n {2}Redis refused the credentials: /);
    expect(refused.output).not.toContain('not-the-password');
  });
});

describe('keyheat tasks', () => {
  let instance: string;
  let first: string;
  beforeAll(async () => {
    instance = await addInstance('hot', redis, { KEYHEAT_REDIS_PASSWORD: PASSWORD });
  });

  it('create --wait prints the table of keyheat scan, and no progress bar off a terminal', async () => {
    const run = await keyheat(['tasks', 'create', instance, '--wait']);
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toBe('');
    // This Redis never decays its counters (lfu-decay-time 0): the estimate is a count of accesses.
    expect(run.stdout.startsWith(
      [
        '#  freq  est acc  type    size     db  key',
        '1    45      ~40  string  3 B      0   user:42',
        '2    30      ~25  hash    2 items  0   cart:7',
        '3    15      ~10  list    4 items  1   feed:today',
        '',
      ].join('\n'),
    ), run.stdout).toBe(true);
    expect(run.stdout).toMatch(new RegExp(`\\nhot \\(127\\.0\\.0\\.1:${redis.port}\\): 3 hot keys among 503 keys \\(single, 1 node\\) in \\d+\\.\\d\\d s\\n`));
    expect(run.stdout).toMatch(/\nLFU: lfu-log-factor 0, lfu-decay-time 0 \(config\): counters count accesses, not a rate\n/);
    expect(run.stdout).toMatch(/\nHottest namespaces:\n {2}user: 1 warm key, ~40 accesses, 53\.3%\n/);
    expect(run.stdout).toMatch(/\ndb0: 2 warm of 502 keys, ~65 accesses, 86\.7%\ndb1: 1 warm of 1 key, ~10 accesses, 13\.3%\n/);
    const list = JSON.parse((await keyheat(['tasks', 'list', instance, '--json'])).stdout) as { count: number; records: { id: string; status: string }[] };
    expect(list.count).toBe(1);
    expect(list.records[0]!.status).toBe('success');
    first = list.records[0]!.id;
  });

  it('create --wait --json prints the finished task with the pacing it was given', async () => {
    const run = await keyheat(['tasks', 'create', instance, '--wait', '--json', '--max-cpu-share', '0.5', '--rate', '100000']);
    expect(run.code, run.output).toBe(0);
    const task = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(task).toMatchObject({ instance_id: instance, status: 'success', num: 3, options: { max_cpu_share: 0.5, rate_limit: 100000 } });
    expect((task['keys'] as { name: string }[]).map((k) => k.name)).toEqual(['user:42', 'cart:7', 'feed:today']);
    expect(task['trend']).toMatchObject({ compared_with: first, new: [], gone: [] });
  });

  it('list, show and rm', async () => {
    const latest = (JSON.parse((await keyheat(['tasks', 'list', instance, '--json', '--limit', '1'])).stdout) as { records: { id: string }[] }).records[0]!.id;
    const [list, page, failed, show, showJson] = await Promise.all([
      keyheat(['tasks', 'list', instance]),
      keyheat(['tasks', 'list', instance, '--limit', '1', '--offset', '0']),
      keyheat(['tasks', 'list', instance, '--status', 'failed']),
      keyheat(['tasks', 'show', instance, latest]),
      keyheat(['tasks', 'show', instance, latest, '--json']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^id +type +status +created +took +error\\n${latest}  manual  success  \\S+Z  \\d+\\.\\d s\\n${first}  manual  success  \\S+Z  \\d+\\.\\d s\\n$`));
    expect(page.stdout).toMatch(/\n1 of 2 tasks; the next ones: --offset 1\n$/);
    expect(failed.stdout).toBe('No tasks.\n');

    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^task: +${latest}\\ninstance_id: +${instance}\\ntype: +manual\\nstatus: +success\\n`));
    expect(show.stdout).toContain('\npacing:       max_cpu_share 0.5, rate_limit 100000\n\n#  freq  est acc');
    expect(show.stdout).toMatch(new RegExp(`\\nSince task ${first}: the same hot keys\\n`));
    const json = JSON.parse(showJson.stdout) as { id: string; keys: unknown[] };
    expect(json.id).toBe(latest);
    expect(json.keys).toHaveLength(3);

    const removed = await keyheat(['tasks', 'rm', instance, latest]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`Task ${latest} deleted.\n`);
    const again = await keyheat(['tasks', 'rm', instance, latest]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('keyheat: DCS.4941: The hotkey id does not exist.\n');
  });

  it('create without --wait prints the waiting task and how to follow it', async () => {
    const run = await keyheat(['tasks', 'create', instance]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^task: +[\w-]+\ninstance_id: .*\ntype: +manual\nstatus: +waiting\n/);
    expect(run.stdout).toMatch(new RegExp(`\\nFollow it with: keyheat tasks show ${instance} [\\w-]+ \\(or create it with --wait\\)\\n$`));
  });
});

describe('keyheat autoscan', () => {
  it('sets and gets the daily analysis, keeping the times when turned off', async () => {
    const instance = await addInstance('scheduled', redis, { KEYHEAT_REDIS_PASSWORD: PASSWORD });
    const initial = await keyheat(['autoscan', 'get', instance]);
    expect(initial.stdout).toMatch(new RegExp(`^instance_id: +${instance}\\nautoscan: +off\\nupdated_at: +\\S+Z\\n$`));
    const on = await keyheat(['autoscan', 'set', instance, '--on', '--at', '21:00,03:00', '--at', '12:30']);
    expect(on.code, on.output).toBe(0);
    expect(on.stdout).toMatch(/\nautoscan: +on, daily at 03:00, 12:30, 21:00 UTC\n/);
    const json = JSON.parse((await keyheat(['autoscan', 'get', instance, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ instance_id: instance, enable_auto_scan: true, schedule_at: ['03:00', '12:30', '21:00'] });
    const off = await keyheat(['autoscan', 'set', instance, '--off']);
    expect(off.stdout).toMatch(/\nautoscan: +off \(times kept: 03:00, 12:30, 21:00 UTC\)\n/);
    const cleared = await keyheat(['autoscan', 'set', instance, '--off', '--at', '', '--json']);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ enable_auto_scan: false, schedule_at: [] });
  });
});

describe('client exit codes', () => {
  it('exits 3 on a refused token and on a keyheat that cannot be reached', async () => {
    const refused = await keyheat(['instances', 'list'], { env: { KEYHEAT_TOKEN: 'not-a-token-of-this-project' } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^keyheat: DCS\.1001: Invalid token\.\n/);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await keyheat(['instances', 'list', '--server', closed]);
    expect(down.code).toBe(3);
    expect(down.stderr).toBe(`keyheat: cannot reach keyheat at ${closed} (ECONNREFUSED); is keyheat serve running there?\n`);
  });

  it('exits 4 when the Redis cannot be analysed (DCS.4922), saying how to fix it', async () => {
    const instance = await addInstance('lru', lru);
    const run = await keyheat(['tasks', 'create', instance, '--wait']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^keyheat: DCS\.4922: Does not support hotkey analyze\.\n {2}.*maxmemory-policy volatile-lru.*CONFIG SET maxmemory-policy allkeys-lfu/);
  });

  it('exits 1 on a read-only token creating a task', async () => {
    const instance = await addInstance('readonly', slow);
    const run = await keyheat(['tasks', 'create', instance], { env: { KEYHEAT_TOKEN: READONLY } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^keyheat: DCS\.3002: /);
    expect((await keyheat(['instances', 'show', instance], { env: { KEYHEAT_TOKEN: READONLY } })).code).toBe(0);
  });
});

describe('a task that is watched, interrupted or fails', () => {
  let instance: string;
  beforeAll(async () => {
    instance = await addInstance('slow', slow);
  });

  it('draws a progress bar on a terminal while --wait polls, then the table', async () => {
    // In this process, with a stderr that says it is a terminal; keyheat serve is still the process above.
    const io = memoryIo(connectionEnv(), { stderrIsTTY: true });
    // 3001 keys at 1500 keys/s: two seconds of progress, read over HTTP.
    const code = await tasksCommand(['create', instance, '--wait', '--rate', '1500'], io);
    const progress = io.err.join('');
    expect(code, progress).toBe(0);
    // Each redraw returns to the start of the line and clears it (ESC [ K) first.
    expect(progress).toMatch(new RegExp(`${CLEAR_LINE}\\[#* *\\] +\\d+% [\\d,]+/3,001 keys, 1 node, [\\d,]+ keys/s`));
    expect(progress.endsWith('\r\x1b[K')).toBe(true);
    expect(io.out.join('')).toContain(`\n1    25      ~20  string  1 B   0   slow:hot\nslow (127.0.0.1:${slow.port}): 1 hot key among 3,001 keys (single, 1 node)`);
  });

  it('exits 130 on Ctrl-C, leaving the task to run', async () => {
    const waiting = runKeyheat(['tasks', 'create', instance, '--wait', '--rate', '300'], { env: connectionEnv() });
    const task = await runningTask(instance);
    waiting.child.kill('SIGINT');
    expect(await waiting.exited()).toBe(130);
    expect(waiting.stderr()).toBe(`keyheat: stopped waiting; task ${task} goes on in keyheat (keyheat tasks rm ${instance} ${task} stops it)\n`);
    const removed = await keyheat(['tasks', 'rm', instance, task]);
    expect(removed.stdout).toBe(`Task ${task} deleted (its analysis was stopped).\n`);
  });

  it("prints a failed task's error_msg and exits with scan's code for its failure", async () => {
    const waiting = runKeyheat(['tasks', 'create', instance, '--wait', '--rate', '300'], { env: connectionEnv() });
    const task = await runningTask(instance);
    await slow.kill();
    expect(await waiting.exited()).toBe(3);
    // The node's detail depends on how the kill reaches keyheat: "closed the connection" or ECONNRESET.
    expect(waiting.stderr()).toMatch(new RegExp(`^keyheat: task ${task} failed: cannot reach Redis: .*127\\.0\\.0\\.1:\\d+`));
  });
});

describe('keyheat tasks --big and autoscan --big', () => {
  let instance: string;
  beforeAll(async () => {
    instance = await addInstance('big', redis, { KEYHEAT_REDIS_PASSWORD: PASSWORD });
  });

  it('creates a big key task with its own thresholds, waits, and prints the table of keyheat scan --big', async () => {
    const run = await keyheat(['tasks', 'create', instance, '--big', '--wait', '--string-bytes', '2', '--collection-count', '1', '--per-type', '5']);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toMatch(/^#\s+size\s+.*type\s+db\s+key\n/);
    expect(run.stdout).toMatch(/user:42/);
    expect(run.stdout).toMatch(/cart:7/);
    expect(run.stdout).toMatch(/feed:today/);
    const list = await keyheat(['tasks', 'list', instance, '--big', '--json']);
    const records = (JSON.parse(list.stdout) as { records: { id: string; status: string }[] }).records;
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe('success');
    const shown = await keyheat(['tasks', 'show', instance, records[0]!.id, '--big']);
    expect(shown.code, shown.output).toBe(0);
    expect(shown.stdout).toMatch(/status: +success/);
    expect(shown.stdout).toMatch(/user:42/);
    // A big key task is not a hot key task.
    const crossed = await keyheat(['tasks', 'show', instance, records[0]!.id]);
    expect(crossed.code).toBe(1);
    expect(crossed.stderr).toMatch(/DCS\.4941/);
    const removed = await keyheat(['tasks', 'rm', instance, records[0]!.id, '--big']);
    expect(removed.code, removed.output).toBe(0);
    expect(removed.stdout).toBe(`Task ${records[0]!.id} deleted.\n`);
  });

  it('refuses the big key flags without --big, and --sample with it', async () => {
    const withoutBig = await keyheat(['tasks', 'create', instance, '--string-bytes', '5']);
    expect(withoutBig.code).toBe(2);
    expect(withoutBig.stderr).toMatch(/--string-bytes is for big key tasks: add --big/);
    const sampleBig = await keyheat(['tasks', 'create', instance, '--big', '--sample', '5s']);
    expect(sampleBig.code).toBe(2);
    expect(sampleBig.stderr).toMatch(/--sample is for hot key tasks/);
  });

  it('sets the big key schedule apart from the hot key one', async () => {
    const set = await keyheat(['autoscan', 'set', instance, '--big', '--on', '--at', '02:00', '--json']);
    expect(set.code, set.output).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ enable_auto_scan: true, schedule_at: ['02:00'] });
    expect(JSON.parse((await keyheat(['autoscan', 'get', instance, '--big', '--json'])).stdout)).toMatchObject({ enable_auto_scan: true });
    expect(JSON.parse((await keyheat(['autoscan', 'get', instance, '--json'])).stdout)).toMatchObject({ enable_auto_scan: false, schedule_at: [] });
  });
});
