/**
 * server.tls: reads the certificate and key files once, at start, and proves Node's TLS accepts
 * them, so a bad path, an unreadable file or a key that does not match its certificate stops
 * `keyheat serve` with a config error naming the option, before the store is opened.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config-error.js';
import type { KeyheatConfig } from './config-schema.js';

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export function readServerTls(config: KeyheatConfig): ServerTls | undefined {
  const tls = config.server.tls;
  if (tls === undefined) return undefined;
  const files = { cert: readPem('server.tls.cert', tls.cert), key: readPem('server.tls.key', tls.key) };
  try {
    createSecureContext(files);
  } catch (error) {
    throw new ConfigError(`server.tls: ${tls.cert} and ${tls.key} cannot be used together: ${(error as Error).message}`);
  }
  return files;
}

function readPem(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${option}: cannot read ${file}: ${(error as Error).message}`);
  }
}
