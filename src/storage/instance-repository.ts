import type { Kysely, Selectable } from 'kysely';
import type { Instance, InstanceMode, InstanceStatus } from '../domain/instance.js';
import type { Database, InstancesTable } from './schema.js';

export class InstanceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(instance: Instance): Promise<void> {
    await this.db.insertInto('instances').values(toRow(instance)).execute();
  }

  /** Insert or replace, for instances declared in the config file. */
  async upsert(instance: Instance): Promise<void> {
    const row = toRow(instance);
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
    return row === undefined ? undefined : toInstance(row);
  }

  async getById(id: string): Promise<Instance | undefined> {
    const row = await this.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toInstance(row);
  }

  async list(projectId: string): Promise<Instance[]> {
    const rows = await this.db.selectFrom('instances').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toInstance);
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

function toRow(instance: Instance): InstancesTable {
  return {
    id: instance.id,
    project_id: instance.projectId,
    name: instance.name,
    host: instance.endpoint.host,
    port: instance.endpoint.port,
    tls: instance.endpoint.tls ? 1 : 0,
    username: instance.endpoint.username,
    password: instance.endpoint.password,
    mode: instance.mode,
    engine_version: instance.engineVersion,
    status: instance.status,
    created_at: instance.createdAt,
    updated_at: instance.createdAt,
  };
}

function toInstance(row: Selectable<InstancesTable>): Instance {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    endpoint: { host: row.host, port: row.port, tls: row.tls === 1, username: row.username, password: row.password },
    mode: row.mode as InstanceMode,
    engineVersion: row.engine_version,
    status: row.status as InstanceStatus,
    createdAt: row.created_at,
  };
}
