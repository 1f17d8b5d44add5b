/**
 * Deployments behind Redis Sentinel, on real processes: a primary with two replicas watched by
 * three `redis-server --sentinel` (quorum two), the Sentinels with a password of their own.
 * Registered as redis+sentinel://, keyheat asks the Sentinels for the current primary at every
 * task, so a SENTINEL FAILOVER between two tasks needs nothing from the operator; big keys read
 * a replica the Sentinels list. Registration refuses unreachable Sentinels, an unknown master
 * name and a wrong Sentinel password with DCS.4049 naming which (never the password), and a
 * redis:// URL pointing at a Sentinel with the redis+sentinel:// to use instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P1, startHarness, type Harness } from '../helpers/keyheat-harness.js';
import { runKeyheatToEnd } from '../helpers/keyheat-process.js';
import { freePort } from '../helpers/redis-server.js';
import { startSentinels, type SentinelDeployment } from '../helpers/redis-sentinel.js';
import { seedRedis } from '../helpers/seed-keys.js';

type Json = Record<string, unknown>;

const DATA_PASSWORD = 'data-password-1';
const SENTINEL_PASSWORD = 'sentinel-secret-42';

describe('a primary behind Sentinel', () => {
  let sentinels: SentinelDeployment;
  let harness: Harness;
  let instanceId: string;
  const base = (): string => `/v2/${P1}/instances/${instanceId}`;

  beforeAll(async () => {
    sentinels = await startSentinels({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD, lfuLogFactor: 0, lfuDecayTime: 0 });
    const primary = sentinels.nodes[0];
    if (primary === undefined) throw new Error('no primary');
    await seedRedis(primary, [
      { name: 'hot:one', db: 0, type: 'string', size: 5, hits: 30 },
      { name: 'big:list', db: 0, type: 'list', size: 6000, hits: 0 },
    ]);
    // The replicas have the data before anything is analysed.
    await primary.command(['WAIT', 2, 5000]);
    harness = await startHarness();
  }, 90_000);

  afterAll(async () => {
    await harness?.close({ removeData: true });
    await sentinels?.stop();
  });

  async function finished(kind: 'hot' | 'big', taskId: string): Promise<Json> {
    for (let i = 0; i < 600; i++) {
      const task = (await harness.request('GET', `${base()}/${kind}key-task/${taskId}`)).body;
      if (task['status'] === 'success' || task['status'] === 'failed') return task;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`task ${taskId} did not finish`);
  }

  async function hotTask(): Promise<Json> {
    const created = await harness.request('POST', `${base()}/hotkey-task`);
    expect(created.status, created.text).toBe(200);
    const task = await finished('hot', created.body['id'] as string);
    expect(task['status'], JSON.stringify(task)).toBe('success');
    return task;
  }

  it('registers with the data nodes\' password in the URL and the Sentinels\' apart, showing neither', async () => {
    const response = await harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'behind-sentinel', url: sentinels.url, sentinel_password: SENTINEL_PASSWORD } });
    expect(response.status, response.text).toBe(200);
    instanceId = response.body['instance_id'] as string;
    expect(response.body).toMatchObject({
      engine: 'Redis',
      mode: 'sentinel',
      ip: '127.0.0.1',
      port: sentinels.sentinelPorts[0],
      sentinel: { master_name: 'mymaster', sentinels: sentinels.sentinelPorts.map((p) => `127.0.0.1:${p}`) },
    });
    expect(response.text).not.toContain(SENTINEL_PASSWORD);
    expect(response.text).not.toContain(DATA_PASSWORD);
    const shown = await harness.request('GET', base());
    expect(shown.body['mode']).toBe('sentinel');
    expect(shown.text).not.toContain(SENTINEL_PASSWORD);
  });

  it('analyses the primary the Sentinels name, and after a failover the new one, with no re-registration', async () => {
    const first = await hotTask();
    const primary = await sentinels.primary();
    expect(((first['analysis'] as Json)['nodes'] as Json[]).map((n) => n['node'])).toEqual([primary]);
    expect((first['keys'] as Json[])[0]).toMatchObject({ name: 'hot:one', db: 0, freq: 35 });

    const promoted = await sentinels.failover();
    expect(promoted).not.toBe(primary);
    // The promoted replica has the data but its own counters: the reads it serves from now on count.
    const node = sentinels.nodes.find((n) => `127.0.0.1:${n.port}` === promoted);
    for (let i = 0; i < 12; i++) await node?.command(['GET', 'hot:one']);
    const second = await hotTask();
    expect(((second['analysis'] as Json)['nodes'] as Json[]).map((n) => n['node'])).toEqual([promoted]);
    expect((second['keys'] as Json[])[0]).toMatchObject({ name: 'hot:one', freq: 17 });
  }, 60_000);

  it('reads big keys on a replica the Sentinels list as up', async () => {
    const created = await harness.request('POST', `${base()}/bigkey-task`);
    expect(created.status, created.text).toBe(200);
    const task = await finished('big', created.body['id'] as string);
    expect(task['status'], JSON.stringify(task)).toBe('success');
    const primary = await sentinels.primary();
    const nodes = ((task['analysis'] as Json)['nodes'] as Json[]).map((n) => [n['role'], n['node'] === primary, n['replica_skipped'] ?? null]);
    expect(nodes).toEqual([['replica', false, null]]);
    expect(JSON.stringify(task['keys'])).toContain('big:list');
  });

  it('refuses unreachable Sentinels, an unknown master and a wrong Sentinel password with DCS.4049, naming which', async () => {
    const register = (url: string, sentinelPassword?: string): Promise<{ status: number; body: Json; text: string }> =>
      harness.request('POST', `/v2/${P1}/instances`, { body: { name: 'x', url, ...(sentinelPassword === undefined ? {} : { sentinel_password: sentinelPassword }) } });
    const closed = [await freePort(), await freePort()];
    const unreachable = await register(`redis+sentinel://127.0.0.1:${closed[0]},127.0.0.1:${closed[1]}/mymaster`, SENTINEL_PASSWORD);
    expect(unreachable.status).toBe(400);
    expect(unreachable.body['error_code']).toBe('DCS.4049');
    expect(unreachable.body['error_ext_msg']).toMatch(new RegExp(`no Sentinel could name the primary: .*127\\.0\\.0\\.1:${closed[0]}.*ECONNREFUSED.*127\\.0\\.0\\.1:${closed[1]}`));

    const unknown = await register(sentinels.url.replace('/mymaster', '/nosuchmaster'), SENTINEL_PASSWORD);
    expect(unknown.body['error_code']).toBe('DCS.4049');
    expect(unknown.body['error_ext_msg']).toMatch(/monitors no master named "nosuchmaster" \(it monitors "mymaster"\)/);

    const wrong = await register(sentinels.url, 'not-the-sentinel-password');
    expect(wrong.body['error_code']).toBe('DCS.4049');
    expect(wrong.body['error_ext_msg']).toMatch(/refused the Sentinel password/);
    expect(wrong.text).not.toContain('not-the-sentinel-password');
    const none = await register(sentinels.url);
    expect(none.body['error_ext_msg']).toMatch(/refused the Sentinel password/);

    // A Sentinel given as a plain Redis (with its own password): refused, saying what to register instead.
    const plain = await register(`redis://:${SENTINEL_PASSWORD}@127.0.0.1:${sentinels.sentinelPorts[0]}`);
    expect(plain.body['error_code']).toBe('DCS.4800');
    expect(plain.body['error_ext_msg']).toMatch(new RegExp(`is a Redis Sentinel \\(it monitors "mymaster"\\): register it as redis\\+sentinel://127\\.0\\.0\\.1:${sentinels.sentinelPorts[0]}/mymaster`));
  });

  it('runs keyheat scan through the Sentinels, with their password from KEYHEAT_SENTINEL_PASSWORD', async () => {
    const env = { KEYHEAT_SENTINEL_PASSWORD: SENTINEL_PASSWORD };
    const ok = await runKeyheatToEnd(['scan', sentinels.url, '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const result = JSON.parse(ok.stdout) as Json;
    expect(result['mode']).toBe('sentinel');
    expect(((result['analysis'] as Json)['nodes'] as Json[]).map((n) => n['node'])).toEqual([await sentinels.primary()]);
    const wrong = await runKeyheatToEnd(['scan', sentinels.url], { env: { KEYHEAT_SENTINEL_PASSWORD: 'wrong-one' } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/no Sentinel could name the primary: .*refused the Sentinel password/);
    expect(wrong.stderr).not.toContain('wrong-one');
  }, 30_000);
});
