/** Runs `keyheat` as a real child process (from source, through tsx), for CLI and crash tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_SECRET_KEY } from './stores.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/main.ts');

export interface KeyheatProcess {
  readonly child: ChildProcess;
  /** stdout and stderr as they arrived, interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the output matches, rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | null>;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
}

export function runKeyheat(args: readonly string[], options: RunOptions = {}): KeyheatProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    // A configured key, as PostgreSQL needs one; a test passes KEYHEAT_SECRET_KEY: '' to go without.
    env: { KEYHEAT_SECRET_KEY: TEST_SECRET_KEY, ...process.env, ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  // 'close', not 'exit': the exit can be reported before the last of stdout has been read.
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: () => exit,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          const match = pattern.exec(output);
          if (match !== null) return resolve(match);
          if (child.exitCode !== null) return reject(new Error(`keyheat exited (${child.exitCode}) before ${pattern}:\n${output}`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`));
          setTimeout(check, 25);
        };
        check();
      });
    },
  };
}

/** Runs a command to completion and returns its exit code and output (both streams, and each). */
export async function runKeyheatToEnd(args: readonly string[], options: RunOptions = {}): Promise<{ code: number | null; output: string; stdout: string; stderr: string }> {
  const run = runKeyheat(args, options);
  const code = await run.exited();
  return { code, output: run.output(), stdout: run.stdout(), stderr: run.stderr() };
}
