import type { Kysely, Selectable } from 'kysely';
import type { Instance, InstanceMode, InstanceStatus } from '../domain/instance.js';
import { openSecret, sealSecret, sealedKeyId, SecretKeyError, type SecretKey } from '../domain/secret-box.js';
import type { Database, InstancesTable } from './schema.js';

export class InstanceRepository {
  /** Redis passwords are sealed with `secretKey` (domain/secret-box.ts) on the way in and opened on the way out. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secretKey: SecretKey,
  ) {}

  /** Instances whose stored password this key cannot open (a lost or wrong key), for the start-up log. */
  async unreadable(): Promise<{ id: string; projectId: string; name: string }[]> {
    const rows = await this.db.selectFrom('instances').select(['id', 'project_id', 'name', 'password']).where('password', 'is not', null).execute();
    return rows
      .filter((row) => row.password !== null && sealedKeyId(row.password) !== null && openSecret(this.secretKey, row.password) === null)
      .map((row) => ({ id: row.id, projectId: row.project_id, name: row.name }));
  }

  /**
   * Seals every password still stored in plain text (a store from before encryption). Idempotent.
   * Not while other values were sealed by another key: that key is likely the right one (this one
   * lost or mistyped), and sealing with a wrong key would make the plain rows unreadable too.
   */
  async sealPlainPasswords(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('instances').select(['id', 'password']).where('password', 'is not', null).execute();
      const keyIds = rows.map((row) => (row.password === null ? null : sealedKeyId(row.password)));
      if (keyIds.some((id) => id !== null && id !== this.secretKey.id)) return 0;
      let sealed = 0;
      for (const row of rows) {
        if (row.password === null || sealedKeyId(row.password) !== null) continue;
        await trx.updateTable('instances').set({ password: sealSecret(this.secretKey, row.password) }).where('id', '=', row.id).execute();
        sealed += 1;
      }
      return sealed;
    });
  }

  /**
   * Re-seals every password with `next`, in one transaction: all or nothing. A password this
   * repository's key cannot open makes the whole rotation fail, naming the instances.
   */
  async reseal(next: SecretKey): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('instances').select(['id', 'password']).where('password', 'is not', null).execute();
      const opened = rows.map((row) => ({ id: row.id, plain: row.password === null ? null : plainOf(row.password, this.secretKey) }));
      const lost = opened.filter((row) => row.plain === null).map((row) => row.id);
      if (lost.length > 0) throw new SecretKeyError(`the current key cannot open the stored passwords of instances ${lost.join(', ')}; nothing was changed`);
      for (const row of opened) {
        await trx.updateTable('instances').set({ password: sealSecret(next, row.plain ?? '') }).where('id', '=', row.id).execute();
      }
      return opened.length;
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
          engine_version: row.engine_version,
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

  async updateHealth(id: string, status: InstanceStatus, engineVersion: string | null, now: Date): Promise<void> {
    await this.db
      .updateTable('instances')
      .set({ status, updated_at: now.toISOString(), ...(engineVersion === null ? {} : { engine_version: engineVersion }) })
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
  return {
    id: instance.id,
    project_id: instance.projectId,
    name: instance.name,
    host: instance.endpoint.host,
    port: instance.endpoint.port,
    tls: instance.endpoint.tls ? 1 : 0,
    username: instance.endpoint.username,
    password: instance.endpoint.password === null ? null : sealSecret(key, instance.endpoint.password),
    mode: instance.mode,
    engine_version: instance.engineVersion,
    status: instance.status,
    created_at: instance.createdAt,
    updated_at: instance.createdAt,
  };
}

function toInstance(row: Selectable<InstancesTable>, key: SecretKey): Instance {
  // A password that cannot be opened reads as none, flagged: the runner and the preflight
  // refuse the instance with a clear reason instead of trying Redis without it.
  const password = row.password === null ? null : plainOf(row.password, key);
  const unreadable = row.password !== null && password === null;
  return {
    ...(unreadable ? { secretUnreadable: true } : {}),
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    endpoint: { host: row.host, port: row.port, tls: row.tls === 1, username: row.username, password },
    mode: row.mode as InstanceMode,
    engineVersion: row.engine_version,
    status: row.status as InstanceStatus,
    createdAt: row.created_at,
  };
}

/** Plain text as stored before encryption, or what the key opens; null when it cannot. */
function plainOf(stored: string, key: SecretKey): string | null {
  return sealedKeyId(stored) === null ? stored : openSecret(key, stored);
}
