/**
 * podman for the container tests, as it runs on machines like this one: the runc runtime and
 * cgroupfs (crun refuses the cgroup setup), explicit ulimits (the defaults are refused), host
 * networking for the tests' own containers. Every podman started from here, podman-compose's
 * included, reads those settings from one containers.conf (CONTAINERS_CONF), so nothing of the
 * machine's configuration is changed.
 *
 * Images are built at low CPU priority (nice 10): the other test files keep their timing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasCommand } from './commands.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'] as const;

const confDir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-podman-'));
const CONTAINERS_CONF = path.join(confDir, 'containers.conf');
writeFileSync(
  CONTAINERS_CONF,
  ['[containers]', 'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]', '', '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"', ''].join('\n'),
);

/** The environment podman and podman-compose run with here. */
export function podmanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF, ...extra };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; never throws on a non-zero exit (the caller looks at `code`). */
export async function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { env: options.env ?? podmanEnv(), cwd: options.cwd ?? REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? 1 : 128), stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** podman with the tests' settings. */
export function podman(args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return run('podman', args, options);
}

/** Like podman(), but fails with podman's own words when the command does. */
export async function podmanOk(args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const result = await podman(args, options);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}:\n${tail(result.stderr || result.stdout)}`);
  return result.stdout;
}

/** Why podman cannot run containers here at all, or null when it can. */
export async function podmanUnavailable(): Promise<string | null> {
  if (!(await hasCommand('podman'))) return 'podman is not installed';
  const info = await podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], { timeoutMs: 60_000 });
  if (info.code !== 0) return `podman info fails: ${tail(info.stderr, 2)}`;
  return null;
}

/**
 * The stand-in for node:20-bookworm-slim (scripts/container-base.sh): made by debootstrap and
 * the npm registry the first time, a lookup after that.
 */
export async function baseImage(): Promise<string> {
  const result = await run('nice', ['-n', '10', 'bash', 'scripts/container-base.sh'], { timeoutMs: 15 * 60_000, env: podmanEnv({ PODMAN: 'podman' }) });
  if (result.code !== 0) throw new Error(`scripts/container-base.sh exited ${result.code}:\n${tail(result.stderr)}`);
  return result.stdout.trim();
}

/** Builds an image with `podman build --format docker` (which keeps HEALTHCHECK); returns the seconds it took. */
export async function buildImage(tag: string, options: { file?: string; context?: string; buildArgs?: Readonly<Record<string, string>> } = {}): Promise<number> {
  const started = performance.now();
  const args = [
    'podman', 'build', '--format', 'docker', '--network', 'host', ...ULIMITS,
    ...Object.entries(options.buildArgs ?? {}).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
    ...(options.file === undefined ? [] : ['-f', options.file]),
    '-t', tag, options.context ?? '.',
  ];
  const result = await run('nice', ['-n', '10', ...args], { timeoutMs: 30 * 60_000 });
  if (result.code !== 0) throw new Error(`podman build of ${tag} exited ${result.code}:\n${tail(result.stdout + result.stderr, 30)}`);
  return (performance.now() - started) / 1000;
}

/** An image's size in bytes, as podman reports it. */
export async function imageSize(image: string): Promise<number> {
  return Number((await podmanOk(['image', 'inspect', '--format', '{{.Size}}', image])).trim());
}

export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
