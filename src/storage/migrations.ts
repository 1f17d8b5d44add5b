/**
 * In-code migrations, applied in name order by Kysely's Migrator (which serialises concurrent
 * runs with a lock table, so several processes starting together migrate once).
 * Never edit a migration that has shipped: add a new one.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('projects')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('source', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tokens')
      .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('instances')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('tls', 'integer', (c) => c.notNull())
      .addColumn('username', 'varchar(255)')
      .addColumn('password', 'text')
      .addColumn('mode', 'varchar(16)', (c) => c.notNull())
      .addColumn('engine_version', 'varchar(32)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instances_project').on('instances').columns(['project_id', 'created_at']).execute();
    await db.schema
      .createTable('hotkey_tasks')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('scan_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('started_at', 'varchar(32)')
      .addColumn('finished_at', 'varchar(32)')
      .addColumn('num', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('result_json', 'text')
      .addColumn('error_msg', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('runner_id', 'varchar(64)')
      .addColumn('lease_expires_at', 'varchar(32)')
      .addColumn('progress_json', 'text')
      .execute();
    await db.schema.createIndex('hotkey_tasks_instance').on('hotkey_tasks').columns(['instance_id', 'created_at']).execute();
    await db.schema.createIndex('hotkey_tasks_status').on('hotkey_tasks').columns(['status', 'created_at']).execute();
    // At most one waiting-or-running task per instance and scan type, whatever races between
    // requests or processes: the database, not a read-then-write, is the arbiter.
    await db.schema
      .createIndex('hotkey_tasks_one_active')
      .on('hotkey_tasks')
      .columns(['instance_id', 'scan_type'])
      .unique()
      .where(sql.ref('status'), 'in', ['waiting', 'running'])
      .execute();
    await db.schema
      .createTable('autoscan_configs')
      .addColumn('instance_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('enable_auto_scan', 'integer', (c) => c.notNull())
      .addColumn('schedule_at_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
  },
};

/** Per-task pacing (batch size, rate limit) given when the task was created. */
const taskOptions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('hotkey_tasks').addColumn('options_json', 'text').execute();
  },
};

/** Several processes on one database: invariants the database itself enforces. */
const scaleOut: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // At most one analysis runs per instance, whichever process claims it.
    await db.schema
      .createIndex('hotkey_tasks_one_running')
      .on('hotkey_tasks')
      .column('instance_id')
      .unique()
      .where(sql.ref('status'), '=', 'running')
      .execute();
    // One generated default project, however many processes bootstrap at once.
    await db.schema.createIndex('projects_one_generated').on('projects').column('source').unique().where(sql.ref('source'), '=', 'generated').execute();
    // The scheduler's ledger: one row per instance and daily slot, inserted by exactly one process.
    await db.schema
      .createTable('autoscan_runs')
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('slot', 'varchar(32)', (c) => c.notNull())
      .addColumn('task_id', 'varchar(64)')
      .addColumn('outcome', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('autoscan_runs_pk', ['instance_id', 'slot'])
      .execute();
  },
};

/**
 * Big key analysis: tasks, schedules and the scheduler's ledger gain a kind ('hot' or 'big'),
 * and every one-at-a-time rule becomes per kind (a hot and a big analysis of one instance may
 * run together). Existing rows are hot key rows. The autoscan tables are rebuilt, since their
 * primary keys gain the kind and SQLite cannot alter a primary key.
 */
const bigKeys: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('hotkey_tasks').addColumn('kind', 'varchar(8)', (c) => c.notNull().defaultTo('hot')).execute();
    await db.schema.dropIndex('hotkey_tasks_one_active').execute();
    await db.schema
      .createIndex('tasks_one_active_per_kind')
      .on('hotkey_tasks')
      .columns(['instance_id', 'kind', 'scan_type'])
      .unique()
      .where(sql.ref('status'), 'in', ['waiting', 'running'])
      .execute();
    await db.schema.dropIndex('hotkey_tasks_one_running').execute();
    await db.schema
      .createIndex('tasks_one_running_per_kind')
      .on('hotkey_tasks')
      .columns(['instance_id', 'kind'])
      .unique()
      .where(sql.ref('status'), '=', 'running')
      .execute();

    await db.schema
      .createTable('autoscan_configs_by_kind')
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('enable_auto_scan', 'integer', (c) => c.notNull())
      .addColumn('schedule_at_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('autoscan_configs_by_kind_pk', ['instance_id', 'kind'])
      .execute();
    await sql`insert into autoscan_configs_by_kind (instance_id, kind, project_id, enable_auto_scan, schedule_at_json, updated_at)
              select instance_id, 'hot', project_id, enable_auto_scan, schedule_at_json, updated_at from autoscan_configs`.execute(db);
    await db.schema.dropTable('autoscan_configs').execute();
    await db.schema.alterTable('autoscan_configs_by_kind').renameTo('autoscan_configs').execute();

    await db.schema
      .createTable('autoscan_runs_by_kind')
      .addColumn('instance_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('slot', 'varchar(32)', (c) => c.notNull())
      .addColumn('task_id', 'varchar(64)')
      .addColumn('outcome', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('autoscan_runs_by_kind_pk', ['instance_id', 'kind', 'slot'])
      .execute();
    await sql`insert into autoscan_runs_by_kind (instance_id, kind, slot, task_id, outcome, created_at)
              select instance_id, 'hot', slot, task_id, outcome, created_at from autoscan_runs`.execute(db);
    await db.schema.dropTable('autoscan_runs').execute();
    await db.schema.alterTable('autoscan_runs_by_kind').renameTo('autoscan_runs').execute();
  },
};

/**
 * Every Redis our users run: the engine (Redis or Valkey), TLS settings with a client key sealed
 * like passwords, and deployments found through Sentinel (the Sentinels' password sealed too).
 * Existing rows are Redis, and TLS on them means the system's CAs (what rediss:// meant).
 */
const deployments: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('instances').addColumn('engine', 'varchar(16)', (c) => c.notNull().defaultTo('Redis')).execute();
    await db.schema.alterTable('instances').addColumn('tls_json', 'text').execute();
    await db.schema.alterTable('instances').addColumn('tls_key', 'text').execute();
    await db.schema.alterTable('instances').addColumn('sentinel_json', 'text').execute();
    await db.schema.alterTable('instances').addColumn('sentinel_password', 'text').execute();
  },
};

/**
 * The rest of the DCS cache analysis family: schedules carry their tasks' options (a daily
 * snapshot analysis) and, for the expired key scan, an interval schedule. Tasks of the new kinds
 * need no column of their own: kind, options_json and result_json hold them.
 */
const scheduleSettings: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('autoscan_configs').addColumn('settings_json', 'text').execute();
  },
};

/**
 * What each successful task found, in the few numbers /metrics reports (domain/findings.ts),
 * beside its result; and the index that finds each instance's latest success of a kind.
 * Tasks that succeeded before have none: the first scrapes compute theirs (storage/findings-records.ts).
 */
const findings: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('hotkey_tasks').addColumn('findings_json', 'text').execute();
    await db.schema
      .createIndex('tasks_latest_success')
      .on('hotkey_tasks')
      .columns(['instance_id', 'kind', 'finished_at'])
      .where(sql.ref('status'), '=', 'success')
      .execute();
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () =>
    Promise.resolve({
      '0001_initial': initial,
      '0002_task_options': taskOptions,
      '0003_scale_out': scaleOut,
      '0004_big_keys': bigKeys,
      '0005_deployments': deployments,
      '0006_schedule_settings': scheduleSettings,
      '0007_findings': findings,
    }),
};
