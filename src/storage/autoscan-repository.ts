import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AutoscanConfig {
  readonly instanceId: string;
  readonly enableAutoScan: boolean;
  /** Daily UTC times, "HH:mm", sorted, unique. */
  readonly scheduleAt: readonly string[];
  readonly updatedAt: string | null;
}

export class AutoscanRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(instanceId: string): Promise<AutoscanConfig | undefined> {
    const row = await this.db.selectFrom('autoscan_configs').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      instanceId: row.instance_id,
      enableAutoScan: row.enable_auto_scan === 1,
      scheduleAt: JSON.parse(row.schedule_at_json) as string[],
      updatedAt: row.updated_at,
    };
  }

  async put(projectId: string, config: AutoscanConfig & { updatedAt: string }): Promise<void> {
    const values = {
      instance_id: config.instanceId,
      project_id: projectId,
      enable_auto_scan: config.enableAutoScan ? 1 : 0,
      schedule_at_json: JSON.stringify(config.scheduleAt),
      updated_at: config.updatedAt,
    };
    await this.db
      .insertInto('autoscan_configs')
      .values(values)
      .onConflict((oc) =>
        oc.column('instance_id').doUpdateSet({
          enable_auto_scan: values.enable_auto_scan,
          schedule_at_json: values.schedule_at_json,
          updated_at: values.updated_at,
        }),
      )
      .execute();
  }
}
