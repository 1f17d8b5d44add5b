/**
 * The first 9 bytes of an RDB: "REDIS" and four digits (Redis; Valkey up to 8.x) or "VALKEY" and
 * three (Valkey 9.0+). The version decides the table of types. Versions keyheat does not know,
 * and Valkey's compressed "VCS" envelope, are refused as 'unsupported', naming what was found;
 * anything else is not an RDB.
 */
import { MAX_RDB_VERSION, VALKEY_RDB_VERSIONS, type RdbFlavor } from './rdb-format.js';

export type RdbHeader = { readonly flavor: RdbFlavor; readonly version: number } | { readonly refused: string; readonly reason: 'unsupported' | 'corrupt' };

export function readHeader(head: string): RdbHeader {
  if (head.startsWith('VCS') || head.startsWith('VKCS')) {
    return {
      refused: 'this RDB is compressed as a whole by Valkey (its "VCS" envelope: rdbcompression lz4 or zstd), which keyheat does not read; save it with rdbcompression yes',
      reason: 'unsupported',
    };
  }
  const flavor: RdbFlavor | null = head.startsWith('REDIS') ? 'redis' : head.startsWith('VALKEY') ? 'valkey' : null;
  if (flavor === null) return { refused: `not an RDB: it starts with ${JSON.stringify(head.slice(0, 6))}, not "REDIS" or "VALKEY"`, reason: 'corrupt' };
  const digits = flavor === 'redis' ? head.slice(5, 9) : head.slice(6, 9);
  if (!/^[0-9]+$/.test(digits)) return { refused: `invalid RDB version field ${JSON.stringify(digits)}`, reason: 'corrupt' };
  const version = Number(digits);
  if (flavor === 'redis' && (version < 1 || version > MAX_RDB_VERSION)) {
    return { refused: `RDB version ${version} is not supported (magic "REDIS"): keyheat reads versions 1 to ${MAX_RDB_VERSION} (Redis up to 8.6) and Valkey's 80 and 81`, reason: 'unsupported' };
  }
  if (flavor === 'valkey' && !VALKEY_RDB_VERSIONS.includes(version)) {
    return { refused: `RDB version ${version} is not supported (magic "VALKEY"): keyheat reads Valkey's versions ${VALKEY_RDB_VERSIONS.join(' and ')} (Valkey 9.0 and 9.2)`, reason: 'unsupported' };
  }
  return { flavor, version };
}
