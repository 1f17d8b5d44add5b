/**
 * What every client command shares: `<group> <command> --help`, parsing flags and arguments,
 * the connection, Ctrl-C, and turning a failure into its message and exit code. The commands
 * themselves (instances, tasks, autoscan) only call the API and print.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SCAN_EXIT } from '../../domain/failure-map.js';
import { UsageError } from '../usage-error.js';
import { ApiClient } from './api-client.js';
import { ApiError, CommandFailure, describeApiError, exitCodeOf, Interrupted, ServerUnreachable, UnexpectedAnswer } from './client-errors.js';
import { checkId, CONNECTION_OPTIONS, connectionFrom, type Connection } from './connection.js';

export interface ClientIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: ClientIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  readonly api: ApiClient;
  readonly io: ClientIo;
  readonly connection: Connection;
  /** --json: print the API's bodies instead of tables. */
  readonly json: boolean;
  readonly flags: Flags;
  /** The positional arguments, checked: ids match the API's path rule. */
  readonly args: readonly string[];
  readonly signal: AbortSignal;
  /** The command's help, for UsageErrors found while running. */
  readonly usage: string;
}

export interface Subcommand {
  readonly name: string;
  readonly help: string;
  /** Flags of this command, besides the connection's. */
  readonly options: Options;
  /** Names of the positional arguments, in order; each is an id (instance_id, task_id). */
  readonly args: readonly string[];
  readonly run: (context: CommandContext) => Promise<number>;
}

export interface CommandGroup {
  readonly name: string;
  readonly help: string;
  readonly subcommands: readonly Subcommand[];
}

export interface Flags {
  string(name: string): string | undefined;
  /** A flag given several times, each value split at commas: --at 03:00,21:00 --at 12:00. */
  list(name: string): string[] | undefined;
  boolean(name: string): boolean;
}

export async function runGroup(group: CommandGroup, argv: readonly string[], io: ClientIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') return help(io, group.help);
  const names = group.subcommands.map((s) => s.name).join('|');
  if (name === undefined) throw new UsageError(`${group.name} needs a command: ${names}`, group.help);
  const command = group.subcommands.find((s) => s.name === name);
  if (command === undefined) throw new UsageError(`unknown ${group.name} command "${name}" (${names})`, group.help);
  if (rest.includes('--help') || rest.includes('-h')) return help(io, command.help);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  try {
    const { values, positionals } = parse(command, rest, `${group.name} ${command.name}`);
    const connection = connectionFrom(values, io.env, command.help);
    const api = new ApiClient(connection, controller.signal);
    const context = { api, io, connection, json: values['json'] === true, flags: flagsOf(values), args: positionals, signal: controller.signal, usage: command.help };
    process.once('SIGINT', interrupt);
    return await command.run(context);
  } catch (error) {
    // A bad value found on the way (a flag's range) still shows this command's help.
    if (error instanceof UsageError && error.usage === undefined) throw new UsageError(error.message, command.help);
    return report(error, io);
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function help(io: ClientIo, text: string): number {
  io.stdout.write(`${text}\n`);
  return SCAN_EXIT.ok;
}

function parse(command: Subcommand, args: readonly string[], label: string): { values: Record<string, unknown>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...CONNECTION_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, command.help);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== command.args.length) {
    const wanted = command.args.length === 0 ? 'no arguments' : command.args.map((a) => `<${a}>`).join(' ');
    throw new UsageError(`${label} takes ${wanted}, got ${positionals.length === 0 ? 'none' : `"${positionals.join(' ')}"`}`, command.help);
  }
  positionals.forEach((value, i) => checkId(value, command.args[i] ?? 'the argument', command.help));
  return { values, positionals };
}

function flagsOf(values: Record<string, unknown>): Flags {
  return {
    string: (name) => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    },
    boolean: (name) => values[name] === true,
    list: (name) => {
      const value = values[name];
      if (!Array.isArray(value)) return typeof value === 'string' ? value.split(',') : undefined;
      return value.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(','));
    },
  };
}

/** The message on stderr and the exit code of a command that did not get what it asked for. */
function report(error: unknown, io: ClientIo): number {
  if (error instanceof ApiError) {
    io.stderr.write(`keyheat: ${describeApiError(error)}\n`);
    return exitCodeOf(error);
  }
  if (error instanceof ServerUnreachable) {
    io.stderr.write(`keyheat: ${error.message}\n`);
    return SCAN_EXIT.unreachable;
  }
  if (error instanceof Interrupted) {
    io.stderr.write(`keyheat: ${error.message}\n`);
    return SCAN_EXIT.interrupted;
  }
  if (error instanceof CommandFailure || error instanceof UnexpectedAnswer) {
    io.stderr.write(`keyheat: ${error.message}\n`);
    return error instanceof CommandFailure ? error.exitCode : SCAN_EXIT.failure;
  }
  // Usage errors (cli.ts prints the command's help) and bugs (cli.ts prints the stack).
  throw error;
}
