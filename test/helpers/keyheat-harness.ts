/**
 * A keyheat service for tests: real store in a temp directory, real runner and analysis
 * engine, requests through Fastify's inject (no port). Two projects: p1 with an admin and a
 * read-only token, p2 with an admin token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createKeyheat, type Keyheat, type KeyheatOverrides } from '../../src/app.js';
import type { KeyheatConfig } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createPgSchema, TEST_SECRET_KEY, type PgSchema, type StoreKind } from './stores.js';

export const P1 = '0123456789abcdef0123456789abcdef';
export const P2 = 'fedcba9876543210fedcba9876543210';
export const ADMIN = 'admin-token-p1-0000000000000001';
export const READONLY = 'readonly-token-p1-000000000001';
export const OTHER = 'admin-token-p2-0000000000000002';

export interface Response {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export interface Harness {
  readonly keyheat: Keyheat;
  readonly dataDir: string;
  readonly store: StoreKind;
  /** The database URL, to open the same store again (a restart, a second process). */
  readonly databaseUrl: string;
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string>; rawBody?: string }): Promise<Response>;
  registerInstance(url: string, name?: string): Promise<string>;
  createTask(instanceId: string): Promise<Response>;
  waitForTask(instanceId: string, taskId: string, statuses?: readonly string[], timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Closes keyheat; keeps the data directory unless `removeData`. */
  close(options?: { removeData?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  readonly store?: StoreKind;
  /** Reuse this database (PostgreSQL: a schema made by createPgSchema or by another harness). */
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly config?: Record<string, unknown>;
  readonly overrides?: KeyheatOverrides;
  readonly start?: boolean;
  /** Receives every log line (JSON), at debug level, to check what keyheat logs. */
  readonly logLines?: string[];
}

export function testConfig(dataDir: string, extra: Record<string, unknown> = {}): KeyheatConfig {
  return loadConfig({
    env: {},
    flags: {
      data_dir: dataDir,
      log: { level: 'silent' },
      runner: { poll_interval_ms: 100, lease_ms: 3000 },
      analysis: { connect_timeout_ms: 2000, command_timeout_ms: 3000 },
      projects: [
        { project_id: P1, tokens: [ADMIN], readonly_tokens: [READONLY] },
        { project_id: P2, tokens: [OTHER] },
      ],
      ...extra,
    },
  });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'keyheat-test-'));
  const store = options.store ?? (options.databaseUrl?.startsWith('postgres') === true ? 'postgres' : 'sqlite');
  let schema: PgSchema | null = null;
  let databaseUrl = options.databaseUrl;
  if (databaseUrl === undefined) {
    if (store === 'postgres') {
      schema = await createPgSchema();
      databaseUrl = schema.url;
    } else {
      databaseUrl = `sqlite:${path.join(dataDir, 'keyheat.db')}`;
    }
  }
  const lines = options.logLines;
  const logger =
    lines === undefined ? pino({ level: 'silent' }) : pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  // PostgreSQL refuses to start without a configured secret key; SQLite generates one in the data dir.
  const secrets = store === 'postgres' ? { secrets: { key: TEST_SECRET_KEY } } : {};
  const config = testConfig(dataDir, { ...secrets, ...options.config, database: { url: databaseUrl } });
  const keyheat = await createKeyheat(config, logger, options.overrides);
  if (options.start !== false) keyheat.start();

  const harness: Harness = {
    keyheat,
    dataDir,
    store,
    databaseUrl,
    async request(method, url, { body, token = ADMIN, headers = {}, rawBody } = {}) {
      const response = await keyheat.http.inject({
        method,
        url,
        headers: {
          ...(token === null ? {} : { 'x-auth-token': token }),
          ...(body === undefined && rawBody === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(rawBody !== undefined ? { payload: rawBody } : body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      let parsed: Record<string, unknown> = {};
      try {
        parsed = response.body === '' ? {} : (JSON.parse(response.body) as Record<string, unknown>);
      } catch {
        parsed = {};
      }
      return { status: response.statusCode, headers: response.headers, body: parsed, text: response.body };
    },
    async registerInstance(url, name = 'cache') {
      const response = await harness.request('POST', `/v2/${P1}/instances`, { body: { name, url } });
      if (response.status !== 200) throw new Error(`register failed: ${response.text}`);
      return response.body['instance_id'] as string;
    },
    createTask: (instanceId) => harness.request('POST', `/v2/${P1}/instances/${instanceId}/hotkey-task`),
    async waitForTask(instanceId, taskId, statuses = ['success', 'failed'], timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const response = await harness.request('GET', `/v2/${P1}/instances/${instanceId}/hotkey-task/${taskId}`);
        if (statuses.includes(response.body['status'] as string)) return response.body;
        if (Date.now() > deadline) throw new Error(`task ${taskId} still ${response.text} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close({ removeData = false } = {}) {
      await keyheat.close();
      if (removeData) {
        rmSync(dataDir, { recursive: true, force: true });
        await schema?.drop();
      }
    },
  };
  return harness;
}
