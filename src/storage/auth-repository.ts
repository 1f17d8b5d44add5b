/** Projects and API tokens. Tokens are stored as SHA-256 hashes only. */
import type { Kysely } from 'kysely';
import { classifySqlError } from './classify-sql-error.js';
import type { TokenGrant, TokenRole } from '../domain/auth.js';
import type { Database } from './schema.js';

export class AuthRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findToken(tokenHash: string): Promise<TokenGrant | undefined> {
    const row = await this.db.selectFrom('tokens').select(['project_id', 'role']).where('token_hash', '=', tokenHash).executeTakeFirst();
    if (row === undefined) return undefined;
    return { projectId: row.project_id, role: row.role === 'admin' ? 'admin' : 'readonly' };
  }

  async findGeneratedProject(): Promise<string | undefined> {
    const row = await this.db.selectFrom('projects').select('id').where('source', '=', 'generated').orderBy('created_at').executeTakeFirst();
    return row?.id;
  }

  async createProject(id: string, source: 'generated' | 'config', now: Date): Promise<void> {
    await this.db
      .insertInto('projects')
      .values({ id, source, created_at: now.toISOString() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /**
   * Creates the default project with its admin token, atomically. Returns false when another
   * process created one first (the partial unique index on source = 'generated').
   */
  async createGeneratedProject(id: string, tokenHash: string, now: Date): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values({ id, source: 'generated', created_at: now.toISOString() }).execute();
        await trx.insertInto('tokens').values({ token_hash: tokenHash, project_id: id, role: 'admin', created_at: now.toISOString() }).execute();
      });
      return true;
    } catch (error) {
      if (classifySqlError(error) === 'unique-violation') return false;
      throw error;
    }
  }

  /** Deletes every stored token of the project (its generated token, once projects are configured). */
  async deleteTokens(projectId: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('project_id', '=', projectId).execute();
  }

  /** Replaces every stored token of the project with this one (used to create and to reset). */
  async replaceTokens(projectId: string, tokenHash: string, role: TokenRole, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('tokens').where('project_id', '=', projectId).execute();
      await trx.insertInto('tokens').values({ token_hash: tokenHash, project_id: projectId, role, created_at: now.toISOString() }).execute();
    });
  }
}
