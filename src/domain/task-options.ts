/**
 * The option catalogue: every per-task option once, with its wire name, its CLI flag, its range,
 * the kinds and strategies it applies to and its help. The create bodies' schemas
 * (wire/task-option-schemas.ts), the service's refusals (checkTaskOptions), `keyheat tasks
 * create`'s flags and their --help are all made from it, so none of them can disagree.
 */
import { invalidParameter } from './errors.js';
import { ANALYSIS_LIMITS, BIGKEY_LIMITS, EXPIRE_LIMITS, OFFLINE_LIMITS, SAMPLE_LIMITS, type Limit } from './limits.js';
import type { AnalysisStrategy } from './snapshot.js';
import { kindsPhrase, TASK_KIND_SPECS } from './task-kinds.js';
import type { TaskKind } from './task-status.js';
import type { TaskOptions } from './task.js';

export type OptionValue =
  | { readonly type: 'number'; readonly limit: Limit }
  | { readonly type: 'boolean' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'string'; readonly pattern: string; readonly maxLength: number };

export interface TaskOptionSpec {
  readonly option: keyof TaskOptions;
  /** Its name in a create body and in a task's `options`. */
  readonly wire: string;
  /** `keyheat tasks create --<flag>`; null where the option has no flag of its own. */
  readonly flag: string | null;
  readonly value: OptionValue;
  /** The placeholder of its value in --help. */
  readonly placeholder: string;
  /** One line of --help. */
  readonly help: string;
  /** The wire body's description (the OpenAPI document). */
  readonly description: string;
  readonly kinds: readonly TaskKind[];
  /** The strategies it means something under. */
  readonly strategies: readonly AnalysisStrategy[];
  /** Why it means nothing under the other strategy, for the refusal. */
  readonly notUnder?: string;
  /** Another option it needs set (sample_replicas needs sample_seconds). */
  readonly needs?: { readonly option: keyof TaskOptions; readonly value?: string };
  /** The create body must have it. */
  readonly required?: boolean;
  /** Set by keyheat itself (a schedule's run), never in a body or a flag. */
  readonly internal?: boolean;
}

/** ip:port, or [ipv6]:port. */
export const NODE_ID_PATTERN = '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$';
/** A plain file name: no folder, no leading dot, printable ASCII. */
export const BACKUP_ID_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$';

const SCAN: readonly AnalysisStrategy[] = ['scan'];
const SNAPSHOT: readonly AnalysisStrategy[] = ['snapshot'];
const BOTH: readonly AnalysisStrategy[] = ['scan', 'snapshot'];
const PACED = 'paces the scan strategy; a snapshot is not paced (its cost is one fork per node)';

const number = (limit: Limit): OptionValue => ({ type: 'number', limit });

const pacing = (option: keyof TaskOptions, wire: string, flag: string, placeholder: string, help: string, limit: Limit, kinds: readonly TaskKind[] = ['hot', 'big', 'expire']): TaskOptionSpec => ({
  option,
  wire,
  flag,
  value: number(limit),
  placeholder,
  help,
  description: limit.description,
  kinds,
  strategies: SCAN,
  notUnder: PACED,
});

export const TASK_OPTIONS: readonly TaskOptionSpec[] = Object.freeze([
  pacing('maxCpuShare', 'max_cpu_share', 'max-cpu-share', 'S', "share of a primary's main thread while it serves others", ANALYSIS_LIMITS.maxCpuShare),
  pacing('idleCpuShare', 'idle_cpu_share', 'idle-cpu-share', 'S', 'the share while it serves nobody else', ANALYSIS_LIMITS.idleCpuShare),
  pacing('maxBlockUs', 'max_block_us', 'max-block-us', 'US', 'longest work of one page on a busy primary; 0 = 500 x share', ANALYSIS_LIMITS.maxBlockUs),
  pacing('batchSize', 'batch_size', 'batch', 'N', 'keys per page while idle; the largest page ever', ANALYSIS_LIMITS.batchSize, ['hot', 'big']),
  pacing('busyBatchSize', 'busy_batch_size', 'busy-batch', 'N', 'a fixed page size while busy; 0 = from the budgets', ANALYSIS_LIMITS.busyBatchSize, ['hot', 'big']),
  pacing('rateLimit', 'rate_limit', 'rate', 'KEYS_PER_S', 'keys per second per primary; 0 = no limit', ANALYSIS_LIMITS.rateLimit),
  {
    option: 'sampleSeconds',
    wire: 'sample_seconds',
    flag: 'sample',
    value: number(SAMPLE_LIMITS.seconds),
    placeholder: '10s',
    help: 'first watch the commands (MONITOR) for this long (1s-120s); see docs/sampling.md',
    description: SAMPLE_LIMITS.seconds.description,
    kinds: ['hot'],
    strategies: BOTH,
  },
  {
    option: 'sampleReplicas',
    wire: 'sample_replicas',
    flag: 'sample-replicas',
    value: { type: 'boolean' },
    placeholder: '',
    help: 'watch the replicas too',
    description: 'the sampling phase also watches replicas (reads they serve are traffic too)',
    kinds: ['hot'],
    strategies: BOTH,
    needs: { option: 'sampleSeconds' },
  },
  {
    option: 'stringBytes',
    wire: 'string_bytes',
    flag: 'string-bytes',
    value: number(BIGKEY_LIMITS.stringBytes),
    placeholder: 'N',
    help: 'a string is big above N bytes',
    description: BIGKEY_LIMITS.stringBytes.description,
    kinds: ['big'],
    strategies: BOTH,
  },
  {
    option: 'collectionCount',
    wire: 'collection_count',
    flag: 'collection-count',
    value: number(BIGKEY_LIMITS.collectionCount),
    placeholder: 'N',
    help: 'a collection is big above N elements',
    description: BIGKEY_LIMITS.collectionCount.description,
    kinds: ['big'],
    strategies: BOTH,
  },
  {
    option: 'perType',
    wire: 'per_type',
    flag: 'per-type',
    value: number(BIGKEY_LIMITS.perType),
    placeholder: 'N',
    help: 'big keys reported per type',
    description: BIGKEY_LIMITS.perType.description,
    kinds: ['big'],
    strategies: BOTH,
  },
  {
    option: 'memoryUsage',
    wire: 'memory_usage',
    flag: 'memory',
    value: { type: 'boolean' },
    placeholder: '',
    help: 'read MEMORY USAGE of every key (costs more)',
    description: 'MEMORY USAGE of every key: memory_bytes per key, namespaces by memory',
    kinds: ['big'],
    strategies: SCAN,
    notUnder: 'reads MEMORY USAGE during a scan; a snapshot has no MEMORY USAGE',
  },
  {
    option: 'strategy',
    wire: 'strategy',
    flag: null,
    value: { type: 'enum', values: ['scan', 'snapshot'] },
    placeholder: '',
    help: '',
    description: '"scan" (paced SCAN, the default) or "snapshot": each node forks once and sends its RDB, parsed as it arrives',
    kinds: ['hot', 'big'],
    strategies: BOTH,
  },
  {
    option: 'snapshotReplicas',
    wire: 'snapshot_replicas',
    flag: 'snapshot-replicas',
    value: { type: 'boolean' },
    placeholder: '',
    help: 'take the RDB from a replica of each shard',
    description: "with strategy snapshot, take each shard's RDB from a replica where one is usable (its counters are its own)",
    kinds: ['hot', 'big'],
    strategies: BOTH,
    needs: { option: 'strategy', value: 'snapshot' },
  },
  {
    option: 'scanKeysCount',
    wire: 'scan_keys_count',
    flag: 'scan-keys-count',
    value: number(EXPIRE_LIMITS.scanKeysCount),
    placeholder: 'N',
    help: 'keys per SCAN page (SCAN COUNT)',
    description: EXPIRE_LIMITS.scanKeysCount.description,
    kinds: ['expire'],
    strategies: SCAN,
  },
  {
    option: 'timeoutSeconds',
    wire: 'timeout',
    flag: null,
    value: number({ min: 1, max: 7 * 86_400, default: 0, integer: true, description: 'a scheduled scan still running after this many seconds fails' }),
    placeholder: '',
    help: '',
    description: 'a scheduled scan still running after this many seconds fails (the schedule\'s timeout)',
    kinds: ['expire'],
    strategies: SCAN,
    internal: true,
  },
  {
    option: 'nodeId',
    wire: 'node_id',
    flag: 'node',
    value: { type: 'string', pattern: NODE_ID_PATTERN, maxLength: 300 },
    placeholder: 'IP:PORT',
    help: 'the node whose RDB is analysed (keyheat tasks nodes lists them)',
    description: 'the node whose RDB is analysed, ip:port as the instance announces it',
    kinds: ['offline'],
    strategies: SNAPSHOT,
    required: true,
  },
  {
    option: 'backupId',
    wire: 'backup_id',
    flag: 'backup',
    value: { type: 'string', pattern: BACKUP_ID_PATTERN, maxLength: 255 },
    placeholder: 'FILE',
    help: "a saved RDB under the instance's backup folder instead of a fresh one",
    description: "a saved RDB file's name under <offline.backup_dir>/<instance_id>/ (GET .../backups lists them); absent: a fresh RDB of the node",
    kinds: ['offline'],
    strategies: SNAPSHOT,
  },
  {
    option: 'topKeys',
    wire: 'top_keys',
    flag: 'top-keys',
    value: number(OFFLINE_LIMITS.topKeys),
    placeholder: 'N',
    help: 'largest keys reported per type',
    description: OFFLINE_LIMITS.topKeys.description,
    kinds: ['offline'],
    strategies: SNAPSHOT,
  },
  {
    option: 'topPrefixes',
    wire: 'top_prefixes',
    flag: 'top-prefixes',
    value: number(OFFLINE_LIMITS.topPrefixes),
    placeholder: 'N',
    help: 'largest key prefixes reported per type',
    description: OFFLINE_LIMITS.topPrefixes.description,
    kinds: ['offline'],
    strategies: SNAPSHOT,
  },
] satisfies TaskOptionSpec[]);


/** Each task option's name on the wire (the POST body, the task's `options`). */
export const TASK_OPTION_WIRE_NAMES = Object.freeze(Object.fromEntries(TASK_OPTIONS.map((spec) => [spec.option, spec.wire]))) as { readonly [K in keyof TaskOptions]-?: string };

/** The options a kind's create body accepts, in catalogue order. */
export function optionsOfKind(kind: TaskKind): readonly TaskOptionSpec[] {
  return TASK_OPTIONS.filter((spec) => spec.kinds.includes(kind) && spec.internal !== true);
}

function specOf(option: keyof TaskOptions): TaskOptionSpec {
  const spec = TASK_OPTIONS.find((s) => s.option === option);
  if (spec === undefined) throw new Error(`no catalogue entry for task option ${option}`);
  return spec;
}

/**
 * Refuses (400 DCS.4800, naming the option) what a task of `kind` cannot take: an option of
 * another kind, an option its strategy gives no meaning to, an option without the one it needs.
 * The body schema already refused unknown fields and values out of range.
 */
export function checkTaskOptions(options: TaskOptions | null, kind: TaskKind): void {
  if (options === null) return;
  const strategy = options.strategy ?? TASK_KIND_SPECS[kind].strategies[0];
  if (strategy !== undefined && !TASK_KIND_SPECS[kind].strategies.includes(strategy)) {
    throw invalidParameter('strategy', `${TASK_KIND_SPECS[kind].article} reads the keyspace by ${TASK_KIND_SPECS[kind].strategies.join(' or ')}, not ${strategy}`);
  }
  for (const [option, value] of Object.entries(options) as [keyof TaskOptions, unknown][]) {
    if (value === undefined) continue;
    const spec = specOf(option);
    if (!spec.kinds.includes(kind)) throw invalidParameter(spec.wire, `${spec.wire} is for ${kindsPhrase(spec.kinds)} only`);
    if (strategy !== undefined && !spec.strategies.includes(strategy)) throw invalidParameter(spec.wire, `${spec.wire} ${spec.notUnder ?? `means nothing with strategy "${strategy}"`}`);
    if (spec.needs !== undefined && value !== false) {
      const needed = options[spec.needs.option];
      if (needed === undefined || (spec.needs.value !== undefined && needed !== spec.needs.value)) {
        const other = specOf(spec.needs.option).wire;
        throw invalidParameter(spec.wire, `${spec.wire} needs ${spec.needs.value === undefined ? other : `${other} "${spec.needs.value}"`}`);
      }
    }
  }
}
