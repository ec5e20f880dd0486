import { describe, expect, it } from 'vitest';
import { createConsoleJsonLogger } from './console-json-logger.js';

describe('createConsoleJsonLogger', () => {
  it('writes pino-shaped JSON lines with bindings from child loggers', () => {
    const lines: string[] = [];
    const logger = createConsoleJsonLogger({
      write: (l) => lines.push(l),
      now: () => 1000,
      bindings: { connector: 'issuer-acme' },
    });
    logger.child({ orderId: 'o1' }).info({ attempt: 2 }, 'order placed');
    logger.warn('plain message');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 30, time: 1000, connector: 'issuer-acme', orderId: 'o1', attempt: 2, msg: 'order placed' },
      { level: 40, time: 1000, connector: 'issuer-acme', msg: 'plain message' },
    ]);
  });

  it('drops lines below the level', () => {
    const lines: string[] = [];
    const logger = createConsoleJsonLogger({ write: (l) => lines.push(l), level: 'warn' });
    logger.debug('no');
    logger.info('no');
    logger.error('yes');
    expect(lines).toHaveLength(1);
  });

  it('redacts secret-looking fields at any depth and renders errors', () => {
    const lines: string[] = [];
    const logger = createConsoleJsonLogger({ write: (l) => lines.push(l), now: () => 0 });
    logger.info({
      config: { api_key: 'k1', hmac: { password: 'p' }, url: 'https://x' },
      authorization: 'Bearer t',
      error: new Error('boom'),
    });
    const line = JSON.parse(lines[0]!);
    expect(line.config).toEqual({ api_key: '[redacted]', hmac: { password: '[redacted]' }, url: 'https://x' });
    expect(line.authorization).toBe('[redacted]');
    expect(line.error).toEqual({ type: 'Error', message: 'boom' });
    expect(lines[0]).not.toContain('k1');
  });
});
