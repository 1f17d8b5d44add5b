/**
 * The findings /metrics reports, read from the store at each scrape, so that every keyheat
 * process sharing a database reports the same: every registered instance and its latest
 * successful task of each kind (one query each, whatever the number of instances), then the
 * stored findings (domain/findings.ts) of the tasks the caller has not seen yet. No result is
 * read, except to compute the findings of tasks that succeeded before keyheat stored them
 * (BACKFILL_PER_READ per call, then never again).
 */
import { sql, type Kysely } from 'kysely';
import { findingsOf, parseFindings, type Findings, type FindingsSnapshot, type FindingsSource } from '../domain/findings.js';
import type { TaskOutcome } from '../domain/task.js';
import { isTaskKind, type TaskKind } from '../domain/task-status.js';
import type { StoreCapabilities } from './database.js';
import type { Database } from './schema.js';

/** Tasks without stored findings whose findings one call computes, at most (a scrape stays short). */
export const BACKFILL_PER_READ = 10;
/** Task ids per query of their findings. */
const IDS_PER_QUERY = 500;
/** Stored for a task whose findings cannot be computed, so that no later scrape tries again. */
const UNAVAILABLE = '{"kind":"unavailable"}';

interface LatestRow {
  readonly id: string;
  readonly instance_id: string;
  readonly kind: string;
  readonly finished_at: string;
}

export class FindingsRecords implements FindingsSource {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: StoreCapabilities,
    private readonly maxResultBytes: number,
  ) {}

  async latest(): Promise<FindingsSnapshot> {
    const instances = await this.db.selectFrom('instances').select(['id', 'name', 'project_id']).orderBy('id').execute();
    const rows = await sql<LatestRow>`
      select id, instance_id, kind, finished_at from (
        select id, instance_id, kind, finished_at,
               row_number() over (partition by instance_id, kind order by finished_at desc, id desc) as latest
        from hotkey_tasks where status = 'success'
      ) ranked where latest = 1`.execute(this.db);
    return {
      instances: instances.map((i) => ({ id: i.id, name: i.name, projectId: i.project_id })),
      latest: rows.rows.flatMap((row) => (isTaskKind(row.kind) ? [{ instanceId: row.instance_id, kind: row.kind, taskId: row.id, finishedAt: row.finished_at }] : [])),
    };
  }

  async findings(taskIds: readonly string[]): Promise<ReadonlyMap<string, Findings | null>> {
    const found = new Map<string, Findings | null>();
    let backfills = 0;
    for (let at = 0; at < taskIds.length; at += IDS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('hotkey_tasks')
        .select(['id', 'kind', 'findings_json'])
        .where('id', 'in', taskIds.slice(at, at + IDS_PER_QUERY))
        .where('status', '=', 'success')
        .execute();
      for (const row of rows) {
        if (!isTaskKind(row.kind)) continue;
        let json = row.findings_json;
        if (json === null) {
          if (backfills >= BACKFILL_PER_READ) continue;
          backfills += 1;
          json = await this.backfill(row.id, row.kind);
        }
        found.set(row.id, parseFindings(json, row.kind));
      }
    }
    return found;
  }

  /** Computes and stores the findings of a task that succeeded before keyheat stored them. */
  private async backfill(id: string, kind: TaskKind): Promise<string> {
    const bytes = this.capabilities.dialect === 'postgres' ? sql<number | null>`octet_length(result_json)` : sql<number | null>`length(cast(result_json as blob))`;
    const row = await this.db
      .selectFrom('hotkey_tasks')
      .select([sql<string | null>`case when ${bytes} > ${this.maxResultBytes} then null else result_json end`.as('result_json')])
      .where('id', '=', id)
      .executeTakeFirst();
    let json = UNAVAILABLE;
    if (row?.result_json !== null && row?.result_json !== undefined) {
      const outcome = JSON.parse(row.result_json) as TaskOutcome;
      if ((outcome.kind ?? 'hot') === kind) json = JSON.stringify(findingsOf(outcome));
    }
    await this.db.updateTable('hotkey_tasks').set({ findings_json: json }).where('id', '=', id).where('findings_json', 'is', null).execute();
    return json;
  }
}
