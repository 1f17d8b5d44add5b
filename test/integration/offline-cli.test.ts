/**
 * Every place a CLI user meets offline key analysis: `keyheat scan --rdb FILE --offline` on a
 * file redis-server wrote (SAVE), `keyheat scan <url> --offline` on a fresh RDB of the node,
 * `keyheat tasks create|list|show|rm|nodes|backups --offline` against a keyheat service (in this
 * process, on a port), and the usage errors. The server runs with lfu-log-factor 0 and
 * lfu-decay-time 0, so each key's counter is 5 + its reads, and repl-diskless-sync-delay 0.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tasksCommand } from '../../src/cli/client/tasks-command.js';
import { SCAN_HELP } from '../../src/cli/command-help.js';
import { scanCommand, type ScanIo } from '../../src/cli/scan-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { analyzeOfflineFile } from '../../src/engine/offline-analysis.js';
import { offlineResultToWire } from '../../src/wire/offline-mappers.js';
import { memoryIo, type MemoryIo } from '../helpers/client-io.js';
import { ADMIN, P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

type Json = Record<string, unknown>;

/** A namespace written to move a terminal's cursor and reorder its line. */
const HOSTILE = '\x1b[2J\u202e';

let redis: RedisServer;
let dir: string;
let dump: string;
let node: string;

function scanIo(): ScanIo & { out: string[]; err: string[] } {
  const io = memoryIo({});
  return { stdout: io.stdout, stderr: io.stderr, env: {}, out: io.out, err: io.err };
}

async function scan(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = scanIo();
  const code = await scanCommand(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

/** The report without what differs between two reads of one file (the transfer's timing). */
function report(wire: Json): Json {
  const { snapshot, ...rest } = wire;
  const nodes = ((snapshot as { nodes: Json[] }).nodes ?? []).map(({ transfer_ms: _t, wait_ms: _w, ...n }) => n);
  return { ...rest, snapshot: { ...(snapshot as Json), nodes } };
}

const hotNames = (wire: Json): [unknown, unknown][] => ((wire['hot_keys'] as Json[]) ?? []).map((k) => [k['name'], k['freq']]);

beforeAll(async () => {
  redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--repl-diskless-sync-delay', '0'] });
  node = `127.0.0.1:${redis.port}`;
  await seedRedis(
    redis,
    [
      { name: 'big:list', db: 0, type: 'list', size: 6000, hits: 30 },
      { name: 'user:1', db: 0, type: 'hash', size: 3, hits: 40 },
      { name: 'user:2', db: 4, type: 'string', size: 9, hits: 20 },
      { name: 'cfg:set', db: 0, type: 'set', size: 5, hits: 0 },
      { name: 'rank:z', db: 0, type: 'zset', size: 10, hits: 0 },
      { name: 'ev:s', db: 0, type: 'stream', size: 1, hits: 0 },
      { name: `${HOSTILE}:k`, db: 0, type: 'string', size: 1, hits: 10 },
    ],
    500,
  );
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-offline-cli-'));
  await redis.command(['SAVE']);
  const reply = (await redis.command(['CONFIG', 'GET', 'dir'])) as Buffer[];
  dump = path.join(dir, 'dump.rdb');
  copyFileSync(path.join((reply[1] as Buffer).toString(), 'dump.rdb'), dump);
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('keyheat scan --offline', () => {
  it('--rdb FILE --offline --json prints offlineResultToWire of the file: totals, types, largest keys and prefixes, hot keys', async () => {
    const run = await scan(['--rdb', dump, '--offline', '--json', '--top-keys', '3', '--top-prefixes', '2']);
    expect(run.code, run.err).toBe(0);
    const wire = JSON.parse(run.out) as Json;
    const expected = offlineResultToWire(await analyzeOfflineFile(dump, { topKeys: 3, topPrefixes: 2 })) as unknown as Json;
    expect(report(wire)).toEqual(report(JSON.parse(JSON.stringify(expected)) as Json));
    expect(wire).toMatchObject({ total_num: 507 });
    expect(wire['type_num']).toEqual([
      { type: 'string', num: 502 },
      { type: 'list', num: 1 },
      { type: 'set', num: 1 },
      { type: 'zset', num: 1 },
      { type: 'hash', num: 1 },
      { type: 'stream', num: 1 },
    ]);
    const largest = wire['largest_keys'] as Json[];
    expect(largest.filter((k) => k['type'] === 'string')).toHaveLength(3);
    expect(largest.find((k) => k['type'] === 'list')).toMatchObject({ key: 'big:list', num_of_elem: 6000, db: 0 });
    expect((wire['largest_key_prefixes'] as Json[]).find((p) => p['type'] === 'string')).toMatchObject({ key_prefix: 'cold', num: 500 });
    expect(hotNames(wire)).toEqual([
      ['user:1', 45],
      ['big:list', 35],
      ['user:2', 25],
      [`${HOSTILE}:k`, 15],
    ]);
    expect((wire['snapshot'] as Json)['source']).toBe('file');
  });

  it('--rdb FILE --offline prints the report for people, names escaped', async () => {
    const run = await scan(['--rdb', dump, '--offline', '--top-keys', '2']);
    expect(run.code, run.err).toBe(0);
    const out = run.out;
    expect(out).toMatch(/^Largest keys of each type \(bytes in the RDB\):\n# +bytes +elements +type +db +key\n/);
    expect(out).toMatch(/\n1 +[\d.]+ KB +6,000 +list +0 +big:list\n/);
    expect(out).toContain('\\x1b[2J\\u202e:k');
    expect(out).toMatch(/\nLargest prefixes of each type:\n# +bytes +keys +type +prefix\n1 +[\d.]+ KB +500 +string +cold\n/);
    expect(out).toMatch(new RegExp(`\\n${dump.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 507 keys, [\\d.]+ KB in the RDB in \\d+\\.\\d\\d s\\nBy type:\\n {2}string: 502 keys, `));
    expect(out).toMatch(/\n {2}stream: 1 key, \d+ B \([\d.]+%\)\nbytes: what a key takes in the RDB/);
    expect(out).toMatch(/\nRead from a file:\n {2}.*dump\.rdb \(file\): RDB v\d+ /);
    expect(out).toMatch(/\nHot keys \(the LFU counters in the RDB\):\n# +freq +est\/s +type +size +db +key\n1 +45 +[\d.]+ +hash +3 items +0 +user:1\n/);
    expect(out).toMatch(/\n4 +15 +[\d.]+ +string +1 B +0 +\\x1b\[2J\\u202e:k\n {2}estimates assume Redis's defaults, lfu-log-factor 10 and lfu-decay-time 1: a file does not say its server's\n$/);
    expect(out.includes('\x1b') || out.includes('\u202e')).toBe(false);
  });

  it('<url> --offline reads a fresh RDB of the node the URL names, or of --node; a node not in the deployment exits 4', async () => {
    const run = await scan([redis.url, '--offline', '--json']);
    expect(run.code, run.err).toBe(0);
    const wire = JSON.parse(run.out) as Json;
    expect(wire).toMatchObject({ total_num: 507 });
    expect(hotNames(wire).map(([name]) => name)).toEqual(['user:1', 'big:list', 'user:2', `${HOSTILE}:k`]);
    expect((wire['snapshot'] as { source: string; nodes: Json[] }).nodes).toEqual([expect.objectContaining({ node, role: 'primary', keys: 507 })]);
    const text = await scan([redis.url, '--offline', '--node', node, '--top-keys', '1']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(new RegExp(`\\nredis://127\\.0\\.0\\.1:${redis.port}, node ${node} \\(master\\): 507 keys, `));
    expect(text.out).toMatch(/\nSnapshots read:\n {2}127\.0\.0\.1:\d+ \(primary\): RDB v\d+ .*fork [\d.]+ ms/);
    const stranger = await scan([redis.url, '--offline', '--node', '127.0.0.1:1']);
    expect(stranger.code).toBe(4);
    expect(stranger.err).toMatch(new RegExp(`127\\.0\\.0\\.1:1 is not a node of the deployment at ${node}: its nodes are ${node} \\(master\\)`));
  }, 30_000);

  it('refuses the flags that do not apply, saying why, before reading anything', async () => {
    const refusals: [readonly string[], RegExp][] = [
      [['--rdb', dump, '--offline', '--max-cpu-share', '0.5'], /^--max-cpu-share cannot be used with --offline: it paces the scan strategy; a snapshot is not paced/],
      [['--rdb', dump, '--offline', '--pattern', 'user:*'], /^--pattern cannot be used with --offline: the report covers every key of the RDB$/],
      [[redis.url, '--offline', '--snapshot'], /^--snapshot is implied: --offline always reads an RDB/],
      [['--rdb', dump, '--offline', '--big'], /^--big and --offline are different analyses/],
      [['--rdb', dump, '--offline', '--sample', '5s'], /^--sample is for hot keys, not --offline$/],
      [['--rdb', dump, '--offline', '--scan-keys-count', '100'], /^--scan-keys-count is for --expired, not --offline$/],
      [['--rdb', dump, '--offline', '--node', node], /^--node names a live node to read; --rdb reads a saved file/],
      [[redis.url, '--offline', '--node', 'not a node'], /^--node takes the node's IP:PORT as the deployment announces it, got "not a node"$/],
      [['--rdb', dump, '--offline', '--top-keys', '0'], /^--top-keys must be an integer from 1 to 500, got "0"$/],
      [['--rdb', dump, '--top-prefixes', '3'], /^--top-prefixes needs --offline$/],
      [[redis.url, '--node', node], /^--node needs --offline$/],
    ];
    for (const [args, message] of refusals) {
      await expect(scanCommand(args, scanIo()), args.join(' ')).rejects.toThrow(message);
    }
    // The process's exit code and message, once.
    const run = await runKeyheatToEnd(['scan', '--rdb', dump, '--offline', '--pattern', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^keyheat: --pattern cannot be used with --offline: the report covers every key of the RDB\n\nUsage: keyheat scan /);
    expect(SCAN_HELP).toMatch(/keyheat scan --rdb dump\.rdb --offline \[--top-keys N\] \[--top-prefixes N\][\s\S]*Offline key analysis \(--offline\)[\s\S]*--node IP:PORT/);
  });
});

describe('keyheat tasks --offline', () => {
  let harness: Harness;
  let instance: string;
  let io: () => MemoryIo;

  beforeAll(async () => {
    harness = await startHarness();
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.keyheat.http.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    io = () => memoryIo({ KEYHEAT_SERVER: `http://127.0.0.1:${port}`, KEYHEAT_PROJECT: P1, KEYHEAT_TOKEN: ADMIN });
    instance = await harness.registerInstance(redis.url, 'rdb-cache');
  }, 30_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
  });

  it('create --offline --node --wait reads a fresh RDB of the node and prints the report of scan --offline', async () => {
    const run = io();
    expect(await tasksCommand(['create', instance, '--offline', '--node', node, '--wait', '--top-keys', '2'], run), run.err.join('')).toBe(0);
    const out = run.out.join('');
    expect(out).toMatch(/^Largest keys of each type \(bytes in the RDB\):\n/);
    expect(out).toMatch(/\n1 +[\d.]+ KB +6,000 +list +0 +big:list\n/);
    expect(out).toMatch(new RegExp(`\\nrdb-cache \\(127\\.0\\.0\\.1:${redis.port}\\), node ${node} \\(master\\): 507 keys, [\\d.]+ KB in the RDB\\n`));
    expect(out).toMatch(/\nSnapshots read:\n {2}127\.0\.0\.1:\d+ \(primary\): RDB v\d+ /);
    expect(out).toMatch(/\nHot keys \(the LFU counters in the RDB\):\n/);
    expect(run.err.join('')).toBe('');
  }, 30_000);

  it('create --wait --json, list, show, nodes and rm', async () => {
    const created = io();
    expect(await tasksCommand(['create', instance, '--offline', '--node', node, '--wait', '--json', '--top-prefixes', '1'], created), created.err.join('')).toBe(0);
    const task = JSON.parse(created.out.join('')) as Json;
    expect(task).toMatchObject({ instance_id: instance, node_id: node, node_type: 'master', analysis_type: 'new_backup', status: 'success', total_num: 507 });
    expect((task['largest_key_prefixes'] as Json[]).filter((p) => p['type'] === 'string')).toEqual([expect.objectContaining({ key_prefix: 'cold', num: 500 })]);
    const id = task['id'] as string;

    const list = io();
    expect(await tasksCommand(['list', instance, '--offline'], list)).toBe(0);
    expect(list.out.join('')).toMatch(new RegExp(`^id +status +created +took +error\\n${id}  success  \\S+Z  \\d+\\.\\d s\\n[\\w-]+  success  \\S+Z  \\d+\\.\\d s\\n$`));
    const page = io();
    expect(await tasksCommand(['list', instance, '--offline', '--limit', '1', '--json'], page)).toBe(0);
    expect(JSON.parse(page.out.join(''))).toMatchObject({ instance_id: instance, total: 2, records: [{ id, status: 'success' }] });

    const show = io();
    expect(await tasksCommand(['show', instance, id, '--offline'], show)).toBe(0);
    expect(show.out.join('')).toMatch(
      new RegExp(`^task: +${id}\\ninstance_id: +${instance}\\nnode: +${node} \\(master\\)\\nreads: +a fresh RDB of the node \\(new_backup\\)\\nstatus: +success\\n[\\s\\S]*\\n\\nLargest keys of each type`),
    );

    const nodes = io();
    expect(await tasksCommand(['nodes', instance, id], nodes)).toBe(0);
    expect(nodes.out.join('')).toBe(`node${' '.repeat(node.length - 2)}role    shard   name\n${node}  master  single  ${node}\n`);
    const nodesJson = io();
    expect(await tasksCommand(['nodes', instance, id, '--json'], nodesJson)).toBe(0);
    expect(JSON.parse(nodesJson.out.join(''))).toEqual({ nodes: [{ id: node, name: node, group_name: 'single', node_type: 'master' }] });

    const removed = io();
    expect(await tasksCommand(['rm', instance, id, '--offline'], removed)).toBe(0);
    expect(removed.out.join('')).toBe(`Task ${id} deleted.\n`);
    const again = io();
    expect(await tasksCommand(['show', instance, id, '--offline'], again)).toBe(1);
    expect(again.err.join('')).toMatch(/^keyheat: DCS\.4800: Invalid task_id in the request\./);
  }, 30_000);

  it('backups lists the saved RDB files, and create --offline --backup reads one', async () => {
    const none = io();
    expect(await tasksCommand(['backups', instance], none)).toBe(0);
    expect(none.out.join('')).toBe('No backups.\n');
    const folder = path.join(harness.dataDir, 'backups', instance);
    mkdirSync(folder, { recursive: true });
    copyFileSync(dump, path.join(folder, 'nightly.rdb'));
    const listed = io();
    expect(await tasksCommand(['backups', instance], listed)).toBe(0);
    expect(listed.out.join('')).toMatch(/^ *size +modified +backup\n *[\d.]+ KB +\S+Z +nightly\.rdb\n$/);

    const run = io();
    expect(await tasksCommand(['create', instance, '--offline', '--node', node, '--backup', 'nightly.rdb', '--wait'], run), run.err.join('')).toBe(0);
    const out = run.out.join('');
    expect(out).toMatch(new RegExp(`\\nrdb-cache \\(127\\.0\\.0\\.1:${redis.port}\\), backup nightly\\.rdb: 507 keys, `));
    expect(out).toMatch(/\nRead from a file:\n/);
    const latest = io();
    expect(await tasksCommand(['list', instance, '--offline', '--limit', '1', '--json'], latest)).toBe(0);
    const id = (JSON.parse(latest.out.join('')) as { records: { id: string }[] }).records[0]?.id ?? '';
    const shown = io();
    expect(await tasksCommand(['show', instance, id, '--offline'], shown)).toBe(0);
    expect(shown.out.join('')).toMatch(/\nreads: +the backup nightly\.rdb \(old_backup\)\n/);
  }, 30_000);

  it('refuses a create it cannot send, naming the flag, before any request', async () => {
    const refusals: [readonly string[], RegExp][] = [
      [['create', instance, '--offline'], /^tasks create --offline needs --node IP:PORT: the node whose RDB is analysed \(keyheat tasks nodes lists them\)$/],
      [['create', instance, '--offline', '--node', 'no-port'], /^--node takes IP:PORT \(the node whose RDB is analysed/],
      [['create', instance, '--offline', '--node', node, '--backup', '../etc/passwd'], /^--backup takes FILE \(a saved RDB under the instance's backup folder/],
      [['create', instance, '--offline', '--node', node, '--max-cpu-share', '0.5'], /^--max-cpu-share is for hot key, big key and expired key tasks, not with --offline$/],
      [['create', instance, '--offline', '--node', node, '--snapshot'], /^--snapshot is for hot key and big key tasks: an offline key analysis always reads an RDB$/],
      [['create', instance, '--node', node], /^--node is for offline key tasks: add --offline$/],
      [['create', instance, '--offline', '--node', node, '--top-keys', '501'], /^--top-keys must be an integer from 1 to 500/],
      [['show', instance, 'x', '--offline', '--expired'], /^--expired and --offline are different analyses/],
      [['nodes', instance], /^tasks nodes takes <instance_id> <task_id>, got "/],
    ];
    for (const [args, message] of refusals) {
      const run = tasksCommand(args, io());
      await expect(run, args.join(' ')).rejects.toBeInstanceOf(UsageError);
      await expect(run, args.join(' ')).rejects.toThrow(message);
    }
  });

  it('documents --offline, nodes and backups in the help', async () => {
    const help = async (args: readonly string[]): Promise<string> => {
      const run = io();
      expect(await tasksCommand(args, run)).toBe(0);
      return run.out.join('');
    };
    expect(await help(['--help'])).toMatch(/\n {2}nodes <instance_id> <task_id> [\s\S]*\n {2}backups <instance_id> /);
    expect(await help(['create', '--help'])).toMatch(/With --offline \(--node is required[\s\S]*--node IP:PORT[\s\S]*--backup FILE[\s\S]*--top-keys N[\s\S]*--top-prefixes N/);
    expect(await help(['nodes', '--help'])).toMatch(/^Usage: keyheat tasks nodes <instance_id> <task_id>/);
    expect(await help(['backups', '--help'])).toMatch(/^Usage: keyheat tasks backups <instance_id>[\s\S]*<offline\.backup_dir>\/<instance_id>\//);
  });
});
