import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { MalformedInputError } from './errors.js';
import type { IssueRequest } from './issuer.js';
import { defineIssuer, defineTarget } from './manifest.js';
import { createRegistry } from './registry.js';
import { createFakeContext, createRecordingLogger, type LogLine } from './test-support/fake-context.js';

const request: IssueRequest = {
  csrPem: '-----BEGIN CERTIFICATE REQUEST-----\n...\n-----END CERTIFICATE REQUEST-----\n',
  commonName: 'a.example',
  sans: { dns: ['a.example'], ip: [], email: [], uri: [] },
  extKeyUsages: [],
  mustStaple: false,
  requestId: 'req-1',
  metadata: {},
};

function setup() {
  const lines: LogLine[] = [];
  return createRegistry({
    logger: createRecordingLogger(lines),
    createContext: ({ logger }) => createFakeContext(logger),
  });
}

describe('the runtime checks requests against the contract types before a connector sees them', () => {
  it('a missing sans.ip is a MalformedInputError naming the field; the connector is not called', async () => {
    const registry = setup();
    const issue = vi.fn(async (r: IssueRequest) => ({ status: 'pending' as const, orderId: String(r.sans.ip.length) }));
    registry.register(
      defineIssuer({
        specificationVersion: 'v1',
        id: 'strict',
        displayName: 'Strict',
        version: '1',
        configSchema: z.object({}),
        create: () => ({ issue }),
      }),
    );
    const runtime = await registry.instantiate('issuer', 'strict', {}, { instanceId: 'i1' });
    const { ip: _ip, ...sans } = request.sans;
    const broken = { ...request, sans } as unknown as IssueRequest;
    const error = await runtime.issue(broken).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('[certctl] [issuer-strict]');
    expect((error as Error).message).toContain('request.sans.ip');
    expect((error as Error).message).not.toContain('Cannot read properties');
    expect(issue).not.toHaveBeenCalled();
    // renew falls back to issue and is checked the same way; a good request goes through.
    await expect(runtime.renew(broken)).rejects.toThrow(/request\.sans\.ip/);
    expect(await runtime.issue(request)).toEqual({ status: 'pending', orderId: '0' });
  });

  it('a deploy without its key names keyPem; a revoke with an unknown reason names reason', async () => {
    const registry = setup();
    registry.register(
      defineTarget({
        specificationVersion: 'v1',
        id: 'files',
        displayName: 'Files',
        version: '1',
        configSchema: z.object({}),
        create: () => ({
          deploy: async () => ({ changed: true, detail: 'written' }),
          validateDeployment: async () => ({ valid: true, detail: '' }),
        }),
      }),
    );
    const target = await registry.instantiate('target', 'files', {}, { instanceId: 't1' });
    await expect(
      target.deploy({ certPem: 'c', chainPem: '', serial: '01', fingerprintSha256: 'ab', metadata: {} } as never),
    ).rejects.toThrow(/request\.keyPem/);
    registry.register(
      defineIssuer({
        specificationVersion: 'v1',
        id: 'revoker',
        displayName: 'Revoker',
        version: '1',
        configSchema: z.object({}),
        create: () => ({ issue: async () => ({ status: 'pending', orderId: 'o' }), revoke: async () => {} }),
      }),
    );
    const issuer = await registry.instantiate('issuer', 'revoker', {}, { instanceId: 'r1' });
    await expect(issuer.revoke({ serial: '01', reason: 'notAReason' as never })).rejects.toThrow(/request\.reason/);
    await expect(issuer.revoke({ serial: '01', reason: 'keyCompromise' })).resolves.toBeUndefined();
  });
});
