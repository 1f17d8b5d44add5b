/**
 * The DCS expired key scan and offline key analysis families over HTTP on both stores: every
 * endpoint's shape against a real redis-server, their error codes (DCS.4017, 4819-4822, 4026,
 * 4800), the options catalogue's refusals, and the Huawei Cloud SDK's calls signed with AK/SK.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcsClient } from '../helpers/dcs-sdk-client.js';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { STORES } from '../helpers/stores.js';

type Json = Record<string, unknown>;

const AK = 'KEYHEATEXPIREAK00001';
const SK = 'keyheat-expire-secret-key-00000000000001';
const TOKEN = 'admin-token-p1-0000000000000001';

describe.each(STORES)('the expired key scan and offline analysis families on the %s store', (store) => {
  let redis: RedisServer;
  let harness: Harness;
  let instanceId: string;
  let backups: string;
  const base = () => `/v2/${P1}/instances/${instanceId}`;

  beforeAll(async () => {
    // DEBUG SET-ACTIVE-EXPIRE 0: keys whose TTL passed stay until the scan touches them.
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0, extraArgs: ['--enable-debug-command', 'yes'] });
    await redis.command(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
    backups = mkdtempSync(path.join(os.tmpdir(), 'keyheat-backups-'));
    harness = await startHarness({ store, config: { projects: [{ project_id: P1, tokens: [TOKEN], access_keys: [{ ak: AK, sk: SK }] }], offline: { backup_dir: backups } } });
    instanceId = await harness.registerInstance(redis.url);
  }, 60_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await redis?.stop();
    if (backups !== undefined) rmSync(backups, { recursive: true, force: true });
  });

  async function until(url: string): Promise<Json> {
    for (let i = 0; i < 400; i++) {
      const body = (await harness.request('GET', url)).body;
      if (body['status'] === 'success' || body['status'] === 'failed') return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${url} did not finish`);
  }

  it('scans for expired keys: a ScanTask, the histories with num and total, the TTL report', async () => {
    for (let i = 0; i < 30; i++) await redis.command(['SET', `gone:${i}`, 'v', 'PX', '1']);
    for (let i = 0; i < 5; i++) await redis.command(['SET', `day:${i}`, 'v', 'EX', '7200']);
    for (let i = 0; i < 4; i++) await redis.command(['SET', `keep:${i}`, 'v']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const created = await harness.request('POST', `${base()}/scan-expire-keys-task`);
    expect(created.status).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(['created_at', 'id', 'instance_id', 'scan_type', 'status']);
    expect(created.body).toMatchObject({ instance_id: instanceId, status: 'waiting', scan_type: 'manual' });
    const again = await harness.request('POST', `${base()}/auto-expire/scan`);
    if (again.status === 400) expect(again.body['error_code']).toBe('DCS.4017');
    const id = created.body['id'] as string;
    const done = await until(`${base()}/auto-expire/histories/${id}`);
    expect(done).toMatchObject({ status: 'success', num: 30 });
    expect(done['ttl']).toMatchObject({ totals: { keys: 9, with_expiry: 5, without_expiry: 4, histogram: { under_1d: 5, none: 4 } } });
    expect(await redis.command(['DBSIZE'])).toBe(9);
    if (again.status === 200) await until(`${base()}/auto-expire/histories/${again.body['id'] as string}`);
    const histories = await harness.request('GET', `${base()}/auto-expire/histories?limit=1`);
    expect(histories.body).toMatchObject({ instance_id: instanceId, count: again.status === 200 ? 2 : 1, total: 30 });
    expect((histories.body['records'] as Json[])[0]).toEqual(expect.objectContaining({ status: 'success', scan_type: 'manual', num: expect.any(Number) }));
    const unknown = await harness.request('GET', `${base()}/auto-expire/histories/00000000-0000-0000-0000-000000000000`);
    expect(unknown.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid task_id in the request.' });
  });

  it('refuses a manual scan option out of range or of another kind', async () => {
    const count = await harness.request('POST', `${base()}/scan-expire-keys-task`, { body: { scan_keys_count: 5 } });
    expect(count.status).toBe(400);
    expect(count.body['error_code']).toBe('DCS.4800');
    const foreign = await harness.request('POST', `${base()}/scan-expire-keys-task`, { body: { sample_seconds: 5 } });
    expect(foreign.body['error_ext_msg']).toBe('sample_seconds is for hot key tasks only');
  });

  it('keeps the autoscan-config in seconds, with DCS.4819-4822', async () => {
    const never = await harness.request('GET', `${base()}/scan-expire-keys/autoscan-config`);
    expect(never.body).toMatchObject({ instance_id: instanceId, enable_auto_scan: false, interval: 86400, scan_keys_count: 100 });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const good = { enable_auto_scan: true, first_scan_at: later, interval: 3600, timeout: 7200, scan_keys_count: 50 };
    const put = await harness.request('PUT', `${base()}/scan-expire-keys/autoscan-config`, { body: good });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ ...good, instance_id: instanceId, updated_at: expect.any(String) });
    expect((await harness.request('GET', `${base()}/scan-expire-keys/autoscan-config`)).body).toMatchObject(good);
    for (const [change, code] of [
      [{ first_scan_at: '2020-01-01T00:00:00Z' }, 'DCS.4819'],
      [{ first_scan_at: 'tomorrow' }, 'DCS.4819'],
      [{ interval: -1 }, 'DCS.4820'],
      [{ timeout: 7199 }, 'DCS.4821'],
      [{ interval: 0, timeout: 1 }, 'DCS.4821'],
      [{ scan_keys_count: 9 }, 'DCS.4822'],
      [{ scan_keys_count: 1001 }, 'DCS.4822'],
    ] as const) {
      const refused = await harness.request('PUT', `${base()}/scan-expire-keys/autoscan-config`, { body: { ...good, ...change } });
      expect(refused.status, JSON.stringify(change)).toBe(400);
      expect(refused.body['error_code'], JSON.stringify(change)).toBe(code);
    }
    // Not applied: the stored schedule is unchanged.
    expect((await harness.request('GET', `${base()}/scan-expire-keys/autoscan-config`)).body).toMatchObject(good);
  });

  it('analyses a fresh RDB of a node and a saved backup: DCS shapes, nodes, backups, delete', async () => {
    await redis.command(['SET', 'user:1', 'x'.repeat(500)]);
    await redis.command(['RPUSH', 'queue:a', 'a', 'b', 'c']);
    const node = `127.0.0.1:${redis.port}`;
    const created = await harness.request('POST', `${base()}/offline/key-analysis`, { body: { node_id: node } });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(['task_id']);
    const id = created.body['task_id'] as string;
    const done = await until(`${base()}/offline/key-analysis/${id}`);
    expect(done).toMatchObject({ id, instance_id: instanceId, node_id: node, node_ip: '127.0.0.1', node_type: 'master', group_name: 'single', analysis_type: 'new_backup', status: 'success' });
    expect(done['total_num']).toBe(await redis.command(['DBSIZE']));
    expect((done['largest_keys'] as Json[])[0]).toMatchObject({ key: 'user:1', type: 'string', num_of_elem: 1 });
    expect(done['type_num']).toEqual(expect.arrayContaining([{ type: 'list', num: 1 }]));
    expect(done['largest_key_prefixes']).toEqual(expect.arrayContaining([expect.objectContaining({ key_prefix: 'queue', type: 'list', num: 1 })]));
    const nodes = await harness.request('GET', `${base()}/offline/key-analysis/${id}/nodes`);
    expect(nodes.body).toEqual({ nodes: [{ id: node, name: node, group_name: 'single', node_type: 'master' }] });
    expect((await harness.request('GET', `${base()}/nodes`)).body).toEqual(nodes.body);

    // A saved backup under <backup_dir>/<instance_id>/.
    await redis.command(['SAVE']);
    const dir = ((await redis.command(['CONFIG', 'GET', 'dir'])) as Buffer[])[1]!.toString();
    mkdirSync(path.join(backups, instanceId), { recursive: true });
    copyFileSync(path.join(dir, 'dump.rdb'), path.join(backups, instanceId, 'nightly.rdb'));
    const listed = await harness.request('GET', `${base()}/backups`);
    expect(listed.body).toEqual({ backups: [{ backup_id: 'nightly.rdb', size_bytes: expect.any(Number), created_at: expect.any(String) }] });
    const old = await harness.request('POST', `${base()}/offline/key-analysis`, { body: { node_id: node, backup_id: 'nightly.rdb' } });
    const oldDone = await until(`${base()}/offline/key-analysis/${old.body['task_id'] as string}`);
    expect(oldDone).toMatchObject({ analysis_type: 'old_backup', backup_id: 'nightly.rdb', status: 'success', total_num: done['total_num'] });

    const list = await harness.request('GET', `${base()}/offline/key-analysis`);
    expect(list.body).toMatchObject({ instance_id: instanceId, total: 2 });
    const deleted = await harness.request('DELETE', `${base()}/offline/key-analysis/${id}`);
    expect(deleted.body).toEqual({ task_id: id });
    expect((await harness.request('GET', `${base()}/offline/key-analysis`)).body).toMatchObject({ total: 1 });
  });

  it('refuses a node that is not the instance\'s, a backup that is not a plain file name, a missing node_id', async () => {
    const stranger = await harness.request('POST', `${base()}/offline/key-analysis`, { body: { node_id: '127.0.0.1:1' } });
    expect(stranger.body).toMatchObject({ error_code: 'DCS.4026' });
    expect(stranger.body['error_ext_msg']).toMatch(/127\.0\.0\.1:1 is not a node of the deployment/);
    for (const backup of ['../secret.key', '.hidden', 'a/b.rdb', 'missing.rdb']) {
      const refused = await harness.request('POST', `${base()}/offline/key-analysis`, { body: { node_id: `127.0.0.1:${redis.port}`, backup_id: backup } });
      expect(refused.status, backup).toBe(400);
      expect(refused.body, backup).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid backup_id in the request.' });
    }
    const missing = await harness.request('POST', `${base()}/offline/key-analysis`, { body: {} });
    expect(missing.body).toMatchObject({ error_code: 'DCS.4800', error_msg: 'Invalid node_id in the request.' });
  });

  it('answers the Huawei Cloud SDK calls of both families, signed with AK/SK', async () => {
    await harness.keyheat.http.listen({ host: '127.0.0.1', port: 0 });
    const address = harness.keyheat.http.server.address();
    const client = dcsClient(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, { ak: AK, sk: SK, projectId: P1 });
    const scan = await client.scanExpireKey(instanceId);
    expect(scan).toMatchObject({ httpStatusCode: 200, instance_id: instanceId, status: 'waiting', scan_type: 'manual' });
    await until(`${base()}/auto-expire/histories/${scan['id'] as string}`);
    const auto = await client.createAutoExpireScanTask(instanceId);
    expect(auto).toMatchObject({ httpStatusCode: 200, status: 'waiting' });
    await until(`${base()}/auto-expire/histories/${auto['id'] as string}`);
    expect(await client.showExpireKeyScanInfo(instanceId, { limit: 10 })).toMatchObject({ httpStatusCode: 200, instance_id: instanceId, records: expect.any(Array) });
    const config = { enable_auto_scan: false, first_scan_at: new Date(Date.now() + 86_400_000).toISOString(), interval: 0, timeout: 60, scan_keys_count: 10 };
    expect(await client.updateExpireAutoScanConfig(instanceId, config)).toMatchObject({ httpStatusCode: 200, ...config });
    expect(await client.showExpireAutoScanConfig(instanceId)).toMatchObject({ httpStatusCode: 200, ...config });
    const offline = await client.createOfflineKeyAnalysis(instanceId, { node_id: `127.0.0.1:${redis.port}` });
    expect(offline).toMatchObject({ httpStatusCode: 200, task_id: expect.any(String) });
    await until(`${base()}/offline/key-analysis/${offline['task_id'] as string}`);
    expect(await client.listOfflineKeyAnalysisTask(instanceId)).toMatchObject({ httpStatusCode: 200, instance_id: instanceId });
    expect(await client.showOfflineKeyAnalysisTask(instanceId, offline['task_id'] as string)).toMatchObject({ httpStatusCode: 200, status: 'success', analysis_type: 'new_backup' });
    expect(await client.deleteOfflineKeyAnalysisTask(instanceId, offline['task_id'] as string)).toMatchObject({ httpStatusCode: 200, task_id: offline['task_id'] });
  });
});
