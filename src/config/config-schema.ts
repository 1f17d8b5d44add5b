/**
 * The one configuration schema: config file (YAML or JSON), environment and command-line flags
 * all end up here. The TypeScript type is derived from it. Keys are snake_case, like the file.
 * Every default is written next to its option.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ANALYSIS_DEFAULTS } from '../engine/analysis-options.js';

const Integer = (min: number, max: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: defaultValue, description });

export const ProjectConfigSchema = Type.Object(
  {
    project_id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'What goes in /v2/{project_id}/...' }),
    tokens: Type.Array(Type.String({ minLength: 16 }), { default: [], description: 'X-Auth-Token values with full access' }),
    readonly_tokens: Type.Array(Type.String({ minLength: 16 }), { default: [], description: 'may list and show, not create, delete or configure' }),
    access_keys: Type.Array(Type.Object({ ak: Type.String({ minLength: 1 }), sk: Type.String({ minLength: 1 }) }, { additionalProperties: false }), {
      default: [],
      description: 'AK/SK pairs for SDK-HMAC-SHA256 signed requests',
    }),
  },
  { additionalProperties: false },
);

export const InstanceConfigSchema = Type.Object(
  {
    project_id: Type.String({ minLength: 1 }),
    instance_id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    url: Type.String({ description: 'redis://[:password@]host:port or rediss://...' }),
    password: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', description: 'address the HTTP API listens on' }),
        port: Integer(0, 65535, 8080, 'HTTP port'),
      },
      { default: {}, additionalProperties: false },
    ),
    data_dir: Type.String({ default: './data', description: 'where the embedded SQLite database lives' }),
    database: Type.Object(
      { url: Type.Optional(Type.String({ description: 'sqlite:PATH; default sqlite:<data_dir>/keyheat.db' })) },
      { default: {}, additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
          { default: 'info' },
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    analysis: Type.Object(
      {
        top_k: Integer(1, 1000, ANALYSIS_DEFAULTS.topK, 'hot keys kept per task'),
        batch_size: Integer(1, 100_000, ANALYSIS_DEFAULTS.batchSize, 'keys per SCAN page and OBJECT FREQ batch while the node serves nobody else'),
        busy_batch_size: Integer(1, 100_000, ANALYSIS_DEFAULTS.busyBatchSize, 'keys per page while the node serves other clients; = batch_size disables adapting'),
        rate_limit: Integer(0, 100_000_000, ANALYSIS_DEFAULTS.rateLimit, 'keys per second per primary; 0 = no limit'),
        failover_wait_ms: Integer(0, 600_000, ANALYSIS_DEFAULTS.failoverWaitMs, 'cluster: how long to wait for a failed primary to be replaced'),
        connect_timeout_ms: Integer(100, 120_000, ANALYSIS_DEFAULTS.connectTimeoutMs, 'connecting to a Redis node'),
        command_timeout_ms: Integer(100, 600_000, ANALYSIS_DEFAULTS.commandTimeoutMs, 'a Redis node that sends nothing for this long fails the analysis'),
      },
      { default: {}, additionalProperties: false },
    ),
    runner: Type.Object(
      {
        concurrency: Integer(1, 64, 4, 'analyses run at once by this process'),
        poll_interval_ms: Integer(50, 60_000, 1000, 'how often to look for waiting tasks'),
        lease_ms: Integer(1000, 3_600_000, 30_000, 'a running task whose runner stops renewing this long is taken over'),
        max_attempts: Integer(1, 100, 3, 'a task interrupted this many times fails instead of starting again'),
        shutdown_grace_ms: Integer(0, 3_600_000, 10_000, 'on SIGTERM, how long running analyses may finish before they are handed back'),
      },
      { default: {}, additionalProperties: false },
    ),
    scheduler: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'create the daily automatic analysis tasks' }),
        interval_ms: Integer(1000, 600_000, 15_000, 'how often schedules are checked'),
        catch_up_minutes: Integer(1, 1440, 60, 'a slot missed while keyheat was down still runs if keyheat is back within this time'),
      },
      { default: {}, additionalProperties: false },
    ),
    retention: Type.Object(
      { max_tasks_per_instance: Integer(1, 100_000, 100, 'creating a task beyond this deletes the oldest finished ones') },
      { default: {}, additionalProperties: false },
    ),
    projects: Type.Array(ProjectConfigSchema, { default: [] }),
    instances: Type.Array(InstanceConfigSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type KeyheatConfig = Static<typeof ConfigSchema>;
export type ProjectConfig = Static<typeof ProjectConfigSchema>;
export type InstanceConfig = Static<typeof InstanceConfigSchema>;
