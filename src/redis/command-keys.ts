/**
 * Which arguments of a command are keys, as the server itself says: the reply to COMMAND, read
 * once per node. Redis 7 describes every command's keys with key specs (begin_search, find_keys),
 * including commands whose keys move (EVAL's numkeys, ZUNIONSTORE, XREAD's STREAMS keyword,
 * SORT ... STORE) and subcommands (OBJECT FREQ, XINFO STREAM). Older servers give only
 * first/last/step; there, commands flagged movablekeys count as commands without keys.
 *
 * The algorithm is Redis's own (db.c getKeysUsingKeySpecs), so a command the server adds or a
 * module registers is handled without a hand-written list. Where a spec is flagged INCOMPLETE
 * the server finds the rest of the keys with code of its own (SORT's STORE destination); those
 * keys are not counted: the command still counts, and the keys its specs do describe. Nothing here trusts the reply: an
 * entry that is not the expected shape is skipped, and every position is bounds-checked.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { Reply } from './resp-parser.js';
import type { RespConnection } from './resp-connection.js';

type BeginSearch = { readonly type: 'index'; readonly pos: number } | { readonly type: 'keyword'; readonly keyword: string; readonly startFrom: number };
type FindKeys =
  | { readonly type: 'range'; readonly lastKey: number; readonly keyStep: number; readonly limit: number }
  | { readonly type: 'keynum'; readonly keyNumIdx: number; readonly firstKey: number; readonly keyStep: number };

interface KeySpec {
  readonly begin: BeginSearch;
  readonly find: FindKeys;
  /** Flagged INCOMPLETE: the server needs code, not the spec, for some keys (SORT ... STORE). */
  readonly incomplete: boolean;
}

interface CommandKeys {
  /** Key specs (Redis 7), or one range spec made from first/last/step. */
  readonly specs: readonly KeySpec[];
  /** Subcommands by lower-case name ("freq" of "object"), each with its own specs. */
  readonly subcommands: ReadonlyMap<string, CommandKeys>;
}

/** A key spec's bounds: Redis's commands stay far below these. */
const MAX_SPECS = 16;
/** The table's bounds (Redis 8 has about 240 commands, a few dozen subcommands each at most). */
export const MAX_COMMANDS = 4096;
const MAX_SUBCOMMANDS = 256;
/** Longest command name or keyword kept; a longer one is skipped. */
const MAX_NAME_BYTES = 128;

export class CommandTable {
  private constructor(private readonly commands: ReadonlyMap<string, CommandKeys>) {}

  /** COMMAND on `connection`'s node. A server that refuses it fails with the classified reason. */
  static async read(connection: RespConnection): Promise<CommandTable> {
    let reply: Reply;
    try {
      reply = await connection.call(['COMMAND']);
    } catch (error) {
      if (!(error instanceof RedisFailure) || (error.kind !== 'no-permission' && error.kind !== 'unsupported')) throw error;
      throw new RedisFailure(error.kind, error.node, `${error.message}; sampling reads the key positions of commands with COMMAND: allow it (ACL SETUSER <user> +command)`);
    }
    if (!Array.isArray(reply)) throw connection.unexpected(reply, 'COMMAND');
    if (reply.length > MAX_COMMANDS) {
      throw new RedisFailure('limit', connection.address, `${connection.address} answered COMMAND with ${reply.length} commands, more than the ${MAX_COMMANDS} keyheat reads`);
    }
    return CommandTable.parse(reply);
  }

  /** Builds the table from a COMMAND reply; malformed entries are skipped. */
  static parse(reply: readonly Reply[]): CommandTable {
    const commands = new Map<string, CommandKeys>();
    for (const entry of reply.slice(0, MAX_COMMANDS)) {
      const parsed = parseEntry(entry, true);
      if (parsed !== null) commands.set(parsed.name, parsed.keys);
    }
    return new CommandTable(commands);
  }

  get size(): number {
    return this.commands.size;
  }

  /**
   * The positions in `args` (args[0] is the command name) that hold keys, in order; empty for a
   * command without keys or one the server does not know. `name` is args[0] in lower case.
   */
  keyPositions(name: string, args: readonly Buffer[]): number[] {
    let command = this.commands.get(name);
    if (command === undefined) return [];
    if (command.subcommands.size > 0 && args.length > 1) {
      const sub = command.subcommands.get((args[1] as Buffer).toString('latin1').toLowerCase());
      if (sub !== undefined) command = sub;
    }
    const positions: number[] = [];
    // A command with an INCOMPLETE spec (MIGRATE) may name "" as a placeholder where another spec has its keys.
    const placeholders = command.specs.some((spec) => spec.incomplete);
    for (const spec of command.specs) collectKeys(spec, args, positions, placeholders);
    return positions;
  }
}

/** Redis's getKeysUsingKeySpecs for one spec: appends the key positions it finds. */
function collectKeys(spec: KeySpec, args: readonly Buffer[], out: number[], skipEmpty: boolean): void {
  const argc = args.length;
  let first: number;
  if (spec.begin.type === 'index') {
    first = spec.begin.pos;
  } else {
    const { keyword, startFrom } = spec.begin;
    const start = startFrom > 0 ? startFrom : argc + startFrom;
    const end = startFrom > 0 ? argc - 1 : 1;
    const step = startFrom > 0 ? 1 : -1;
    first = -1;
    for (let i = start; step > 0 ? i <= end : i >= end; i += step) {
      if (i >= argc || i < 1) break;
      if ((args[i] as Buffer).toString('latin1').toLowerCase() === keyword) {
        first = i + 1;
        break;
      }
    }
    if (first < 0) return;
  }
  let last: number;
  let step: number;
  if (spec.find.type === 'range') {
    const { lastKey, keyStep, limit } = spec.find;
    if (lastKey >= 0) last = first + lastKey;
    else if (limit <= 1) last = argc + lastKey;
    else last = first + Math.floor((argc - first) / limit) + lastKey;
    step = keyStep;
  } else {
    const { keyNumIdx, firstKey, keyStep } = spec.find;
    const at = first + keyNumIdx;
    if (at >= argc) return;
    const text = (args[at] as Buffer).toString('latin1');
    if (!/^\d{1,9}$/.test(text)) return;
    const count = Number(text);
    first += firstKey;
    last = first + (count - 1) * keyStep;
    step = keyStep;
  }
  // As Redis: a spec whose keys would run past the arguments describes none of them.
  if (step < 1 || first < 1 || last >= argc || last < first) return;
  for (let i = first; i <= last; i += step) {
    if (skipEmpty && (args[i] as Buffer).length === 0) continue;
    out.push(i);
  }
}

/**
 * [name, arity, flags, first, last, step, acl, tips, key_specs, subcommands]; null when not that
 * (or its name is longer than any command's). Subcommands are read one level deep, as Redis has them.
 */
function parseEntry(entry: Reply, withSubcommands: boolean): { name: string; keys: CommandKeys } | null {
  if (!Array.isArray(entry) || entry.length < 6 || !Buffer.isBuffer(entry[0]) || entry[0].length > MAX_NAME_BYTES) return null;
  const name = entry[0].toString('latin1').toLowerCase();
  const flags = Array.isArray(entry[2]) ? entry[2].filter(Buffer.isBuffer).map((f) => f.toString('latin1')) : [];
  const [firstKey, lastKey, keyStep] = [entry[3], entry[4], entry[5]];
  let specs: KeySpec[] = [];
  if (Array.isArray(entry[8])) {
    specs = entry[8].slice(0, MAX_SPECS).map(parseKeySpec).filter((s): s is KeySpec => s !== null);
  } else if (typeof firstKey === 'number' && typeof lastKey === 'number' && typeof keyStep === 'number' && firstKey > 0 && !flags.includes('movablekeys')) {
    // Before key specs: first, last (negative counts from the end), step.
    specs = [{ begin: { type: 'index', pos: firstKey }, find: { type: 'range', lastKey: lastKey < 0 ? lastKey : lastKey - firstKey, keyStep, limit: 0 }, incomplete: false }];
  }
  const subcommands = new Map<string, CommandKeys>();
  if (withSubcommands && Array.isArray(entry[9])) {
    for (const sub of entry[9].slice(0, MAX_SUBCOMMANDS)) {
      const parsed = parseEntry(sub, false);
      // Subcommands are named "object|freq".
      if (parsed !== null) subcommands.set(parsed.name.slice(parsed.name.indexOf('|') + 1), parsed.keys);
    }
  }
  return { name, keys: { specs, subcommands } };
}

/** A RESP2 map (flat array of name, value) as a Map; null when not that shape. */
function asMap(reply: Reply): Map<string, Reply> | null {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) return null;
  const map = new Map<string, Reply>();
  for (let i = 0; i < reply.length; i += 2) {
    const key = reply[i];
    if (!Buffer.isBuffer(key)) return null;
    map.set(key.toString('latin1'), reply[i + 1] ?? null);
  }
  return map;
}

function integer(map: Map<string, Reply> | null, name: string): number | null {
  const value = map?.get(name);
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

function parseKeySpec(reply: Reply): KeySpec | null {
  const spec = asMap(reply);
  const begin = asMap(spec?.get('begin_search') ?? null);
  const find = asMap(spec?.get('find_keys') ?? null);
  const beginType = begin?.get('type');
  const findType = find?.get('type');
  const beginSpec = asMap(begin?.get('spec') ?? null);
  const findSpec = asMap(find?.get('spec') ?? null);
  if (!Buffer.isBuffer(beginType) || !Buffer.isBuffer(findType)) return null;
  let parsedBegin: BeginSearch | null = null;
  if (beginType.toString() === 'index') {
    const pos = integer(beginSpec, 'index');
    if (pos !== null && pos > 0) parsedBegin = { type: 'index', pos };
  } else if (beginType.toString() === 'keyword') {
    const keyword = beginSpec?.get('keyword');
    const startFrom = integer(beginSpec, 'startfrom');
    if (Buffer.isBuffer(keyword) && keyword.length <= MAX_NAME_BYTES && startFrom !== null && startFrom !== 0) parsedBegin = { type: 'keyword', keyword: keyword.toString('latin1').toLowerCase(), startFrom };
  }
  let parsedFind: FindKeys | null = null;
  if (findType.toString() === 'range') {
    const lastKey = integer(findSpec, 'lastkey');
    const keyStep = integer(findSpec, 'keystep');
    const limit = integer(findSpec, 'limit');
    if (lastKey !== null && keyStep !== null && limit !== null) parsedFind = { type: 'range', lastKey, keyStep, limit };
  } else if (findType.toString() === 'keynum') {
    const keyNumIdx = integer(findSpec, 'keynumidx');
    const firstKey = integer(findSpec, 'firstkey');
    const keyStep = integer(findSpec, 'keystep');
    if (keyNumIdx !== null && firstKey !== null && keyStep !== null && keyNumIdx >= 0) parsedFind = { type: 'keynum', keyNumIdx, firstKey, keyStep };
  }
  const flags = spec?.get('flags');
  const incomplete = Array.isArray(flags) && flags.some((f) => Buffer.isBuffer(f) && f.toString('latin1').toUpperCase() === 'INCOMPLETE');
  return parsedBegin === null || parsedFind === null ? null : { begin: parsedBegin, find: parsedFind, incomplete };
}
