import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The service's structured logger (JSON lines on stdout). Authorization headers and any
 * field named key/secret are redacted wherever they appear, so a key never reaches a log.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'bursar' },
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        '*.authorization',
        'key',
        '*.key',
        'secret',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
