import pino, { type Logger } from 'pino';

export type ServerLogger = Logger;

/** Structured JSON logs; request bodies and auth headers are never logged. */
export function createLogger(options: { level: string; destination?: pino.DestinationStream }): ServerLogger {
  return pino(
    {
      level: options.level,
      base: { service: 'certctl-server' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.api_key', '*.password', '*.key_pem'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
