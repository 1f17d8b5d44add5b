/** Runs `keyheat` as a real child process (from source, through tsx), for CLI and crash tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/main.ts');

export interface KeyheatProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when the output matches, rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | null>;
}

export function runKeyheat(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): KeyheatProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
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

/** Runs a command to completion and returns its exit code and output. */
export async function runKeyheatToEnd(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; output: string }> {
  const run = runKeyheat(args, options);
  const code = await run.exited();
  return { code, output: run.output() };
}
