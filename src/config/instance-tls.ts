/** The TLS files of an instance declared in the config file (instances[].tls), read at each start. */
import { readFileSync } from 'node:fs';
import type { RedisTls } from '../domain/instance.js';
import type { KeyheatConfig } from './config-schema.js';

/** Reads the files now: a missing one fails this instance's registration, which is logged, not the start. */
export function tlsFromFiles(tls: NonNullable<KeyheatConfig['instances'][number]['tls']>): RedisTls {
  const read = (file: string | undefined): string | null => (file === undefined ? null : readFileSync(file, 'utf8'));
  return { ca: read(tls.ca_file), cert: read(tls.cert_file), key: read(tls.key_file), servername: tls.servername ?? null, insecure: tls.insecure === true };
}
