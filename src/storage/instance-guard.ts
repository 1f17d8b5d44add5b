/**
 * Writes that hang off an instance (a task, an autoscan schedule) check inside their own
 * transaction that the instance still exists, holding its row so that a concurrent delete waits
 * for them (and then removes what they wrote) or has already committed (and they write nothing).
 * Without this, a create whose Redis preflight was in flight while the instance was deleted left
 * an orphan task or schedule. SQLite runs one write transaction at a time, so the read suffices
 * there; PostgreSQL needs the row lock (FOR SHARE) against the delete's.
 */
import type { Transaction } from 'kysely';
import type { StoreCapabilities } from './database.js';
import type { Database } from './schema.js';

export async function instanceStillExists(trx: Transaction<Database>, capabilities: Pick<StoreCapabilities, 'dialect'>, instanceId: string): Promise<boolean> {
  let select = trx.selectFrom('instances').select('id').where('id', '=', instanceId);
  if (capabilities.dialect === 'postgres') select = select.forShare();
  return (await select.executeTakeFirst()) !== undefined;
}
