/**
 * The one configuration schema: config file (YAML or JSON), environment and command-line flags
 * all end up here. The TypeScript type is derived from it. Keys are snake_case, like the file.
 * Every default is written next to its option.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DISPLAY_NAME_PATTERN } from '../domain/display-text.js';
import { FINDINGS_MAX_KEYS } from '../domain/findings.js';
import { WEBHOOK_EVENTS } from '../domain/webhook-events.js';
import { ANALYSIS_LIMITS, PREFIX_DELIMITERS, REDIS_LIMITS, type Limit, SAMPLE_LIMITS, SNAPSHOT_LIMITS, BIGKEY_LIMITS } from '../domain/limits.js';

const Integer = (min: number, max: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: defaultValue, description });

/** An option whose range and default live in domain/limits.ts. */
const Limited = (limit: Limit) =>
  limit.integer
    ? Integer(limit.min, limit.max, limit.default, limit.description)
    : Type.Number({ minimum: limit.min, maximum: limit.max, default: limit.default, description: limit.description });

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
    name: Type.String({ minLength: 1, maxLength: 255, pattern: DISPLAY_NAME_PATTERN }),
    url: Type.String({ description: 'redis://[:password@]host:port, rediss://..., or redis+sentinel://host:26379[,host:port...]/<master_name>' }),
    password: Type.Optional(Type.String()),
    sentinel_password: Type.Optional(Type.String({ description: "the Sentinels' own password, for a redis+sentinel:// URL" })),
    tls: Type.Optional(
      Type.Object(
        {
          ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate(s) to trust instead of the system CAs' })),
          cert_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate' })),
          key_file: Type.Optional(Type.String({ minLength: 1, description: 'its PEM private key' })),
          servername: Type.Optional(Type.String({ minLength: 1, description: 'SNI and the name the certificate must carry' })),
          insecure: Type.Optional(Type.Boolean({ description: 'do not verify the server certificate' })),
        },
        { additionalProperties: false, description: 'TLS toward this Redis (and its Sentinels); the files are read at each start' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', description: 'address the HTTP API listens on' }),
        port: Integer(0, 65535, 8080, 'HTTP port'),
        request_timeout_ms: Integer(500, 600_000, 30_000, 'a request (line, headers and body) must arrive in full within this, or it gets 408 and the connection is closed'),
        keep_alive_timeout_ms: Integer(1000, 600_000, 72_000, 'an idle keep-alive connection is closed after this (above the 60 s idle timeout of common load balancers)'),
        idle_timeout_ms: Integer(1000, 3_600_000, 300_000, 'a connection on which nothing moves for this long is closed (a client that stops reading); above the longest request'),
        max_body_bytes: Integer(1024, 16 * 1024 * 1024, 64 * 1024, 'a larger request body gets 413 (the largest real body is about 3 KB)'),
        preflight_timeout_ms: Integer(1000, 600_000, 30_000, "creating a task checks its instance first (every node contacted); that check fails (400 DCS.4049) when it takes longer, and stops when the client goes away"),
        max_preflights_per_project: Integer(1, 1000, 4, 'task creations one project may have checking their instances at once; more get 429 APIG.0308'),
        tls: Type.Optional(
          Type.Object(
            {
              cert: Type.String({ minLength: 1, description: 'PEM certificate chain file' }),
              key: Type.String({ minLength: 1, description: 'PEM private key file (unencrypted)' }),
            },
            { additionalProperties: false, description: 'serve HTTPS with these files instead of plain HTTP' },
          ),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    data_dir: Type.String({ default: './data', description: 'where the embedded SQLite database lives' }),
    database: Type.Object(
      {
        url: Type.Optional(Type.String({ description: 'sqlite:PATH; default sqlite:<data_dir>/keyheat.db' })),
        // PostgreSQL only: a half-open connection must not hang claims, lease renewals or requests.
        pool_size: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'PostgreSQL connections per process' }),
        statement_timeout_ms: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'PostgreSQL statement timeout' }),
        connect_timeout_ms: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000, description: 'PostgreSQL connection timeout' }),
        keepalive: Type.Boolean({ default: true, description: 'TCP keepalive on PostgreSQL connections' }),
        keepalive_delay_ms: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 10_000, description: 'idle time before the first keepalive probe' }),
      },
      { default: {}, additionalProperties: false },
    ),
    // The key sealing stored Redis passwords (AES-256-GCM). Embedded SQLite generates
    // <data_dir>/secret.key when neither is set; PostgreSQL refuses to start without one.
    secrets: Type.Object(
      {
        key: Type.Optional(Type.String({ description: 'base64 of 32 bytes; better given as KEYHEAT_SECRET_KEY than in a file' })),
        key_file: Type.Optional(Type.String({ description: 'a file holding the base64 of 32 bytes (openssl rand -base64 32)' })),
      },
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
        top_k: Limited(ANALYSIS_LIMITS.topK),
        max_cpu_share: Limited(ANALYSIS_LIMITS.maxCpuShare),
        idle_cpu_share: Limited(ANALYSIS_LIMITS.idleCpuShare),
        max_block_us: Limited(ANALYSIS_LIMITS.maxBlockUs),
        batch_size: Limited(ANALYSIS_LIMITS.batchSize),
        busy_batch_size: Limited(ANALYSIS_LIMITS.busyBatchSize),
        rate_limit: Limited(ANALYSIS_LIMITS.rateLimit),
        failover_wait_ms: Limited(ANALYSIS_LIMITS.failoverWaitMs),
        connect_timeout_ms: Limited(ANALYSIS_LIMITS.connectTimeoutMs),
        command_timeout_ms: Limited(ANALYSIS_LIMITS.commandTimeoutMs),
        max_duration_ms: Limited(ANALYSIS_LIMITS.maxDurationMs),
        max_groups: Limited(ANALYSIS_LIMITS.maxGroups),
        prefix_delimiters: Type.String({
          pattern: PREFIX_DELIMITERS.pattern,
          default: PREFIX_DELIMITERS.default,
          description: 'namespace delimiters, each character one (printable ASCII, 1-8 of them)',
        }),
        prefix_depth: Limited(ANALYSIS_LIMITS.prefixDepth),
        sample_counters: Limited(SAMPLE_LIMITS.counters),
      },
      { default: {}, additionalProperties: false },
    ),
    bigkeys: Type.Object(
      {
        string_bytes: Limited(BIGKEY_LIMITS.stringBytes),
        collection_count: Limited(BIGKEY_LIMITS.collectionCount),
        per_type: Limited(BIGKEY_LIMITS.perType),
        memory_usage: Type.Boolean({ default: false, description: 'read MEMORY USAGE of every key (totals and namespaces by memory); it costs more than the size commands' }),
        prefer_replicas: Type.Boolean({ default: true, description: 'scan a replica of each shard where one is reachable, as DCS does; false = the primaries' }),
      },
      { default: {}, additionalProperties: false, description: 'big key analysis: what makes a key big (DCS console definitions by default)' },
    ),
    snapshot: Type.Object(
      {
        max_memory_share: Limited(SNAPSHOT_LIMITS.maxMemoryShare),
        stall_timeout_ms: Limited(SNAPSHOT_LIMITS.stallTimeoutMs),
        max_wait_ms: Limited(SNAPSHOT_LIMITS.maxWaitMs),
        max_slot_wait_ms: Limited(SNAPSHOT_LIMITS.maxSlotWaitMs),
      },
      { default: {}, additionalProperties: false, description: 'the snapshot strategy: what a node must have free before it forks for keyheat (docs/snapshots.md)' },
    ),
    redis: Type.Object(
      {
        max_reply_bytes: Limited(REDIS_LIMITS.maxReplyBytes),
        max_bulk_bytes: Limited(REDIS_LIMITS.maxBulkBytes),
        max_line_bytes: Limited(REDIS_LIMITS.maxLineBytes),
        max_array_length: Limited(REDIS_LIMITS.maxArrayLength),
        max_depth: Limited(REDIS_LIMITS.maxDepth),
        max_cluster_primaries: Limited(REDIS_LIMITS.maxClusterPrimaries),
        max_connections: Limited(REDIS_LIMITS.maxConnections),
      },
      { default: {}, additionalProperties: false, description: 'caps on what a Redis server may send or make keyheat do' },
    ),
    network: Type.Object(
      {
        allow: Type.Array(Type.String(), {
          default: [],
          description: 'CIDRs keyheat may connect to (registered URLs, cluster nodes, redirects); empty = anywhere',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    runner: Type.Object(
      {
        concurrency: Integer(1, 64, 4, 'analyses run at once by this process'),
        max_running_per_project: Integer(1, 64, 2, "analyses of one project run at once by this process: one tenant cannot take every slot"),
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
    notifications: Type.Object(
      {
        webhooks: Type.Array(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'http:// or https:// URL the events are POSTed to (network.allow applies, as to Redis targets)' }),
              secret: Type.String({ minLength: 16, description: 'key of the X-Keyheat-Signature HMAC-SHA256 (16 characters or more)' }),
              events: Type.Array(Type.Union(WEBHOOK_EVENTS.map((event) => Type.Literal(event))), { minItems: 1, uniqueItems: true, description: WEBHOOK_EVENTS.join(', ') }),
            },
            { additionalProperties: false },
          ),
          { default: [], maxItems: 32, description: 'where finished tasks and findings are posted (docs/monitoring.md "Webhooks")' },
        ),
        hot_key_qps: Type.Number({ minimum: 0, default: 1000, description: 'finding.hot_key: keys estimated at this many reads a second or more' }),
        timeout_ms: Integer(100, 120_000, 10_000, 'one delivery attempt, connection to last byte'),
        retry_for_ms: Integer(0, 7 * 24 * 3_600_000, 3_600_000, 'how long after its first attempt a delivery is retried (backoff 1 s, 2 s, 4 s... at most 5 min apart)'),
        queue_max: Integer(1, 100_000, 1000, 'deliveries waiting at most per process; the oldest is dropped past it'),
      },
      { default: {}, additionalProperties: false },
    ),
    metrics: Type.Object(
      {
        token: Type.Optional(
          Type.String({
            minLength: 16,
            description: 'when set, GET /metrics requires Authorization: Bearer <token>; unset, /metrics is open (counts only: no keys, instances or secrets)',
          }),
        ),
        token_file: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'a file holding metrics.token (its first line), instead of the token itself: a mounted container or Kubernetes secret',
          }),
        ),
        findings: Type.Union([Type.Literal('with_token'), Type.Literal('always'), Type.Literal('never')], {
          default: 'with_token',
          description:
            "what the latest analyses found as series (hot and big keys by name, saturated counters, types, keys without expiry, last success): with_token serves them only when metrics.token is set; always also on an open /metrics (only where nobody but your Prometheus reaches it); never",
        }),
        hot_keys: Integer(0, FINDINGS_MAX_KEYS, 10, 'hot keys per instance with series (keyheat_hot_key_est_qps, keyheat_hot_key_freq)'),
        big_keys: Integer(0, FINDINGS_MAX_KEYS, 10, 'big keys per instance with series (keyheat_big_key_size, keyheat_big_key_memory_bytes)'),
      },
      { default: {}, additionalProperties: false },
    ),
    retention: Type.Object(
      {
        max_tasks_per_instance: Integer(1, 100_000, 100, 'creating a task beyond this deletes the oldest finished ones'),
        max_result_bytes: Integer(
          65_536,
          256 * 1024 * 1024,
          2 * 1024 * 1024,
          "a task's stored result never exceeds this many bytes (a larger one keeps the hottest and biggest keys and says what it left out), and reading a task never loads more",
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    offline: Type.Object(
      {
        backup_dir: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "where offline key analyses find saved backups: <backup_dir>/<instance_id>/<backup_id>, RDB files put there by operators' backup jobs (redis-cli --rdb, BGSAVE copies); default <data_dir>/backups",
          }),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
    auth: Type.Object(
      {
        refuse_replays: Type.Boolean({
          default: false,
          description:
            'refuse an SDK-HMAC-SHA256 signature used a second time within its 15-minute window (remembered per process); off by default because the SDK signs two identical requests within one second identically',
        }),
      },
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
