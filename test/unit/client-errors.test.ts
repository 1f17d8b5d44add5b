/** The client's exit codes are `keyheat scan`'s for the same failure, read back from what the API says. */
import { describe, expect, it } from 'vitest';
import { ApiError, describeApiError, exitCodeOf, exitCodeOfFailureText } from '../../src/cli/client/client-errors.js';
import { describeFailure, FAILURE_MAP, failureKindOf, SCAN_EXIT } from '../../src/domain/failure-map.js';
import { RedisFailure, type RedisFailureKind } from '../../src/domain/redis-failure.js';

const apiError = (status: number, code: string, detail: string | null = null, requestId: string | null = null): ApiError =>
  new ApiError(status, { error_code: code, error_msg: 'message', error_ext_msg: detail }, requestId);

describe('failureKindOf', () => {
  it('reads back the kind of every described failure, and nothing from other text', () => {
    for (const kind of Object.keys(FAILURE_MAP) as RedisFailureKind[]) {
      const text = describeFailure(new RedisFailure(kind, '10.0.0.5:6379', '10.0.0.5:6379 did something'));
      expect(failureKindOf(text)).toBe(kind);
      expect(exitCodeOfFailureText(text)).toBe(FAILURE_MAP[kind].exitCode);
    }
    expect(failureKindOf('internal error during the analysis (see the keyheat log)')).toBeNull();
    expect(exitCodeOfFailureText('the analysis was interrupted 3 times (keyheat stopped while it ran); giving up')).toBe(SCAN_EXIT.failure);
    expect(exitCodeOfFailureText(undefined)).toBe(SCAN_EXIT.failure);
  });
});

describe('exitCodeOf an API error', () => {
  it.each([
    ['a refused token', apiError(401, 'DCS.1001'), SCAN_EXIT.unreachable],
    ['a refused signature', apiError(401, 'APIG.0301'), SCAN_EXIT.unreachable],
    ['a Redis that cannot be analysed', apiError(400, 'DCS.4922', 'maxmemory-policy allkeys-lru'), SCAN_EXIT.unsupported],
    ['a Redis that cannot be reached at task creation', apiError(400, 'DCS.4049', 'connecting to 10.0.0.5:6379 failed (ECONNREFUSED)'), SCAN_EXIT.unreachable],
    ['a registration the Redis refused the password of', apiError(400, 'DCS.4800', 'Redis refused the credentials: 10.0.0.5:6379 answered AUTH with WRONGPASS'), SCAN_EXIT.unreachable],
    ['a registration of a replica', apiError(400, 'DCS.4800', 'the analysis is not supported here: 10.0.0.5:6379 is a replica'), SCAN_EXIT.unsupported],
    ['an invalid parameter', apiError(400, 'DCS.4800', 'limit must be <= 1000'), SCAN_EXIT.failure],
    ['a read-only token', apiError(403, 'DCS.3002'), SCAN_EXIT.failure],
    ['an unknown instance', apiError(404, 'DCS.3022'), SCAN_EXIT.failure],
    ['an internal error', apiError(500, 'DCS.5000'), SCAN_EXIT.failure],
    ['a keyheat shutting down', apiError(503, 'DCS.5000', 'keyheat is shutting down; try again on another keyheat process'), SCAN_EXIT.unreachable],
  ])('%s', (_what, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});

describe('describeApiError', () => {
  it('prints the code, the message and the reason, escaping what the server sent', () => {
    const text = describeApiError(new ApiError(400, { error_code: 'DCS.4922', error_msg: 'Does not support hotkey analyze.', error_ext_msg: 'policy \x1b[31mred\u202e' }, null));
    expect(text).toBe('DCS.4922: Does not support hotkey analyze.\n  policy \\x1b[31mred\\u202e');
  });

  it('names the request id of an internal error, where the server logged its details', () => {
    expect(describeApiError(apiError(500, 'DCS.5000', null, 'req-7'))).toMatch(/X-Request-Id req-7/);
    expect(describeApiError(apiError(401, 'DCS.1001'))).toMatch(/KEYHEAT_TOKEN/);
  });
});
