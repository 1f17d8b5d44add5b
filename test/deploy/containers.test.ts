/**
 * The Dockerfile and deploy/compose.yaml, built and run with podman on a base made here
 * (scripts/container-base.sh: a debootstrap'd Debian bookworm with Node from the npm registry,
 * standing in for node:20-bookworm-slim). One file, so that the image is built once and no two
 * builds compete for the machine's cores.
 *
 * The image: run with host networking and a named volume; a Redis of the suite on loopback is
 * registered through the container's API and analysed; the container is stopped with SIGTERM
 * (once idle, once in the middle of an analysis) and started again, and everything it was told
 * is still there.
 *
 * The compose file: brought up unchanged by podman-compose, with stand-ins for the postgres,
 * redis and prometheus images built from Debian's packages (test/deploy/stand-ins), on the
 * project's own podman network as compose intends; the test reaches keyheat and Prometheus only
 * through the ports the file publishes on the host's loopback, and the containers with podman
 * exec. Skipped, saying so, only where podman cannot run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startProxy, type Proxy } from '../helpers/intercepting-proxy.js';
import { hasCommand } from '../helpers/commands.js';
import { baseImage, buildImage, imageSize, podman, podmanEnv, podmanOk, podmanUnavailable, REPO, run, tail, ULIMITS, type Run } from '../helpers/podman.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { seedRedis } from '../helpers/seed-keys.js';

const unavailable = await podmanUnavailable();
if (unavailable !== null) console.log(`container image: ${unavailable}; the image tests are skipped`);

/** What the image may add to its base (the budget). */
const MAX_ADDED_BYTES = 150 * 1000 * 1000;
/** docker stop's and podman stop's default: SIGKILL this long after SIGTERM. */
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** The image's KEYHEAT_RUNNER_SHUTDOWN_GRACE_MS. */
const IMAGE_GRACE_MS = 8000;

interface Api {
  (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

const suffix = randomBytes(4).toString('hex');
const tag = `localhost/keyheat:test-${suffix}`;
let base = '';

describe.runIf(unavailable === null)('containers', () => {
  beforeAll(async () => {
    base = await baseImage();
    const seconds = await buildImage(tag, { buildArgs: { BASE_IMAGE: base } });
    console.log(`container image: built ${tag} on ${base} in ${seconds.toFixed(1)} s`);
  }, 45 * 60_000);

  afterAll(async () => {
    await podman(['rmi', '-f', tag]);
  }, 120_000);

  describe('the keyheat image', imageTests);
  describe('deploy/compose.yaml, brought up', composeTests);
});

function imageTests(): void {
  const container = `keyheat-test-${suffix}`;
  const volume = `keyheat-test-data-${suffix}`;
  let redis: RedisServer;
  let proxy: Proxy;
  let slowScan = false;
  let port = 0;
  let api: Api;
  let projectId = '';
  let token = '';
  let instanceId = '';
  let firstTaskId = '';

  beforeAll(async () => {
    redis = await startRedis({ lfuLogFactor: 0, lfuDecayTime: 0 });
    await seedRedis(redis, [{ name: 'feed:today', db: 0, type: 'string', size: 5, hits: 40 }, { name: 'user:42', db: 2, type: 'hash', size: 3, hits: 12 }], 2000);
    // A SCAN slowed down on demand: an analysis that is still running when the container stops.
    proxy = await startProxy(redis.port, async (args) => {
      if (slowScan && args[0]?.toString().toUpperCase() === 'SCAN') await new Promise((resolve) => setTimeout(resolve, 300));
    });
    port = await freePort();
    api = async (method, path, body) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { 'X-Auth-Token': token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    };
    await podmanOk(['volume', 'create', volume]);
  }, 120_000);

  afterAll(async () => {
    await podman(['rm', '-f', '-v', '-t', '0', container]);
    await podman(['volume', 'rm', '-f', volume]);
    await proxy?.close();
    await redis?.stop();
  }, 120_000);

  /** Starts the stopped container (or runs it the first time); resolves with the ms until /readyz answered. */
  async function startAndWaitReady(first: boolean): Promise<number> {
    const started = performance.now();
    if (first) {
      // The image's own host (0.0.0.0) and settings; only the port is the test's. --network host:
      // the container reaches the suite's Redis on loopback, and the test reaches it there. A
      // read-only root without even a tmpfs on /tmp, as Kubernetes' readOnlyRootFilesystem
      // gives it: keyheat writes to /data only.
      await podmanOk(['run', '-d', '--name', container, '--network', 'host', ...ULIMITS, '--read-only', '--read-only-tmpfs=false', '-e', `KEYHEAT_PORT=${port}`, '-e', 'KEYHEAT_ANALYSIS_BATCH_SIZE=20', '-v', `${volume}:/data`, tag]);
    } else {
      await podmanOk(['start', container]);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the container was not ready within 60 s:\n${(await podman(['logs', '--tail', '30', container])).stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM (podman stop), with room to spare past the default so that a slow stop is measured, not killed. */
  async function stopMeasured(): Promise<{ ms: number; exitCode: number }> {
    const started = performance.now();
    await podmanOk(['stop', '-t', '30', container]);
    const ms = performance.now() - started;
    const exitCode = Number((await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', container])).trim());
    return { ms, exitCode };
  }

  async function waitForTask(taskId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await api('GET', `/v2/${projectId}/instances/${instanceId}/hotkey-task/${taskId}`);
      if (statuses.includes(body['status'] as string)) return body;
      if (Date.now() > deadline) throw new Error(`task ${taskId} is still ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it(`adds at most ${MAX_ADDED_BYTES / 1e6} MB to its base and declares its user, volume, port, health check and init`, async () => {
    const [inspected] = JSON.parse(await podmanOk(['image', 'inspect', tag])) as { Config: Record<string, unknown>; Healthcheck?: { Test: string[] } }[];
    const config = inspected?.Config ?? {};
    expect(config['User']).toBe('10001:10001');
    expect(Object.keys(config['Volumes'] as object)).toEqual(['/data']);
    expect(Object.keys(config['ExposedPorts'] as object)).toEqual(['8080/tcp']);
    expect(config['Entrypoint']).toEqual(['/usr/bin/tini', '--', 'keyheat']);
    expect(config['Cmd']).toEqual(['serve']);
    expect(config['StopSignal']).toBe('SIGTERM');
    expect(inspected?.Healthcheck?.Test).toEqual(['CMD', 'keyheat', 'healthcheck']);
    expect(config['Env']).toEqual(expect.arrayContaining(['KEYHEAT_HOST=0.0.0.0', 'KEYHEAT_PORT=8080', 'KEYHEAT_DATA_DIR=/data', `KEYHEAT_RUNNER_SHUTDOWN_GRACE_MS=${IMAGE_GRACE_MS}`]));

    const [imageBytes, baseBytes] = [await imageSize(tag), await imageSize(base)];
    console.log(`container image: ${(imageBytes / 1e6).toFixed(1)} MB, ${((imageBytes - baseBytes) / 1e6).toFixed(1)} MB over its base (${(baseBytes / 1e6).toFixed(1)} MB)`);
    expect(imageBytes - baseBytes).toBeLessThanOrEqual(MAX_ADDED_BYTES);
  });

  it('is built from a context of package.json, the lockfile, the tsconfigs, src and web only (.dockerignore)', async () => {
    // What podman sends as the build context, seen from inside a throwaway image of it.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-context-'));
    const probe = `localhost/keyheat-context-probe:${suffix}`;
    writeFileSync(path.join(dir, 'Containerfile'), `FROM ${base}\nCOPY . /context\n`);
    try {
      await buildImage(probe, { file: path.join(dir, 'Containerfile') });
      const listing = await podmanOk(['run', '--rm', '--network', 'host', probe, 'sh', '-c', 'cd /context && ls -A && echo --- && find . -name node_modules -o -name "*.key" -o -name "*.db" -o -name "*.rdb"']);
      const [top = '', found = ''] = listing.split('---');
      expect(top.trim().split('\n').sort()).toEqual(['package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json', 'web']);
      expect(found.trim()).toBe('');
    } finally {
      await podman(['rmi', '-f', probe]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts on its volume with a read-only root, prints the first token to stderr once, and analyses a Redis through its API', async () => {
    const readyMs = await startAndWaitReady(true);
    console.log(`container image: run to /readyz in ${readyMs.toFixed(0)} ms`);
    const logs = await podman(['logs', container]);
    const block = /project_id:\s+([0-9a-f]{32})\n\s+X-Auth-Token:\s+(kh_\S+)/.exec(logs.stderr);
    expect(block, logs.stderr).not.toBeNull();
    [, projectId = '', token = ''] = block ?? [];
    expect(logs.stdout).not.toContain(token);
    expect(logs.stdout).toContain(`keyheat is listening on http://0.0.0.0:${port} (store: sqlite /data/keyheat.db)`);

    // Through the DCS API from outside the container...
    const registered = await api('POST', `/v2/${projectId}/instances`, { name: 'suite-redis', url: `redis://127.0.0.1:${proxy.port}` });
    expect(registered.status).toBe(200);
    instanceId = registered.body['instance_id'] as string;
    const started = performance.now();
    const created = await api('POST', `/v2/${projectId}/instances/${instanceId}/hotkey-task`);
    firstTaskId = created.body['id'] as string;
    const task = await waitForTask(firstTaskId, ['success', 'failed']);
    console.log(`container image: first hot key analysis (2,002 keys, 2 databases) done in ${(performance.now() - started).toFixed(0)} ms`);
    expect(task['status']).toBe('success');
    expect((task['keys'] as { name: string; db: number }[]).map((key) => [key.name, key.db])).toEqual([['feed:today', 0], ['user:42', 2]]);

    // ...and with the CLI inside it, as the compose guide shows.
    const cli = await podman(['exec', '-e', `KEYHEAT_SERVER=http://127.0.0.1:${port}`, '-e', `KEYHEAT_PROJECT=${projectId}`, '-e', `KEYHEAT_TOKEN=${token}`, container, 'keyheat', 'tasks', 'list', instanceId]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(firstTaskId);
  });

  it('runs every process as its own user, tini as PID 1, and its health check passes (and can fail)', async () => {
    const processes = await podmanOk(['exec', container, 'sh', '-c', 'for s in /proc/[0-9]*/status; do printf "%s %s\\n" "$(sed -n "s/^Name:\\t//p" $s)" "$(sed -n "s/^Uid:\\t//p" $s)"; done']);
    const rows = processes.trim().split('\n').map((line) => line.split(/\s+/));
    expect(rows.map(([name]) => name)).toEqual(expect.arrayContaining(['tini', 'node']));
    for (const [name, ...uids] of rows) expect({ name, uids }).toEqual({ name, uids: ['10001', '10001', '10001', '10001'] });
    expect((await podmanOk(['exec', container, 'cat', '/proc/1/comm'])).trim()).toBe('tini');
    expect((await podmanOk(['exec', container, 'stat', '-c', '%u %a', '/data'])).trim()).toBe('10001 700');

    expect((await podman(['healthcheck', 'run', container])).code).toBe(0);
    const wrongPort = await podman(['exec', container, 'keyheat', 'healthcheck', '--port', String(await freePort())]);
    expect(wrongPort.code).toBe(1);
    expect(wrongPort.stderr).toMatch(/keyheat healthcheck: http:\/\/127\.0\.0\.1:\d+\/readyz: .*ECONNREFUSED/);
  });

  it('stops on SIGTERM at once when idle, and keeps its tasks and token across a restart', async () => {
    const stop = await stopMeasured();
    console.log(`container image: idle stop took ${stop.ms.toFixed(0)} ms`);
    expect(stop.exitCode).toBe(0);
    expect(stop.ms).toBeLessThan(3000);

    await startAndWaitReady(false);
    const kept = await api('GET', `/v2/${projectId}/instances/${instanceId}/hotkey-task/${firstTaskId}`);
    expect(kept.status).toBe(200);
    expect(kept.body['status']).toBe('success');
    const logs = await podman(['logs', container]);
    expect(logs.stderr.match(/X-Auth-Token: {2}kh_/g)).toHaveLength(1);
    expect(logs.stderr).toContain(`keyheat project_id: ${projectId} (the admin token was printed at the first start`);
  });

  it('on SIGTERM during an analysis, hands it back within its grace period and finishes it after the restart', async () => {
    slowScan = true;
    const created = await api('POST', `/v2/${projectId}/instances/${instanceId}/hotkey-task`);
    const taskId = created.body['id'] as string;
    await waitForTask(taskId, ['running']);
    const stop = await stopMeasured();
    console.log(`container image: stop during an analysis took ${stop.ms.toFixed(0)} ms (grace ${IMAGE_GRACE_MS} ms)`);
    expect(stop.exitCode).toBe(0);
    expect(stop.ms).toBeGreaterThanOrEqual(IMAGE_GRACE_MS - 500);
    expect(stop.ms).toBeLessThan(DEFAULT_STOP_TIMEOUT_MS);
    expect((await podman(['logs', '--tail', '20', container])).stdout).toMatch(/handed back|hand(ing)? back/i);

    slowScan = false;
    await startAndWaitReady(false);
    const resumed = await waitForTask(taskId, ['success', 'failed']);
    expect(resumed['status']).toBe('success');
    const list = await api('GET', `/v2/${projectId}/instances/${instanceId}/hotkey-tasks`);
    expect(list.body['count']).toBe(2);
  });
}

function composeTests(): void {
  const project = `khtest${suffix}`;
  const standIns = { POSTGRES_IMAGE: 'postgres', REDIS_IMAGE: 'redis', PROMETHEUS_IMAGE: 'prometheus' } as const;
  let env: Record<string, string> = {};
  let keyheatPort = 0;
  let prometheusPort = 0;
  let token = '';
  let projectId = '';

  const compose = (args: readonly string[]): Promise<Run> => run('podman-compose', ['-f', 'deploy/compose.yaml', '-p', project, ...args], { env: podmanEnv(env), timeoutMs: 10 * 60_000 });
  /** The container of a service, whatever podman-compose's version names it. */
  const containerOf = async (service: string): Promise<string> => {
    const names = await podmanOk(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`, '--format', '{{.Names}}']);
    const name = names.trim().split('\n')[0] ?? '';
    if (name === '') throw new Error(`no container for the service ${service}`);
    return name;
  };
  const exec = async (service: string, args: readonly string[], extraEnv: Readonly<Record<string, string>> = {}): Promise<Run> =>
    podman(['exec', ...Object.entries(extraEnv).flatMap(([name, value]) => ['-e', `${name}=${value}`]), await containerOf(service), ...args]);
  const prometheus = async (path: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`http://127.0.0.1:${prometheusPort}${path}`);
    return ((await response.json()) as { data: Record<string, unknown> }).data;
  };

  async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const value = await probe();
        if (value !== null) return value;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  const keyheatReady = (): Promise<true> =>
    until('keyheat /readyz through the published port', async () => ((await fetch(`http://127.0.0.1:${keyheatPort}/readyz`)).status === 200 ? true : null), 120_000);

  beforeAll(async () => {
    if (!(await hasCommand('podman-compose'))) throw new Error('podman-compose is not installed (Debian: apt-get install podman-compose)');
    const context = 'test/deploy/stand-ins';
    for (const [variable, name] of Object.entries(standIns)) {
      const image = `localhost/keyheat-stand-in-${name}:${base.split(':')[1] ?? 'latest'}`;
      const seconds = await buildImage(image, { file: `${context}/${name}.Containerfile`, context, buildArgs: { BASE_IMAGE: base } });
      console.log(`compose: stand-in ${image} built in ${seconds.toFixed(1)} s`);
      env[variable] = image;
    }
    [keyheatPort, prometheusPort] = [await freePort(), await freePort()];
    env = { ...env, KEYHEAT_IMAGE: tag, BASE_IMAGE: base, KEYHEAT_HTTP_PORT: String(keyheatPort), PROMETHEUS_HTTP_PORT: String(prometheusPort) };
  }, 30 * 60_000);

  afterAll(async () => {
    const names = await podman(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}']);
    for (const name of names.stdout.trim().split('\n').filter((line) => line !== '')) await podman(['rm', '-f', '-v', '-t', '2', name]);
    const volumes = await podman(['volume', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Name}}']);
    for (const name of volumes.stdout.trim().split('\n').filter((line) => line !== '')) await podman(['volume', 'rm', '-f', name]);
    await podman(['network', 'rm', '-f', `${project}_default`]);
  }, 120_000);

  it('comes up: keyheat on PostgreSQL with its generated secrets, the token in its log once', async () => {
    const started = performance.now();
    const up = await compose(['up', '-d']);
    expect(up.code, tail(up.stdout + up.stderr, 30)).toBe(0);
    await keyheatReady();
    console.log(`compose: up to keyheat ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const logs = await podman(['logs', await containerOf('keyheat')]);
    const block = /project_id:\s+([0-9a-f]{32})\n\s+X-Auth-Token:\s+(kh_\S+)/.exec(logs.stderr);
    expect(block, logs.stderr).not.toBeNull();
    [, projectId = '', token = ''] = block ?? [];
    expect(logs.stdout).toMatch(/store: postgres postgres:\/\/keyheat:\*\*\*@postgres:5432\/keyheat/);
    expect(logs.stdout).toContain('"source":"/secrets/secret.key","generated":false');
    expect(logs.stdout).toContain('/metrics requires Authorization: Bearer <metrics.token>');

    // The key is keyheat's alone; Prometheus (nobody) reads only the metrics token.
    expect((await exec('keyheat', ['stat', '-c', '%u %a', '/secrets/secret.key', '/secrets/metrics.token'])).stdout.trim().split('\n')).toEqual(['10001 400', '10001 440']);
    expect((await exec('prometheus', ['cat', '/secrets/secret.key'])).code).not.toBe(0);
    expect((await exec('prometheus', ['cat', '/secrets/metrics.token'])).code).toBe(0);
  });

  it('analyses its Redis from the keyheat container, as the guide does', async () => {
    const load = await exec('redis', ['sh', '-c', 'redis-cli set feed:today hello && redis-benchmark -q -n 20000 get feed:today && redis-cli rpush big:list $(seq 6000)']);
    expect(load.code, load.stderr).toBe(0);
    const as = { KEYHEAT_PROJECT: projectId, KEYHEAT_TOKEN: token };
    const added = await exec('keyheat', ['keyheat', 'instances', 'add', '--name', 'demo', '--url', 'redis://redis:6379'], as);
    expect(added.code, added.stdout + added.stderr).toBe(0);
    const instanceId = /instance_id:\s+(\S+)/.exec(added.stdout)?.[1] ?? '';
    const hot = await exec('keyheat', ['keyheat', 'tasks', 'create', instanceId, '--wait'], as);
    expect(hot.code, hot.stdout + hot.stderr).toBe(0);
    expect(hot.stdout).toMatch(/^1\s+\d+\s+\S+\s+string\s+5 B\s+0\s+feed:today$/m);
    const big = await exec('keyheat', ['keyheat', 'tasks', 'create', instanceId, '--big', '--wait'], as);
    expect(big.code, big.stdout + big.stderr).toBe(0);
    expect(big.stdout).toMatch(/^1\s+6,000 items\s+.*list\s+0\s+big:list$/m);
  });

  it("lets Prometheus scrape keyheat's findings with the token and load every alert rule", async () => {
    const expected = (parseYaml(readFileSync(path.join(REPO, 'deploy/prometheus/keyheat-alerts.yml'), 'utf8')) as { groups: { rules: { alert?: string }[] }[] }).groups
      .flatMap((group) => group.rules.map((rule) => rule.alert))
      .filter((name): name is string => name !== undefined);
    const rules = (await until('Prometheus loaded its rules', () => prometheus('/api/v1/rules'), 60_000)) as { groups: { rules: { name: string; health: string }[] }[] };
    const loaded = rules.groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name).sort()).toEqual([...expected].sort());
    expect(loaded.every((rule) => rule.health !== 'err')).toBe(true);

    // A scrape every 15 s: the hot key appears once one has happened after the analysis.
    const series = await until(
      'keyheat_hot_key_freq{key="feed:today"} in Prometheus',
      async () => {
        const data = (await prometheus(`/api/v1/query?query=${encodeURIComponent('keyheat_hot_key_freq{key="feed:today"}')}`)) as { result: unknown[] };
        return data.result.length > 0 ? data.result : null;
      },
      90_000,
    );
    expect(series).toHaveLength(1);
    const targets = (await prometheus('/api/v1/targets')) as { activeTargets: { labels: { job: string }; health: string }[] };
    expect(targets.activeTargets.map((target) => [target.labels.job, target.health])).toEqual([['keyheat', 'up']]);
  });

  it('keeps its tasks and its secret key through down and up', async () => {
    const keyBefore = (await exec('keyheat', ['cat', '/secrets/secret.key'])).stdout;
    const down = await compose(['down']);
    expect(down.code, tail(down.stdout + down.stderr)).toBe(0);
    const up = await compose(['up', '-d']);
    expect(up.code, tail(up.stdout + up.stderr)).toBe(0);
    await keyheatReady();
    expect((await exec('keyheat', ['cat', '/secrets/secret.key'])).stdout).toBe(keyBefore);
    const listed = await exec('keyheat', ['keyheat', 'instances', 'list', '--json'], { KEYHEAT_PROJECT: projectId, KEYHEAT_TOKEN: token });
    const instances = (JSON.parse(listed.stdout) as { instances: { instance_id: string; name: string }[] }).instances;
    expect(instances.map((instance) => instance.name)).toEqual(['demo']);
    const tasks = await exec('keyheat', ['keyheat', 'tasks', 'list', instances[0]?.instance_id ?? '', '--json'], { KEYHEAT_PROJECT: projectId, KEYHEAT_TOKEN: token });
    expect((JSON.parse(tasks.stdout) as { count: number }).count).toBe(1);
  });
}
