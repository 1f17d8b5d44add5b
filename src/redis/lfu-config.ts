/**
 * A node's LFU settings, from CONFIG GET lfu-* (CONFIG is often refused on managed services:
 * Redis's defaults are assumed then, and said to be).
 */
import { LFU_DEFAULTS, type LfuSettings } from '../domain/lfu.js';
import { RedisFailure } from '../domain/redis-failure.js';
import type { RespConnection } from './resp-connection.js';
import { RedisReplyError } from './resp-parser.js';

export async function readLfuSettings(connection: RespConnection): Promise<LfuSettings> {
  const [reply] = await connection.pipeline([['CONFIG', 'GET', 'lfu-*']]);
  // Renamed, disabled or forbidden by an ACL: not an error of the analysis.
  if (reply instanceof RedisReplyError) return LFU_DEFAULTS;
  if (!Array.isArray(reply)) throw connection.unexpected(reply ?? null, 'CONFIG GET');
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const name = reply[i];
    const value = reply[i + 1];
    if (Buffer.isBuffer(name) && Buffer.isBuffer(value)) values.set(name.toString('latin1'), value.toString('latin1'));
  }
  const logFactor = setting(values.get('lfu-log-factor'), connection.address);
  const decayTime = setting(values.get('lfu-decay-time'), connection.address);
  if (logFactor === null || decayTime === null) return LFU_DEFAULTS;
  return { logFactor, decayTime, source: 'config' };
}

/** A non-negative integer setting; null when absent; a protocol failure when it is not a number. */
function setting(text: string | undefined, node: string): number | null {
  if (text === undefined) return null;
  if (!/^\d{1,9}$/.test(text)) throw new RedisFailure('protocol', node, `${node} answered CONFIG GET lfu-* with a value that is not a number`);
  return Number(text);
}
