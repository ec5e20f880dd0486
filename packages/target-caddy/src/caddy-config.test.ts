import { ConfigValidationError, parseConfig } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { caddyConfigSchema, resolveFileSettings } from './caddy-config.js';

const parse = (raw: unknown) => parseConfig(caddyConfigSchema, raw, 'target-caddy');

describe('caddy target config', () => {
  it('defaults to api mode on the default admin address with the certctl tag', () => {
    const config = parse({});
    expect(config.mode).toBe('api');
    expect(config.admin_api).toBe('http://localhost:2019');
    expect(config.certificate_tag).toBe('certctl');
  });

  it('file mode defaults to the reference paths and caddy validate / caddy reload --force', () => {
    const settings = resolveFileSettings(parse({ mode: 'file' }));
    expect(settings.certPath).toBe('/etc/caddy/certs/site.crt');
    expect(settings.keyPath).toBe('/etc/caddy/certs/site.key');
    expect(settings.validate?.argv).toEqual(['caddy', 'validate', '--config', '/etc/caddy/Caddyfile']);
    expect(settings.reload.argv).toEqual(['caddy', 'reload', '--config', '/etc/caddy/Caddyfile', '--force']);
    expect(resolveFileSettings(parse({ mode: 'file', validate_command: '' })).validate).toBeUndefined();
  });

  it.each([
    [{ cert_file: 'sub/site.crt' }, 'cert_file'],
    [{ key_file: '..' }, 'key_file'],
    [{ validate_command: 'caddy validate | grep ok' }, 'validate_command'],
    [{ admin_api: 'not a url' }, 'admin_api'],
    [{ request_timeout_seconds: 0 }, 'request_timeout_seconds'],
  ])('refuses %j naming %s', (raw, path) => {
    try {
      parse(raw);
      expect.unreachable('the config was accepted');
    } catch (error) {
      expect(ConfigValidationError.isInstance(error)).toBe(true);
      expect((error as ConfigValidationError).issues.map((i) => i.path)).toContain(path);
    }
  });
});
