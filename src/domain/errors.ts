/**
 * The error catalogue. Every error keyheat reports has a stable kind, an HTTP status and the
 * DCS error_code it maps to. docs/errors.md lists the same table; keep them in step.
 */
export interface ErrorSpec {
  readonly httpStatus: number;
  readonly dcsCode: string;
  /** DCS wording; `{0}` is replaced by the first parameter. */
  readonly message: string;
}

export const ERROR_CATALOGUE = {
  invalidParameter: { httpStatus: 400, dcsCode: 'DCS.4800', message: 'Invalid {0} in the request.' },
  emptyBody: { httpStatus: 400, dcsCode: 'DCS.4004', message: 'Empty request body.' },
  invalidJson: {
    httpStatus: 400,
    dcsCode: 'DCS.4005',
    message: 'The message body contains invalid characters or is not in JSON format.',
  },
  instanceNotRunning: { httpStatus: 400, dcsCode: 'DCS.4049', message: 'The instance status is not running.' },
  hotkeyTaskActive: { httpStatus: 400, dcsCode: 'DCS.4921', message: 'Instance hotkey analyze is running.' },
  hotkeyUnsupported: { httpStatus: 400, dcsCode: 'DCS.4922', message: 'Does not support hotkey analyze.' },
  hotkeyNotFound: { httpStatus: 400, dcsCode: 'DCS.4941', message: 'The hotkey id does not exist.' },
  bigkeyTaskActive: { httpStatus: 400, dcsCode: 'DCS.4918', message: 'Instance bigkey analyze is running.' },
  bigkeyUnsupported: { httpStatus: 400, dcsCode: 'DCS.4919', message: 'Does not support bigkey analyze.' },
  bigkeyNotFound: { httpStatus: 400, dcsCode: 'DCS.4942', message: 'The bigkey id does not exist.' },
  /** DCS's generic "job running": another expired key scan or offline analysis of the instance is waiting or running. */
  expireTaskActive: { httpStatus: 400, dcsCode: 'DCS.4017', message: 'This DCS instance job task is still running.' },
  expireUnsupported: { httpStatus: 400, dcsCode: 'DCS.4818', message: 'Do not support auto expire scan.' },
  /** `{0}`: the id's parameter name. */
  expireNotFound: { httpStatus: 400, dcsCode: 'DCS.4800', message: 'Invalid {0} in the request.' },
  expireFirstScanAt: { httpStatus: 400, dcsCode: 'DCS.4819', message: 'The first scan time must be a UTC time later than the current time.' },
  expireInterval: { httpStatus: 400, dcsCode: 'DCS.4820', message: 'The scan interval cannot be less than 0.' },
  expireTimeout: { httpStatus: 400, dcsCode: 'DCS.4821', message: 'The scan timeout must be at least twice the scan interval.' },
  expireScanKeysCount: { httpStatus: 400, dcsCode: 'DCS.4822', message: 'The number of keys scanned each time must range from 10 to 1000.' },
  offlineTaskActive: { httpStatus: 400, dcsCode: 'DCS.4017', message: 'This DCS instance job task is still running.' },
  offlineUnsupported: { httpStatus: 400, dcsCode: 'DCS.4026', message: 'This operation is not allowed when the DCS instance is in the current state.' },
  offlineNotFound: { httpStatus: 400, dcsCode: 'DCS.4800', message: 'Invalid {0} in the request.' },
  tokenInvalid: { httpStatus: 401, dcsCode: 'DCS.1001', message: 'Invalid token.' },
  tokenMissing: { httpStatus: 401, dcsCode: 'DCS.1003', message: 'No token in the request.' },
  projectMismatch: { httpStatus: 401, dcsCode: 'DCS.1004', message: 'Project ID does not match the token.' },
  signatureInvalid: {
    httpStatus: 401,
    dcsCode: 'APIG.0301',
    message: 'Incorrect IAM authentication information: verify aksk signature fail.',
  },
  readOnly: {
    httpStatus: 403,
    dcsCode: 'DCS.3002',
    message: 'This tenant has read permission only and cannot perform this operation.',
  },
  instanceNotFound: { httpStatus: 404, dcsCode: 'DCS.3022', message: 'This DCS instance does not exist.' },
  urlNotFound: { httpStatus: 404, dcsCode: 'DCS.4001', message: 'The requested URL does not exist.' },
  /** The request (headers and body) did not arrive in full within server.request_timeout_ms. */
  requestTimeout: { httpStatus: 408, dcsCode: 'DCS.4800', message: 'Invalid {0} in the request.' },
  /** The body is larger than server.max_body_bytes. */
  bodyTooLarge: { httpStatus: 413, dcsCode: 'DCS.4800', message: 'Invalid {0} in the request.' },
  /** The request line and headers exceed Node's header size limit (16 KiB). */
  headersTooLarge: { httpStatus: 431, dcsCode: 'DCS.4800', message: 'Invalid {0} in the request.' },
  methodNotAllowed: { httpStatus: 405, dcsCode: 'DCS.5001', message: 'This request method is not allowed.' },
  /** A project already runs server.max_preflights_per_project task creations at once (API Gateway's throttling code). */
  tooManyPreflights: { httpStatus: 429, dcsCode: 'APIG.0308', message: 'The throttling threshold has been reached.' },
  internal: { httpStatus: 500, dcsCode: 'DCS.5000', message: 'Internal service error.' },
  /** keyheat is shutting down and stopped the request's work on a Redis; retry elsewhere. */
  serviceStopping: { httpStatus: 503, dcsCode: 'DCS.5000', message: 'Internal service error.' },
  /** The database does not answer (GET /readyz): this process cannot serve the API now. */
  storeUnavailable: { httpStatus: 503, dcsCode: 'DCS.5000', message: 'Internal service error.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorKind = keyof typeof ERROR_CATALOGUE;

export interface KeyheatErrorOptions {
  /** Values for the `{0}` placeholders of the catalogue message. */
  readonly params?: readonly string[];
  /** Goes to `error_ext_msg`: a precise, user-facing reason. Never secrets or stack traces. */
  readonly detail?: string;
  readonly cause?: unknown;
}

export class KeyheatError extends Error {
  readonly kind: ErrorKind;
  readonly spec: ErrorSpec;
  readonly detail: string | undefined;

  constructor(kind: ErrorKind, options: KeyheatErrorOptions = {}) {
    const spec = ERROR_CATALOGUE[kind];
    const params = options.params ?? [];
    const message = spec.message.replace(/\{(\d+)\}/g, (_m, i: string) => params[Number(i)] ?? '');
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeyheatError';
    this.kind = kind;
    this.spec = spec;
    this.detail = options.detail;
  }
}

export function invalidParameter(name: string, detail?: string): KeyheatError {
  return new KeyheatError('invalidParameter', { params: [name], ...(detail === undefined ? {} : { detail }) });
}
