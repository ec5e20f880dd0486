import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext, createTestDeployRequest, withTempDir } from '@certctl/connector-testkit';
import { ConfigValidationError, parseConfig } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { postfixConfigSchema, resolveMailSettings } from './postfix-config.js';
import { createPostfixTarget } from './postfix-target.js';

const parse = (raw: unknown) => parseConfig(postfixConfigSchema, raw, 'target-postfix');

describe('postfix target config', () => {
  it('applies the reference defaults of postfix mode when nothing is set', () => {
    const settings = resolveMailSettings(parse({}));
    expect(settings.mode).toBe('postfix');
    expect(settings.certPath).toBe('/etc/postfix/certs/cert.pem');
    expect(settings.keyPath).toBe('/etc/postfix/certs/key.pem');
    expect(settings.chainPath).toBeUndefined();
    expect(settings.validate?.argv).toEqual(['postfix', 'check']);
    expect(settings.reload.argv).toEqual(['postfix', 'reload']);
  });

  it('applies the reference defaults of dovecot mode', () => {
    const settings = resolveMailSettings(parse({ mode: 'dovecot' }));
    expect(settings.certPath).toBe('/etc/dovecot/certs/cert.pem');
    expect(settings.keyPath).toBe('/etc/dovecot/certs/key.pem');
    expect(settings.validate?.argv).toEqual(['doveconf', '-n']);
    expect(settings.reload.argv).toEqual(['doveadm', 'reload']);
  });

  it('skips validation when validate_command is empty and splits quoted commands without a shell', () => {
    const settings = resolveMailSettings(
      parse({ validate_command: '', reload_command: "/usr/local/bin/mail-reload --reason 'new cert'" }),
    );
    expect(settings.validate).toBeUndefined();
    expect(settings.reload.argv).toEqual(['/usr/local/bin/mail-reload', '--reason', 'new cert']);
  });

  it.each([
    [{ reload_command: 'postfix reload && curl http://evil' }, 'reload_command'],
    [{ validate_command: 'postfix check | tee /tmp/x' }, 'validate_command'],
    [{ reload_command: '' }, 'reload_command'],
    [{ chain_path: '/etc/postfix/certs/key.pem' }, 'chain_path'],
    [{ cert_path: '/etc/x\0' }, 'cert_path'],
    [{ unknown_key: 1 }, ''],
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

describe('postfix target files', () => {
  it('writes the leaf alone to cert_path and the chain to chain_path when chain_path is set', async () => {
    await withTempDir(async (dir) => {
      const ctx = await createTestContext();
      const target = createPostfixTarget(
        parse({
          cert_path: join(dir, 'cert.pem'),
          key_path: join(dir, 'key.pem'),
          chain_path: join(dir, 'chain.pem'),
          validate_command: '/bin/true',
          reload_command: '/bin/true',
        }),
        ctx,
      );
      const request = await createTestDeployRequest({ commonName: 'chain.example.test' });
      const result = await target.deploy(request);
      expect(result.changed).toBe(true);
      expect(result.detail).toContain('"/bin/true" passed');
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      expect(cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
      expect(statSync(join(dir, 'chain.pem')).mode & 0o777).toBe(0o644);
      expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
      const verified = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'chain.pem'), join(dir, 'cert.pem')]);
      expect(verified.toString()).toContain(': OK');
      const pub = (args: string[]) => execFileSync('openssl', args).toString();
      expect(pub(['pkey', '-in', join(dir, 'key.pem'), '-pubout'])).toBe(
        pub(['x509', '-in', join(dir, 'cert.pem'), '-noout', '-pubkey']),
      );
      const dry = await target.dryRun(request);
      expect(dry.steps.at(-1)).toMatch(/nothing changes/);
      await ctx.cleanup();
    });
  });
});
