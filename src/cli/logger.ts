import pino, { type Logger } from 'pino';

/** JSON lines on stdout. Secrets are redacted even if a future log line passes them by mistake. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'keyheat' },
    redact: {
      paths: ['req.headers["x-auth-token"]', 'req.headers.authorization', 'password', '*.password', 'token', '*.token', '*.sk'],
      censor: '[redacted]',
    },
  });
}
