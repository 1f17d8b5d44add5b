/**
 * A primary's count of expired keys it has reclaimed (INFO stats `expired_keys`): every key
 * deleted because its TTL passed, whether a command touched it (lazy expiry: SCAN, PTTL, any
 * read) or the server's own active expiry cycle found it. Read before and after an expired key
 * scan of the node. Command run: INFO stats.
 */
import { RedisFailure } from '../domain/redis-failure.js';
import type { RespConnection } from './resp-connection.js';
import { parseInfo } from './server-info.js';

export async function readExpiredKeys(connection: RespConnection): Promise<number> {
  const text = await connection.text(['INFO', 'stats']);
  const value = parseInfo(text).get('expired_keys');
  if (value === undefined || !/^\d{1,15}$/.test(value)) {
    throw new RedisFailure('protocol', connection.address, `${connection.address} answered INFO stats without an expired_keys counter`);
  }
  return Number(value);
}
