import type { Kysely } from 'kysely';
import type { AutoscanConfig, IntervalSchedule } from '../domain/autoscan.js';
import type { TaskOptions } from '../domain/task.js';
import { isTaskKind, type TaskKind } from '../domain/task-status.js';
import { InstanceGoneError } from '../domain/store-errors.js';
import type { StoreCapabilities } from './database.js';
import { instanceStillExists } from './instance-guard.js';
import type { Database } from './schema.js';

export class AutoscanRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: Pick<StoreCapabilities, 'dialect'> = { dialect: 'sqlite' },
  ) {}

  async get(instanceId: string, kind: TaskKind = 'hot'): Promise<AutoscanConfig | undefined> {
    const row = await this.db.selectFrom('autoscan_configs').selectAll().where('instance_id', '=', instanceId).where('kind', '=', kind).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      kind,
      instanceId: row.instance_id,
      enableAutoScan: row.enable_auto_scan === 1,
      scheduleAt: JSON.parse(row.schedule_at_json) as string[],
      updatedAt: row.updated_at,
      ...settingsOf(row.settings_json),
    };
  }

  /** Every schedule that is on, across projects, with the project it belongs to (of existing instances only). */
  async listEnabled(): Promise<(AutoscanConfig & { projectId: string; updatedAt: string; kind: TaskKind })[]> {
    // Only schedules whose instance exists: a leftover of a deleted instance never fires.
    const rows = await this.db
      .selectFrom('autoscan_configs')
      .innerJoin('instances', 'instances.id', 'autoscan_configs.instance_id')
      .selectAll('autoscan_configs')
      .where('autoscan_configs.enable_auto_scan', '=', 1)
      .orderBy('autoscan_configs.instance_id')
      .orderBy('autoscan_configs.kind')
      .execute();
    return rows.map((row) => ({
      kind: isTaskKind(row.kind) ? row.kind : 'hot',
      instanceId: row.instance_id,
      projectId: row.project_id,
      enableAutoScan: true,
      scheduleAt: JSON.parse(row.schedule_at_json) as string[],
      updatedAt: row.updated_at,
      ...settingsOf(row.settings_json),
    }));
  }

  /** Throws InstanceGoneError when the instance was deleted meanwhile (instance-guard.ts). */
  async put(projectId: string, config: AutoscanConfig & { updatedAt: string }): Promise<void> {
    const values = {
      instance_id: config.instanceId,
      kind: config.kind ?? 'hot',
      project_id: projectId,
      enable_auto_scan: config.enableAutoScan ? 1 : 0,
      schedule_at_json: JSON.stringify(config.scheduleAt),
      updated_at: config.updatedAt,
      settings_json: config.options == null && config.interval == null ? null : JSON.stringify({ options: config.options ?? null, interval: config.interval ?? null }),
    };
    await this.db.transaction().execute(async (trx) => {
      if (!(await instanceStillExists(trx, this.capabilities, config.instanceId))) throw new InstanceGoneError(config.instanceId);
      await trx
        .insertInto('autoscan_configs')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['instance_id', 'kind']).doUpdateSet({
            enable_auto_scan: values.enable_auto_scan,
            schedule_at_json: values.schedule_at_json,
            updated_at: values.updated_at,
            settings_json: values.settings_json,
          }),
        )
        .execute();
    });
  }
}

/** A schedule's stored settings: its tasks' options, and an interval schedule. */
function settingsOf(json: string | null): { options: TaskOptions | null; interval: IntervalSchedule | null } {
  if (json === null) return { options: null, interval: null };
  const parsed = JSON.parse(json) as { options?: TaskOptions | null; interval?: IntervalSchedule | null };
  return { options: parsed.options ?? null, interval: parsed.interval ?? null };
}

/** Every daily autoscan slot ever claimed: the scheduler's exactly-once ledger. */
export class AutoscanRunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records a slot that creates no task (missed). Exactly one caller, across all processes,
   * gets true: the primary key (instance_id, kind, slot) makes the insert idempotent. Slots that do
   * create a task go through TaskRepository.insertScheduled, in one transaction with the task.
   */
  async claim(instanceId: string, slot: string, now: Date, outcome: string, kind: TaskKind = 'hot'): Promise<boolean> {
    const result = await this.db
      .insertInto('autoscan_runs')
      .values({ instance_id: instanceId, kind, slot, task_id: null, outcome: outcome.slice(0, 255), created_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['instance_id', 'kind', 'slot']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async list(instanceId: string, kind: TaskKind = 'hot'): Promise<{ slot: string; taskId: string | null; outcome: string }[]> {
    const rows = await this.db.selectFrom('autoscan_runs').selectAll().where('instance_id', '=', instanceId).where('kind', '=', kind).orderBy('slot').execute();
    return rows.map((row) => ({ slot: row.slot, taskId: row.task_id, outcome: row.outcome }));
  }

  /** Forgets slots older than `before` (they can never be due again). */
  async prune(before: string): Promise<void> {
    await this.db.deleteFrom('autoscan_runs').where('slot', '<', before).execute();
  }
}
