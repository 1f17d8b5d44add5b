/** Parsing of INFO replies. INFO works where CONFIG is disabled (managed services). */
export type InfoFields = ReadonlyMap<string, string>;

export function parseInfo(text: string): InfoFields {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export interface ServerFacts {
  readonly version: string;
  /** standalone, cluster or sentinel */
  readonly mode: string;
  /** master or slave (a replica). */
  readonly role: string;
  /** Empty when the server does not report one (very old servers). */
  readonly maxmemoryPolicy: string;
  /** Databases that hold keys, with their key count, from the Keyspace section. */
  readonly keyspace: readonly { db: number; keys: number }[];
}

export function serverFacts(info: InfoFields): ServerFacts {
  const keyspace: { db: number; keys: number }[] = [];
  for (const [name, value] of info) {
    const db = /^db(\d+)$/.exec(name);
    if (db === null) continue;
    const keys = /(?:^|,)keys=(\d+)/.exec(value);
    const count = keys === null ? 0 : Number(keys[1]);
    if (count > 0) keyspace.push({ db: Number(db[1]), keys: count });
  }
  keyspace.sort((a, b) => a.db - b.db);
  return {
    version: info.get('redis_version') ?? '',
    mode: info.get('redis_mode') ?? 'standalone',
    role: info.get('role') ?? 'master',
    maxmemoryPolicy: info.get('maxmemory_policy') ?? '',
    keyspace,
  };
}

/** Compares dotted versions numerically: 7.0.15 < 7.2.0. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const b = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
