/** Table shapes as stored. Booleans are 0/1 integers and times ISO-8601 UTC text in every dialect. */
export interface ProjectsTable {
  id: string;
  /** 'generated' for the default project made at first start, 'config' for projects from the config file. */
  source: string;
  created_at: string;
}

export interface TokensTable {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  project_id: string;
  role: string;
  created_at: string;
}

export interface InstancesTable {
  id: string;
  project_id: string;
  name: string;
  host: string;
  port: number;
  tls: number;
  username: string | null;
  password: string | null;
  mode: string;
  /** 'Redis' or 'Valkey'. */
  engine: string;
  engine_version: string;
  status: string;
  created_at: string;
  updated_at: string;
  /** JSON {ca, cert, servername, insecure} when TLS settings were given (the key is tls_key). */
  tls_json: string | null;
  /** The TLS client key, sealed like the password. */
  tls_key: string | null;
  /** JSON {master_name, nodes: [{host, port}]} for a deployment found through Sentinel. */
  sentinel_json: string | null;
  /** The Sentinels' own password, sealed like the password. */
  sentinel_password: string | null;
}

/** Tasks of both kinds (the name is from when there was one). */
export interface HotkeyTasksTable {
  id: string;
  project_id: string;
  instance_id: string;
  /** 'hot', 'big', 'expire' or 'offline'. */
  kind: string;
  status: string;
  scan_type: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  num: number;
  /** JSON: { keys, stats } once the task succeeded. */
  result_json: string | null;
  error_msg: string | null;
  attempts: number;
  /** Which runner holds the task while it is running, and until when. */
  runner_id: string | null;
  lease_expires_at: string | null;
  /** JSON: per-node progress while running. */
  progress_json: string | null;
  /** JSON TaskOptions given at creation, or null for the service defaults. */
  options_json: string | null;
  /** JSON Findings (domain/findings.ts) of a successful task; null before it succeeded, or when it succeeded before keyheat stored them. */
  findings_json: string | null;
}

export interface AutoscanConfigsTable {
  instance_id: string;
  /** 'hot' or 'big': each kind has its own schedule. */
  kind: string;
  project_id: string;
  enable_auto_scan: number;
  /** JSON array of "HH:mm" (UTC). */
  schedule_at_json: string;
  updated_at: string;
  /** JSON {options?, interval?}: the tasks' options, and an interval schedule's settings (expired key scans). */
  settings_json: string | null;
}

export interface AutoscanRunsTable {
  instance_id: string;
  kind: string;
  /** The daily slot, UTC: "2026-11-29T21:00". */
  slot: string;
  /** The auto task created for the slot, if one was. */
  task_id: string | null;
  /** created, or why no task was created (skipped: ...). */
  outcome: string;
  created_at: string;
}

export interface Database {
  autoscan_runs: AutoscanRunsTable;
  projects: ProjectsTable;
  tokens: TokensTable;
  instances: InstancesTable;
  hotkey_tasks: HotkeyTasksTable;
  autoscan_configs: AutoscanConfigsTable;
}
