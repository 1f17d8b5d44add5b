/**
 * Every place a CLI user meets the expired key scan: `keyheat scan --expired` (table and JSON),
 * `keyheat tasks create|list|show|rm --expired` and `keyheat autoscan get|set --expired` against a
 * keyheat service (in this process, on a port) and a real redis-server, and the usage errors.
 * Active expiry is off (DEBUG SET-ACTIVE-EXPIRE 0): every expired key is reclaimed by the scan,
 * so `num` is exact. Live keys stay above a tenth of each table, so no table shrinks during a
 * scan (SCAN could then return a key twice) and the TTL counts are exact too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoscanCommand } from '../../src/cli/client/autoscan-command.js';
import { tasksCommand } from '../../src/cli/client/tasks-command.js';
import { SCAN_HELP } from '../../src/cli/command-help.js';
import { scanCommand, type ScanIo } from '../../src/cli/scan-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import type { Arg } from '../../src/redis/resp-connection.js';
import { memoryIo, type MemoryIo } from '../helpers/client-io.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

type Json = Record<string, unknown>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** What the progress line writes before each redraw, as a regular expression: CR, ESC [ K. */
const CLEAR_LINE = '\\r\\u001b\\[K';
/** A namespace written to move a terminal's cursor and reorder its line. */
const HOSTILE = '\x1b[2J\u202e';

let redis: RedisServer;

async function write(commands: Arg[][], db = 0): Promise<void> {
  const connection = await redis.connect();
  try {
    await connection.call(['SELECT', db]);
    for (let i = 0; i < commands.length; i += 5000) await connection.pipeline(commands.slice(i, i + 5000));
  } finally {
    connection.close();
  }
}

/** `count` string keys `${prefix}${i}`, each with a PX ttl or none. */
function sets(prefix: string, count: number, pxMs?: number): Arg[][] {
  return Array.from({ length: count }, (_, i) => (pxMs === undefined ? ['SET', `${prefix}${i}`, 'v'] : ['SET', `${prefix}${i}`, 'v', 'PX', pxMs]));
}

/** Keys that lapse at once: the next scan reclaims them. */
async function lapsing(prefix: string, count: number, db = 0): Promise<void> {
  await write(sets(prefix, count, 1), db);
  await new Promise((r) => setTimeout(r, 30));
}

function scanIo(): ScanIo & { out: string[]; err: string[] } {
  const io = memoryIo({});
  return { stdout: io.stdout, stderr: io.stderr, env: {}, out: io.out, err: io.err };
}

const histogram = (h: Partial<Record<'under_1m' | 'under_1h' | 'under_1d' | 'under_7d' | 'longer' | 'none', number>>) => {
  const full = { under_1m: 0, under_1h: 0, under_1d: 0, under_7d: 0, longer: 0, none: 0, ...h };
  const keys = Object.values(full).reduce((a, b) => a + b, 0);
  return { keys, with_expiry: keys - full.none, without_expiry: full.none, histogram: full };
};

beforeAll(async () => {
  redis = await startRedis({ extraArgs: ['--enable-debug-command', 'yes'] });
  await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
  // db 0: 571 live keys in five namespaces (one hostile); db 5: 50 live.
  await write([
    ...sets('sess:', 100, 30_000),
    ...sets('cache:', 150, 2 * HOUR_MS),
    ...sets('promo:', 80, 3 * DAY_MS),
    ...sets('archive:', 40, 30 * DAY_MS),
    ...sets('user:', 200),
    ['SET', `${HOSTILE}:1`, 'v'],
  ]);
  await write([...sets('sess:', 20, 30_000), ...sets('queue:', 30)], 5);
  await lapsing('gone:', 300);
  await lapsing('gone:', 120, 5);
}, 60_000);

afterAll(async () => {
  await redis?.stop();
});

describe('keyheat scan --expired', () => {
  it('prints expireResultToWire with --json: the keys reclaimed (num), per node, and the TTLs', async () => {
    const io = scanIo();
    expect(await scanCommand([redis.url, '--expired', '--json', '--scan-keys-count', '50'], io), io.err.join('')).toBe(0);
    const result = JSON.parse(io.out.join('')) as Json;
    expect(result).toMatchObject({ mode: 'single', num: 420 });
    expect(result['analysis']).toMatchObject({ scanned_keys: 621, vanished_keys: 0, scan_keys_count: 50 });
    expect((result['analysis'] as Json)['nodes']).toEqual([
      expect.objectContaining({ node: `127.0.0.1:${redis.port}`, scanned_keys: 621, expired_before: 0, expired_after: 420, reclaimed: 420, traffic_seen: false }),
    ]);
    const ttl = result['ttl'] as { totals: Json; databases: Json[]; namespaces: Json[] };
    expect(ttl.totals).toEqual(histogram({ under_1m: 120, under_1d: 150, under_7d: 80, longer: 40, none: 231 }));
    expect(ttl.databases).toEqual([
      { db: 0, ...histogram({ under_1m: 100, under_1d: 150, under_7d: 80, longer: 40, none: 201 }) },
      { db: 5, ...histogram({ under_1m: 20, none: 30 }) },
    ]);
    expect(ttl.namespaces.map((n) => [n['prefix'], n['keys'], n['error']])).toEqual([
      ['user', 200, 0],
      ['cache', 150, 0],
      ['sess', 120, 0],
      ['promo', 80, 0],
      ['archive', 40, 0],
      ['queue', 30, 0],
      [HOSTILE, 1, 0],
    ]);
    expect(await redis.command(['DBSIZE'])).toBe(571);
  });

  it('prints a table for people: reclaimed per node, the TTL histogram per database and namespace, names escaped', async () => {
    await lapsing('again:', 150);
    const io = scanIo();
    expect(await scanCommand([redis.url, '--expired'], io), io.err.join('')).toBe(0);
    const out = io.out.join('');
    expect(out).toMatch(new RegExp(`^redis://127\\.0\\.0\\.1:${redis.port}: 150 expired keys reclaimed; 621 keys scanned \\(single, 1 node\\) in \\d+\\.\\d\\d s, SCAN COUNT 100\\n`));
    expect(out).toMatch(new RegExp(`\\n {2}127\\.0\\.0\\.1:${redis.port}: 150 reclaimed \\(expired_keys 420 -> 570\\), 621 keys scanned, .*, idle\\n`));
    expect(out).toContain('\nTTLs of the 621 keys found (390 with an expiry, 231 without), as PTTL read them:\n');
    expect(out).toContain(
      [
        '  keys  no expiry  < 1 min  < 1 h  < 1 day  < 7 days  >= 7 days  db',
        '   621        231      120      0      150        80         40  all',
        '   571        201      100      0      150        80         40  db0',
        '    50         30       20      0        0         0          0  db5',
        'Namespaces with the most keys:',
        '  keys  no expiry  < 1 min  < 1 h  < 1 day  < 7 days  >= 7 days  namespace',
        '   200        200        0      0        0         0          0  user',
      ].join('\n'),
    );
    expect(out).toContain('\n     1          1        0      0        0         0          0  \\x1b[2J\\u202e\n');
    expect(out.includes('\x1b') || out.includes('\u202e')).toBe(false);
  });

  it('refuses the flags that do not apply, saying why, before connecting', async () => {
    const refusals: [readonly string[], RegExp][] = [
      [['--top', '5'], /^--top sizes a hot key list/],
      [['--big'], /^--big and --expired are different analyses/],
      [['--offline'], /^--expired and --offline are different analyses/],
      [['--sample', '5s'], /^--sample is for hot keys, not --expired$/],
      [['--snapshot'], /^--snapshot cannot be used with --expired: keys are reclaimed by SCANning each primary/],
      [['--pattern', 'user:*'], /^--pattern cannot be used with --expired: the scan must visit every key/],
      [['--batch', '10'], /^--batch is for hot keys and --big, not --expired \(its pages are --scan-keys-count\)$/],
      [['--string-bytes', '10'], /^--string-bytes is for --big, not --expired$/],
      [['--primaries'], /^--primaries is for --big/],
      [['--top-keys', '3'], /^--top-keys is for --offline, not --expired$/],
      [['--scan-keys-count', '5'], /^--scan-keys-count must be an integer from 10 to 1000, got "5"$/],
    ];
    for (const [flags, message] of refusals) {
      await expect(scanCommand([redis.url, '--expired', ...flags], scanIo()), flags.join(' ')).rejects.toThrow(message);
    }
    await expect(scanCommand(['--rdb', '/dev/null', '--expired'], scanIo())).rejects.toThrow(/^--rdb cannot be used with --expired/);
    await expect(scanCommand([redis.url, '--scan-keys-count', '100'], scanIo())).rejects.toThrow(/^--scan-keys-count needs --expired$/);
    await expect(scanCommand([redis.url, '--big', '--scan-keys-count', '100'], scanIo())).rejects.toThrow(/^--scan-keys-count is for --expired, not --big$/);
    await expect(scanCommand([redis.url, '--expired'], scanIo())).resolves.toBe(0);
    // The process's exit code and message, once.
    const run = await runKeyheatToEnd(['scan', redis.url, '--expired', '--top', '5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^keyheat: --top sizes a hot key list; the expired key scan reports the keys it reclaimed and the TTLs it read\n\nUsage: keyheat scan /);
  });
});

describe('keyheat tasks and autoscan --expired', () => {
  let harness: Harness;
  let instance: string;
  let io: (options?: { stderrIsTTY?: boolean }) => MemoryIo;

  beforeAll(async () => {
    harness = await startHarness();
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.keyheat.http.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    io = (options = {}) => memoryIo({ KEYHEAT_SERVER: `http://127.0.0.1:${port}`, KEYHEAT_PROJECT: P1, KEYHEAT_TOKEN: ADMIN }, options);
    instance = await harness.registerInstance(redis.url, 'ttl-cache');
  }, 30_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
  });

  it('create --expired --wait runs the scan in the service and prints the table of scan --expired', async () => {
    await lapsing('third:', 200);
    // On a terminal: a line while the task waits, then the scan's progress (the API reports it per node).
    const run = io({ stderrIsTTY: true });
    expect(await tasksCommand(['create', instance, '--expired', '--wait', '--scan-keys-count', '200'], run), run.err.join('')).toBe(0);
    const out = run.out.join('');
    expect(out).toMatch(new RegExp(`^ttl-cache \\(127\\.0\\.0\\.1:${redis.port}\\): 200 expired keys reclaimed; 621 keys scanned \\(single, 1 node\\) in \\d+\\.\\d\\d s, SCAN COUNT 200\\n`));
    expect(out).toContain('\n   571        201      100      0      150        80         40  db0\n');
    const progress = run.err.join('');
    expect(progress).toMatch(new RegExp(`^${CLEAR_LINE}(task [\\w-]+: (waiting for a runner|running for \\d+ s)|connecting)`));
    expect(progress.endsWith('\r\x1b[K')).toBe(true);
  });

  it('create --expired --wait --json prints the finished scan; list, show and rm', async () => {
    await lapsing('fourth:', 70, 5);
    const created = io();
    expect(await tasksCommand(['create', instance, '--expired', '--wait', '--json', '--max-cpu-share', '0.5'], created), created.err.join('')).toBe(0);
    const task = JSON.parse(created.out.join('')) as Json;
    expect(task).toMatchObject({ instance_id: instance, status: 'success', scan_type: 'manual', num: 70, options: { max_cpu_share: 0.5 } });
    expect((task['ttl'] as { totals: Json }).totals).toEqual(histogram({ under_1m: 120, under_1d: 150, under_7d: 80, longer: 40, none: 231 }));
    const id = task['id'] as string;

    const list = io();
    expect(await tasksCommand(['list', instance, '--expired'], list)).toBe(0);
    expect(list.out.join('')).toMatch(new RegExp(`^id +type +status +reclaimed +created +took +error\\n${id}  manual  success  70 +\\S+Z  \\d+\\.\\d s\\n[\\w-]+  manual  success  200 +\\S+Z  \\d+\\.\\d s\\nReclaimed by all 2 scans: 270 expired keys\\n$`));
    const listJson = io();
    expect(await tasksCommand(['list', instance, '--expired', '--json', '--limit', '1'], listJson)).toBe(0);
    expect(JSON.parse(listJson.out.join(''))).toMatchObject({ instance_id: instance, total: 270, count: 2, records: [{ id, num: 70 }] });

    const show = io();
    expect(await tasksCommand(['show', instance, id, '--expired'], show)).toBe(0);
    expect(show.out.join('')).toMatch(new RegExp(`^task: +${id}\\ninstance_id: +${instance}\\ntype: +manual\\nstatus: +success\\n[\\s\\S]*\\noptions: +max_cpu_share 0\\.5\\n\\nttl-cache \\(127\\.0\\.0\\.1:${redis.port}\\): 70 expired keys reclaimed;`));
    // An expired key scan is not a hot key task.
    const crossed = io();
    expect(await tasksCommand(['show', instance, id], crossed)).toBe(1);
    expect(crossed.err.join('')).toMatch(/^keyheat: DCS\.4941: /);

    const removed = io();
    expect(await tasksCommand(['rm', instance, id, '--expired'], removed)).toBe(0);
    expect(removed.out.join('')).toBe(`Task ${id} deleted.\n`);
    const again = io();
    expect(await tasksCommand(['rm', instance, id, '--expired'], again)).toBe(1);
    expect(again.err.join('')).toBe('keyheat: DCS.4800: Invalid task_id in the request.\n');
  });

  it('create --expired without --wait prints the scan and how to follow it', async () => {
    const run = io();
    expect(await tasksCommand(['create', instance, '--expired'], run)).toBe(0);
    expect(run.out.join('')).toMatch(new RegExp(`\\nFollow it with: keyheat tasks show ${instance} [\\w-]+ --expired \\(or create it with --wait\\)\\n$`));
    const id = /^task: +([\w-]+)/.exec(run.out.join(''))?.[1] ?? '';
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const task = await harness.request('GET', `/v2/${P1}/instances/${instance}/auto-expire/histories/${id}`);
      if (task.body['status'] === 'success') break;
    }
  });

  it('refuses flags of other kinds, and two kinds at once, before any request', async () => {
    const refusals: [readonly string[], RegExp][] = [
      [['create', instance, '--expired', '--batch', '10'], /^--batch is for hot key and big key tasks, not with --expired$/],
      [['create', instance, '--expired', '--snapshot'], /^--snapshot is for hot key and big key tasks: an expired key scan reads the keyspace by scan only$/],
      [['create', instance, '--expired', '--node', '10.0.0.1:6379'], /^--node is for offline key tasks, not with --expired$/],
      [['create', instance, '--scan-keys-count', '100'], /^--scan-keys-count is for expired key tasks: add --expired$/],
      [['create', instance, '--expired', '--scan-keys-count', '1001'], /^--scan-keys-count must be an integer from 10 to 1000/],
      [['list', instance, '--expired', '--big'], /^--big and --expired are different analyses/],
    ];
    for (const [args, message] of refusals) {
      const run = tasksCommand(args, io());
      await expect(run, args.join(' ')).rejects.toBeInstanceOf(UsageError);
      await expect(run, args.join(' ')).rejects.toThrow(message);
    }
  });

  it('autoscan set|get --expired: DCS autoscan-config, kept fields, a passed first run moved forward', async () => {
    const initial = io();
    expect(await autoscanCommand(['get', instance, '--expired', '--json'], initial)).toBe(0);
    const before = JSON.parse(initial.out.join('')) as Json;
    expect(before).toMatchObject({ instance_id: instance, enable_auto_scan: false, interval: 86_400, timeout: 172_800, scan_keys_count: 100 });

    // Turned on without --first-scan-at: the first run kept (the registration) has passed, so the next on the same cadence.
    const on = io();
    expect(await autoscanCommand(['set', instance, '--expired', '--on', '--interval', '6h', '--json'], on), on.err.join('')).toBe(0);
    const moved = JSON.parse(on.out.join('')) as Json;
    expect(moved).toMatchObject({ enable_auto_scan: true, interval: 21_600, timeout: 172_800, scan_keys_count: 100 });
    const first = Date.parse(moved['first_scan_at'] as string);
    expect(first).toBeGreaterThan(Date.now());
    expect((first - Date.parse(before['first_scan_at'] as string)) % (21_600 * 1000)).toBe(0);

    const set = io();
    const args = ['set', instance, '--expired', '--first-scan-at', '2099-01-02T03:04:05Z', '--interval', '1d', '--run-timeout', '2d', '--scan-keys-count', '500'];
    expect(await autoscanCommand(args, set), set.err.join('')).toBe(0);
    expect(set.out.join('')).toMatch(
      new RegExp(`^instance_id: +${instance}\\nautoscan \\(expired keys\\): +on, every 1 day from 2099-01-02T03:04:05\\.000Z\\ninterval: +86400 s\\ntimeout: +172800 s \\(a run still going then fails\\)\\nscan_keys_count: +500\\nupdated_at: +\\S+Z\\n$`),
    );
    const off = io();
    expect(await autoscanCommand(['set', instance, '--expired', '--off'], off)).toBe(0);
    expect(off.out.join('')).toMatch(/\nautoscan \(expired keys\): +off \(kept: every 1 day from 2099-01-02T03:04:05\.000Z\)\n/);
    const got = io();
    expect(await autoscanCommand(['get', instance, '--expired', '--json'], got)).toBe(0);
    expect(JSON.parse(got.out.join(''))).toMatchObject({ enable_auto_scan: false, first_scan_at: '2099-01-02T03:04:05.000Z', interval: 86_400, timeout: 172_800, scan_keys_count: 500 });
    // The hot key schedule is another one.
    const hot = io();
    expect(await autoscanCommand(['get', instance, '--json'], hot)).toBe(0);
    expect(JSON.parse(hot.out.join(''))).toMatchObject({ enable_auto_scan: false, schedule_at: [] });
  });

  it('autoscan refuses what a schedule of the kind cannot take, naming the flag', async () => {
    const refusals: [readonly string[], RegExp][] = [
      [['set', instance, '--expired', '--at', '03:00'], /^--at sets daily times; the expired key scan runs every --interval from --first-scan-at$/],
      [['set', instance, '--interval', '1d', '--on', '--at', '03:00'], /^--interval is for the expired key scan's schedule: add --expired/],
      [['set', instance, '--expired', '--first-scan-at', 'tomorrow'], /^--first-scan-at takes an ISO 8601 UTC time such as 2026-12-08T02:00:00Z, got "tomorrow"$/],
      [['set', instance, '--expired', '--interval', 'soon'], /^--interval takes whole seconds from 0, or with a unit \(90s, 30m, 6h, 1d\), got "soon"$/],
      [['set', instance, '--expired', '--interval', '1h', '--run-timeout', '1h'], /^--run-timeout must be at least 2 x interval = 7200 s, got 3600 s$/],
      [['set', instance, '--expired', '--scan-keys-count', '5'], /^--scan-keys-count must be an integer from 10 to 1000/],
      [['set', instance, '--expired', '--on', '--first-scan-at', '2001-01-01T00:00:00Z'], /^--first-scan-at 2001-01-01T00:00:00Z has passed/],
      [['set', instance, '--expired'], /^autoscan set --expired needs something to change/],
      [['get', instance, '--offline'], /^offline key analysis has no schedule/],
    ];
    for (const [args, message] of refusals) {
      const run = autoscanCommand(args, io());
      await expect(run, args.join(' ')).rejects.toBeInstanceOf(UsageError);
      await expect(run, args.join(' ')).rejects.toThrow(message);
    }
  });
});

describe('keyheat help of the expired key scan', () => {
  it('documents --expired in scan, tasks and autoscan', async () => {
    const help = async (command: (args: readonly string[], io: MemoryIo) => Promise<number>, args: readonly string[]): Promise<string> => {
      const run = memoryIo({});
      expect(await command(args, run)).toBe(0);
      return run.out.join('');
    };
    expect(await help(tasksCommand, ['create', '--help'])).toMatch(/--expired +an expired key scan[\s\S]*With --expired[\s\S]*--scan-keys-count N +keys per SCAN page/);
    expect(await help(tasksCommand, ['list', '--help'])).toMatch(/with --expired expired key\nscans with the keys each reclaimed \(\.\.\.\/auto-expire\/histories\)/);
    expect(await help(autoscanCommand, ['set', '--help'])).toMatch(/--first-scan-at ISO[\s\S]*--interval S[\s\S]*--run-timeout S[\s\S]*--scan-keys-count N/);
    expect(SCAN_HELP).toMatch(/keyheat scan <redis-url> --expired \[--scan-keys-count N\][\s\S]*The expired key scan \(--expired\)/);
  });
});
