import type { Kysely, Selectable } from 'kysely';
import type { Instance, InstanceMode, InstanceStatus, RedisEngine, RedisTls, SentinelSettings } from '../domain/instance.js';
import { openSecret, sealSecret, sealedKeyId, SecretKeyError, type SecretKey } from '../domain/secret-box.js';
import type { Database, InstancesTable } from './schema.js';

/** The columns holding secrets: each sealed with the secret key on the way in, opened on the way out. */
const SECRET_COLUMNS = ['password', 'tls_key', 'sentinel_password'] as const;
type SecretColumn = (typeof SECRET_COLUMNS)[number];
type Secrets = Pick<InstancesTable, SecretColumn>;

export class InstanceRepository {
  /**
   * Redis passwords, TLS client keys and Sentinel passwords are sealed with `secretKey`
   * (domain/secret-box.ts) on the way in and opened on the way out.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secretKey: SecretKey,
  ) {}

  /** Instances with a stored secret this key cannot open (a lost or wrong key), for the start-up log. */
  async unreadable(): Promise<{ id: string; projectId: string; name: string }[]> {
    const rows = await this.db.selectFrom('instances').select(['id', 'project_id', 'name', ...SECRET_COLUMNS]).execute();
    return rows
      .filter((row) => SECRET_COLUMNS.some((column) => sealedUnreadable(row[column], this.secretKey)))
      .map((row) => ({ id: row.id, projectId: row.project_id, name: row.name }));
  }

  /**
   * Seals every secret still stored in plain text (a store from before encryption). Idempotent.
   * Not while other values were sealed by another key: that key is likely the right one (this one
   * lost or mistyped), and sealing with a wrong key would make the plain rows unreadable too.
   */
  async sealPlainPasswords(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('instances').select(['id', ...SECRET_COLUMNS]).execute();
      const keyIds = rows.flatMap((row) => SECRET_COLUMNS.map((column) => (row[column] === null ? null : sealedKeyId(row[column] as string))));
      if (keyIds.some((id) => id !== null && id !== this.secretKey.id)) return 0;
      let sealed = 0;
      for (const row of rows) {
        const plain = SECRET_COLUMNS.filter((column) => row[column] !== null && sealedKeyId(row[column] as string) === null);
        if (plain.length === 0) continue;
        const update: Partial<Secrets> = {};
        for (const column of plain) update[column] = sealSecret(this.secretKey, row[column] as string);
        await trx.updateTable('instances').set(update).where('id', '=', row.id).execute();
        sealed += 1;
      }
      return sealed;
    });
  }

  /**
   * Re-seals every secret with `next`, in one transaction: all or nothing. Secrets already sealed
   * with `next` stay as they are, so a rotation that succeeded without being told (a crash after
   * the commit) can be run again: it then re-seals nothing. A secret neither key opens makes the
   * whole rotation fail, naming the instances. Returns how many instances were re-sealed and how
   * many already were.
   */
  async reseal(next: SecretKey): Promise<{ resealed: number; already: number }> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('instances').select(['id', ...SECRET_COLUMNS]).execute();
      const pending = (row: (typeof rows)[number]): SecretColumn[] => SECRET_COLUMNS.filter((column) => row[column] !== null && sealedKeyId(row[column] as string) !== next.id);
      const withSecrets = rows.filter((row) => SECRET_COLUMNS.some((column) => row[column] !== null));
      const stale = withSecrets.filter((row) => pending(row).length > 0);
      const lost = stale.filter((row) => pending(row).some((column) => plainOf(row[column] as string, this.secretKey) === null)).map((row) => row.id);
      if (lost.length > 0) throw new SecretKeyError(`the current key cannot open the stored secrets of instances ${lost.join(', ')}; nothing was changed`);
      for (const row of stale) {
        const update: Partial<Secrets> = {};
        for (const column of pending(row)) update[column] = sealSecret(next, plainOf(row[column] as string, this.secretKey) ?? '');
        await trx.updateTable('instances').set(update).where('id', '=', row.id).execute();
      }
      return { resealed: stale.length, already: withSecrets.length - stale.length };
    });
  }

  async insert(instance: Instance): Promise<void> {
    await this.db.insertInto('instances').values(toRow(instance, this.secretKey)).execute();
  }

  /** Insert or replace, for instances declared in the config file. */
  async upsert(instance: Instance): Promise<void> {
    const row = toRow(instance, this.secretKey);
    await this.db
      .insertInto('instances')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          project_id: row.project_id,
          name: row.name,
          host: row.host,
          port: row.port,
          tls: row.tls,
          username: row.username,
          password: row.password,
          mode: row.mode,
          engine: row.engine,
          engine_version: row.engine_version,
          tls_json: row.tls_json,
          tls_key: row.tls_key,
          sentinel_json: row.sentinel_json,
          sentinel_password: row.sentinel_password,
          status: row.status,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  async get(projectId: string, id: string): Promise<Instance | undefined> {
    const row = await this.db.selectFrom('instances').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toInstance(row, this.secretKey);
  }

  async getById(id: string): Promise<Instance | undefined> {
    const row = await this.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toInstance(row, this.secretKey);
  }

  async list(projectId: string): Promise<Instance[]> {
    const rows = await this.db.selectFrom('instances').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => toInstance(row, this.secretKey));
  }

  /** The instance's reachability, and the engine and version it answered with (null: not read this time). */
  async updateHealth(id: string, status: InstanceStatus, engine: { engine: RedisEngine; version: string } | null, now: Date): Promise<void> {
    await this.db
      .updateTable('instances')
      .set({ status, updated_at: now.toISOString(), ...(engine === null ? {} : { engine: engine.engine, engine_version: engine.version }) })
      .where('id', '=', id)
      .execute();
  }

  /** Removes the instance with its tasks and autoscan config, atomically. */
  async delete(projectId: string, id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('instances').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await trx.deleteFrom('hotkey_tasks').where('instance_id', '=', id).execute();
      await trx.deleteFrom('autoscan_configs').where('instance_id', '=', id).execute();
      await trx.deleteFrom('autoscan_runs').where('instance_id', '=', id).execute();
      return true;
    });
  }
}

function toRow(instance: Instance, key: SecretKey): InstancesTable {
  const { endpoint } = instance;
  const seal = (value: string | null | undefined): string | null => (value == null ? null : sealSecret(key, value));
  const tls = endpoint.tls;
  const sentinel = endpoint.sentinel ?? null;
  return {
    id: instance.id,
    project_id: instance.projectId,
    name: instance.name,
    host: endpoint.host,
    port: endpoint.port,
    tls: tls === null ? 0 : 1,
    username: endpoint.username,
    password: seal(endpoint.password),
    mode: instance.mode,
    engine: instance.engine,
    engine_version: instance.engineVersion,
    status: instance.status,
    created_at: instance.createdAt,
    updated_at: instance.createdAt,
    tls_json: tls === null ? null : JSON.stringify({ ca: tls.ca, cert: tls.cert, servername: tls.servername, insecure: tls.insecure }),
    tls_key: seal(tls?.key),
    sentinel_json: sentinel === null ? null : JSON.stringify({ master_name: sentinel.masterName, nodes: sentinel.nodes }),
    sentinel_password: seal(sentinel?.password),
  };
}

function toInstance(row: Selectable<InstancesTable>, key: SecretKey): Instance {
  // A secret that cannot be opened reads as none, flagged: the runner and the preflight refuse
  // the instance with a clear reason instead of trying Redis without it.
  const password = row.password === null ? null : plainOf(row.password, key);
  const unreadable = SECRET_COLUMNS.some((column) => sealedUnreadable(row[column], key));
  return {
    ...(unreadable ? { secretUnreadable: true } : {}),
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    endpoint: {
      host: row.host,
      port: row.port,
      tls: row.tls === 1 ? tlsOf(row.tls_json, row.tls_key === null ? null : plainOf(row.tls_key, key)) : null,
      username: row.username,
      password,
      sentinel: sentinelOf(row.sentinel_json, row.sentinel_password === null ? null : plainOf(row.sentinel_password, key)),
    },
    mode: row.mode as InstanceMode,
    engine: row.engine === 'Valkey' ? 'Valkey' : 'Redis',
    engineVersion: row.engine_version,
    status: row.status as InstanceStatus,
    createdAt: row.created_at,
  };
}

function tlsOf(json: string | null, tlsKey: string | null): RedisTls {
  const stored = json === null ? {} : (JSON.parse(json) as { ca?: string | null; cert?: string | null; servername?: string | null; insecure?: boolean });
  return { ca: stored.ca ?? null, cert: stored.cert ?? null, key: tlsKey, servername: stored.servername ?? null, insecure: stored.insecure === true };
}

function sentinelOf(json: string | null, password: string | null): SentinelSettings | null {
  if (json === null) return null;
  const stored = JSON.parse(json) as { master_name: string; nodes: { host: string; port: number }[] };
  return { masterName: stored.master_name, nodes: stored.nodes, password };
}

/** A sealed value this key cannot open. */
function sealedUnreadable(stored: string | null, key: SecretKey): boolean {
  return stored !== null && sealedKeyId(stored) !== null && openSecret(key, stored) === null;
}

/** Plain text as stored before encryption, or what the key opens; null when it cannot. */
function plainOf(stored: string, key: SecretKey): string | null {
  return sealedKeyId(stored) === null ? stored : openSecret(key, stored);
}
