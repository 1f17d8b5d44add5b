/**
 * The one error of the RDB parser. `reason` says what kind of breach it was, `offset` is the byte
 * of the stream (from the first byte of the "REDIS" magic) where the offending item starts or
 * where the stream stopped. The integration wraps it in a RedisFailure naming the node.
 *
 * - 'corrupt': bytes that no Redis writes (bad magic, impossible encoding, inconsistent lengths);
 * - 'unsupported': a valid RDB this parser does not read (version > 11, pre-GA module values...);
 * - 'truncated': the stream ended before the EOF opcode and its checksum;
 * - 'checksum': the CRC-64 at the end does not match the bytes;
 * - 'limit': a key or a blob larger than the configured caps.
 */
export type RdbErrorReason = 'corrupt' | 'unsupported' | 'truncated' | 'checksum' | 'limit';

export class RdbParseError extends Error {
  constructor(
    message: string,
    readonly reason: RdbErrorReason,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'RdbParseError';
  }
}
