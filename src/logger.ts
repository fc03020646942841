import { pino, type Logger } from 'pino';
import type { AriadneConfig } from './config.js';

/**
 * Structured JSON logs on stdout (one object per line), with secrets and credentials redacted wherever they appear
 * in a logged object. Set ARIADNE_LOG_LEVEL=debug for more, silent for none.
 */
export function createLogger(level: AriadneConfig['logLevel'], destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ariadne', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.secret',
          '*.secretAccessKey',
          '*.token',
          '*.totp',
          '*.masterKey',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
