import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { KeyheatConfig } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import { UsageError } from './usage-error.js';

const CONFIG_OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Parses the config-related flags shared by serve and token, and loads the configuration. */
export function configFromArgs(args: readonly string[], allowed: readonly (keyof typeof CONFIG_OPTIONS)[]): KeyheatConfig {
  const options = Object.fromEntries(allowed.map((name) => [name, CONFIG_OPTIONS[name]]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags: Record<string, unknown> = {};
  const server: Record<string, unknown> = {};
  if (typeof values['host'] === 'string') server['host'] = values['host'];
  if (typeof values['port'] === 'string') server['port'] = values['port'];
  if (Object.keys(server).length > 0) flags['server'] = server;
  if (typeof values['data-dir'] === 'string') flags['data_dir'] = values['data-dir'];
  return loadConfig({ file: typeof values['config'] === 'string' ? values['config'] : undefined, flags });
}
