import { describe, expect, it } from 'vitest';
import { postDeployVerifySchema, resolvePostDeployVerify } from './post-deploy-verify.js';

describe('post_deploy_verify', () => {
  it('parses host:port (IPv6 in brackets) into probe settings, with defaults', () => {
    expect(
      resolvePostDeployVerify(postDeployVerifySchema.parse({ endpoint: '[::1]:8443', server_name: 'a.test' })),
    ).toEqual({ host: '::1', port: 8443, servername: 'a.test', withinMs: 10_000 });
    expect(
      resolvePostDeployVerify(postDeployVerifySchema.parse({ endpoint: 'mail.example.com:25', timeout_seconds: 3 })),
    ).toEqual({ host: 'mail.example.com', port: 25, servername: undefined, withinMs: 3000 });
  });

  it('is off when absent or disabled, and refuses a bad endpoint or an unknown key', () => {
    expect(resolvePostDeployVerify(undefined)).toBeUndefined();
    expect(resolvePostDeployVerify(postDeployVerifySchema.parse({ endpoint: 'a:1', enabled: false }))).toBeUndefined();
    expect(postDeployVerifySchema.safeParse({ endpoint: 'no-port' }).success).toBe(false);
    expect(postDeployVerifySchema.safeParse({ endpoint: 'a;b:1' }).success).toBe(false);
    expect(postDeployVerifySchema.safeParse({ endpoint: 'a:1', extra: true }).success).toBe(false);
  });
});
