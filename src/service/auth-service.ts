/**
 * Token authentication. Tokens come from the config file (kept in memory, hashed) and from the
 * store (the generated admin token). Only SHA-256 hashes are compared or stored: a token is 256
 * random bits, so a fast hash is enough and a lookup by hash leaks no timing about the token.
 * Once `projects:` are configured, only the config's tokens count: the generated admin token of
 * an earlier first start is deleted and ignored, so a token printed long ago cannot outlive the
 * switch to configured projects.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ProjectConfig } from '../config/config-schema.js';
import type { Store } from '../storage/store.js';
import type { TokenGrant } from '../domain/auth.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return `kh_${randomBytes(32).toString('base64url')}`;
}

export function generateProjectId(): string {
  return randomUUID().replaceAll('-', '');
}

export interface Bootstrap {
  /** The project to show the user at start-up, when keyheat made one. */
  readonly projectId: string | null;
  /** Present only on the start that created it: printed once, never stored in clear. */
  readonly newAdminToken: string | null;
  /** With projects configured: the default project of an earlier first start, whose tokens no longer work. */
  readonly retiredProjectId: string | null;
}

export class AuthService {
  private readonly configTokens = new Map<string, TokenGrant>();
  private readonly accessKeys = new Map<string, { secretKey: string; projectId: string }>();
  private readonly projectsConfigured: boolean;

  constructor(
    private readonly store: Store,
    projects: readonly ProjectConfig[],
  ) {
    this.projectsConfigured = projects.length > 0;
    for (const project of projects) {
      for (const token of project.tokens) this.configTokens.set(hashToken(token), { projectId: project.project_id, role: 'admin' });
      for (const token of project.readonly_tokens) this.configTokens.set(hashToken(token), { projectId: project.project_id, role: 'readonly' });
      for (const key of project.access_keys) {
        if (this.accessKeys.has(key.ak)) throw new Error(`access key ${key.ak} is configured twice; each AK belongs to one project`);
        this.accessKeys.set(key.ak, { secretKey: key.sk, projectId: project.project_id });
      }
    }
  }

  /** The secret and project of an access key from the config (signed requests). */
  findAccessKey(accessKey: string): { secretKey: string; projectId: string } | undefined {
    return this.accessKeys.get(accessKey);
  }

  async authenticate(token: string): Promise<TokenGrant | undefined> {
    const hash = hashToken(token);
    const configured = this.configTokens.get(hash);
    if (configured !== undefined || this.projectsConfigured) return configured;
    return await this.store.auth.findToken(hash);
  }

  /**
   * Without projects in the config, the first start creates a default project and an admin
   * token; later starts reuse them. With projects, the generated project's tokens are deleted.
   */
  async bootstrap(projects: readonly ProjectConfig[]): Promise<Bootstrap> {
    const now = new Date();
    for (const project of projects) await this.store.auth.createProject(project.project_id, 'config', now);
    const existing = await this.store.auth.findGeneratedProject();
    if (projects.length > 0) {
      if (existing !== undefined) await this.store.auth.deleteTokens(existing);
      return { projectId: null, newAdminToken: null, retiredProjectId: existing ?? null };
    }
    if (existing !== undefined) return { projectId: existing, newAdminToken: null, retiredProjectId: null };
    const projectId = generateProjectId();
    const token = generateToken();
    if (await this.store.auth.createGeneratedProject(projectId, hashToken(token), now)) return { projectId, newAdminToken: token, retiredProjectId: null };
    // Another process sharing the database bootstrapped at the same moment: use its project.
    const winner = await this.store.auth.findGeneratedProject();
    if (winner === undefined) throw new Error('the default project vanished during start-up');
    return { projectId: winner, newAdminToken: null, retiredProjectId: null };
  }

  /** Issues a new admin token for the generated project; the old one stops working. */
  async resetAdminToken(): Promise<{ projectId: string; token: string }> {
    const now = new Date();
    let projectId = await this.store.auth.findGeneratedProject();
    if (projectId === undefined) {
      projectId = generateProjectId();
      await this.store.auth.createProject(projectId, 'generated', now);
    }
    const token = generateToken();
    await this.store.auth.replaceTokens(projectId, hashToken(token), 'admin', now);
    return { projectId, token };
  }
}
