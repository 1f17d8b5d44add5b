/**
 * The Redis and Valkey servers of the version matrix: unmodified builds of each release the
 * suite proves keyheat on, in a folder per release (`redis-4.0.14/bin/redis-server`, ...; for
 * Valkey the valkey-* programs under the redis-* names), plus the system's redis-server (7.0.15
 * on Debian 12, the one built with TLS). Found in KEYHEAT_REDIS_VERSIONS, else in
 * `shared/redis-versions` beside the checkout or any folder above it (.ci/run exports where).
 * A checkout without them runs the suite without the matrix, saying so once.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface ServerVersion {
  /** The folder name: redis-7.4.1, valkey-8.0.1; `system` for the one on the PATH. */
  readonly name: string;
  readonly engine: 'Redis' | 'Valkey';
  /** The engine's version: 7.4.1, 8.0.1. */
  readonly version: string;
  readonly server: string;
  readonly cli: string;
  readonly benchmark: string;
}

/** The folder holding the matrix's builds, or null when none is found. */
export function versionsDir(): string | null {
  const given = process.env['KEYHEAT_REDIS_VERSIONS'];
  if (given !== undefined && given !== '') return existsSync(given) ? given : null;
  for (let dir = path.resolve(import.meta.dirname, '../..'); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'redis-versions');
    if (existsSync(candidate)) return candidate;
    const sibling = path.join(path.dirname(dir), 'shared', 'redis-versions');
    if (existsSync(sibling)) return sibling;
    if (path.dirname(dir) === dir) return null;
  }
}

/** Every build of the matrix, oldest first; empty without the folder. */
export function matrixVersions(): ServerVersion[] {
  const dir = versionsDir();
  if (dir === null) return [];
  const found: ServerVersion[] = [];
  for (const name of readdirSync(dir)) {
    const match = /^(redis|valkey)-(\d+\.\d+\.\d+)$/.exec(name);
    const bin = path.join(dir, name, 'bin');
    if (match === null || !existsSync(path.join(bin, 'redis-server'))) continue;
    found.push({
      name,
      engine: match[1] === 'valkey' ? 'Valkey' : 'Redis',
      version: match[2] as string,
      server: path.join(bin, 'redis-server'),
      cli: path.join(bin, 'redis-cli'),
      benchmark: path.join(bin, 'redis-benchmark'),
    });
  }
  return found.sort((a, b) => compareVersions(a, b));
}

/** A matrix build by folder name; throws when it is not there. */
export function serverVersion(name: string): ServerVersion {
  const found = matrixVersions().find((v) => v.name === name);
  if (found === undefined) throw new Error(`the version matrix has no ${name} (looked in ${versionsDir() ?? 'no folder'})`);
  return found;
}

/** Redis first by version, Valkey after (it forked from 7.2). */
function compareVersions(a: ServerVersion, b: ServerVersion): number {
  if (a.engine !== b.engine) return a.engine === 'Redis' ? -1 : 1;
  const x = a.version.split('.').map(Number);
  const y = b.version.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
