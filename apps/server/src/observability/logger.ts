import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type ServerLogger = Logger;
export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  level: string;
  /** `text`: one coloured line per event for people; `json`: one object per line for collectors. Default: text on a terminal. */
  format?: LogFormat;
  /** Where lines go (default stderr, so stdout carries only the start-up banner). */
  destination?: pino.DestinationStream;
  /** Colour in `text` (default: when the destination is a terminal). */
  colorize?: boolean;
}

/** pino-pretty writes to a stream; a test's plain `{ write }` collector is wrapped in one. */
function asWritable(destination: pino.DestinationStream): Writable {
  if (destination instanceof Writable) return destination;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      destination.write(chunk.toString());
      done();
    },
  });
}

/** Logs as JSON or readable text; request bodies and auth headers are never logged in either. */
export function createLogger(options: LoggerOptions): ServerLogger {
  const terminal = !options.destination && process.stderr.isTTY === true;
  const format = options.format ?? (terminal ? 'text' : 'json');
  const destination =
    format === 'text'
      ? pretty({
          colorize: options.colorize ?? terminal,
          sync: true,
          destination: options.destination ? asWritable(options.destination) : 2,
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
          ignore: 'pid,hostname,service',
        })
      : (options.destination ?? pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level: options.level,
      base: { service: 'certctl-server' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.api_key', '*.password', '*.key_pem'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
