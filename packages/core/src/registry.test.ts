import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConfigValidationError,
  ConnectorError,
  ConnectorUnavailableError,
  DeadlineExceededError,
  NoSuchConnectorError,
  UnsupportedOperationError,
  UnsupportedSpecificationError,
  VendorApiError,
} from './errors.js';
import type { IssueRequest, IssuerInstance } from './issuer.js';
import { defineIssuer, defineTarget } from './manifest.js';
import { createRegistry } from './registry.js';
import { secret } from './secret.js';
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

const configSchema = z.object({ url: z.url(), api_key: secret(z.string().min(4)) });

function makeIssuer(instance: () => IssuerInstance, capabilities = {}) {
  return defineIssuer({
    specificationVersion: 'v1',
    id: 'fake',
    displayName: 'Fake CA',
    version: '1.0.0',
    configSchema,
    capabilities,
    create: () => instance(),
  });
}

const config = { url: 'https://ca.example', api_key: 'sekrit-key-1' };

function setup() {
  const lines: LogLine[] = [];
  const logger = createRecordingLogger(lines);
  const registry = createRegistry({ logger, createContext: ({ logger: l }) => createFakeContext(l) });
  return { registry, lines };
}

afterEach(() => vi.useRealTimers());

describe('defineIssuer', () => {
  it('fills capability defaults so new flags never break old connectors', () => {
    const m = makeIssuer(() => ({ issue: async () => ({ status: 'pending', orderId: 'o' }) }), { revoke: true });
    expect(m.capabilities).toMatchObject({ revoke: true, crl: false, renewalInfo: false, asyncOrders: false });
    expect(m.specificationVersion).toBe('v1');
    expect(m.kind).toBe('issuer');
  });
});

describe('registry', () => {
  it('rejects a manifest for a specification version it does not implement', () => {
    const { registry } = setup();
    const m = { ...makeIssuer(() => ({}) as IssuerInstance), specificationVersion: 'v2' };
    expect(() => registry.register(m)).toThrowError(UnsupportedSpecificationError);
  });

  it('rejects something that is not a manifest with a readable reason', () => {
    const { registry } = setup();
    expect(() => registry.register({ specificationVersion: 'v1', kind: 'issuer', id: 'Bad_Id' })).toThrowError(
      /id: must be kebab-case/,
    );
    expect(() => registry.register(undefined)).toThrowError(ConfigValidationError);
  });

  it('reports an unknown connector as NoSuchConnectorError and an unavailable one with its reason', async () => {
    const { registry } = setup();
    await expect(registry.instantiate('issuer', 'nope', {}, { instanceId: 'x' })).rejects.toSatisfy(
      NoSuchConnectorError.isInstance,
    );
    registry.markUnavailable({ kind: 'issuer', id: 'broken', error: new Error('SyntaxError in dist/index.js') });
    expect(registry.list('issuer')).toEqual([
      expect.objectContaining({ id: 'broken', status: 'unavailable', error: 'SyntaxError in dist/index.js' }),
    ]);
    await expect(registry.instantiate('issuer', 'broken', {}, { instanceId: 'x' })).rejects.toSatisfy(
      ConnectorUnavailableError.isInstance,
    );
  });

  it('validates config before creating anything', async () => {
    const { registry } = setup();
    const create = vi.fn();
    registry.register(
      defineIssuer({ specificationVersion: 'v1', id: 'fake', displayName: 'Fake', version: '1', configSchema, create }),
    );
    await expect(registry.instantiate('issuer', 'fake', { url: 'nope' }, { instanceId: 'i1' })).rejects.toSatisfy(
      ConfigValidationError.isInstance,
    );
    expect(create).not.toHaveBeenCalled();
  });

  it('exports the config schema as JSON Schema', () => {
    const { registry } = setup();
    registry.register(makeIssuer(() => ({}) as IssuerInstance));
    expect(registry.configJsonSchema('issuer', 'fake')).toMatchObject({ type: 'object', required: ['url', 'api_key'] });
  });
});

describe('runtime wrapper', () => {
  it('creates and starts the instance once, however many calls race', async () => {
    const { registry } = setup();
    const start = vi.fn(async () => {});
    const create = vi.fn(() => ({ start, issue: async () => ({ status: 'pending' as const, orderId: 'o1' }) }));
    registry.register(
      defineIssuer({ specificationVersion: 'v1', id: 'fake', displayName: 'Fake', version: '1', configSchema, create }),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    expect(create).not.toHaveBeenCalled();
    await Promise.all([rt.issue(request), rt.issue(request), rt.issue(request)]);
    expect(create).toHaveBeenCalledTimes(1);
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('retries a failed initialisation on the next call', async () => {
    const { registry } = setup();
    let attempts = 0;
    registry.register(
      makeIssuer(() => {
        attempts += 1;
        if (attempts === 1) throw new Error('vendor down');
        return { issue: async () => ({ status: 'pending', orderId: 'o' }) };
      }),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    await expect(rt.issue(request)).rejects.toThrowError(/init failed: vendor down/);
    await expect(rt.issue(request)).resolves.toMatchObject({ status: 'pending' });
  });

  it('stops once, and refuses calls after stop', async () => {
    const { registry } = setup();
    const stop = vi.fn(async () => {});
    registry.register(makeIssuer(() => ({ stop, issue: async () => ({ status: 'pending', orderId: 'o' }) })));
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    await rt.issue(request);
    await Promise.all([rt.stop(), rt.stop()]);
    await registry.stopAll();
    expect(stop).toHaveBeenCalledTimes(1);
    await expect(rt.issue(request)).rejects.toSatisfy(ConnectorUnavailableError.isInstance);
  });

  it('passes an abort signal to the connector and fails the call at its deadline', async () => {
    const { registry } = setup();
    let seen: AbortSignal | undefined;
    registry.register(
      makeIssuer(() => ({
        issue: (req) => {
          seen = req.signal;
          return new Promise(() => {}); // a vendor that never answers
        },
      })),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1', timeoutsMs: { issue: 50 } });
    const error = await rt.issue(request).catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect((error as DeadlineExceededError).retryable).toBe(true);
    expect((error as Error).message).toContain('issue did not finish within 50 ms');
    expect(seen?.aborted).toBe(true);
  });

  it('aborts when the caller aborts', async () => {
    const { registry } = setup();
    registry.register(makeIssuer(() => ({ issue: () => new Promise(() => {}) })));
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    const controller = new AbortController();
    const pending = rt.issue({ ...request, signal: controller.signal });
    controller.abort(new Error('operator cancelled'));
    await expect(pending).rejects.toThrowError(/issue was aborted/);
  });

  it('fails at once for a caller signal already aborted, and leaves no listener on the signals it watched', async () => {
    const { registry } = setup();
    let calls = 0;
    registry.register(
      makeIssuer(() => ({
        issue: async () => {
          calls += 1;
          return { status: 'pending' as const, orderId: `o${calls}` };
        },
      })),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    const gone = new AbortController();
    gone.abort(new Error('already cancelled'));
    await expect(rt.issue({ ...request, signal: gone.signal })).rejects.toThrowError(/issue was aborted/);
    const caller = new AbortController();
    for (let i = 0; i < 20; i++) await rt.issue({ ...request, signal: caller.signal });
    expect(calls).toBe(20); // the cancelled call never reached the connector
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('normalises foreign errors, scrubbing secret config values from messages', async () => {
    const { registry, lines } = setup();
    registry.register(
      makeIssuer(() => ({
        issue: async () => {
          throw new Error('401 Unauthorized for key sekrit-key-1');
        },
      })),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    const error = await rt.issue(request).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('[certctl] [issuer-fake] issue failed: 401 Unauthorized for key [redacted]');
    expect(JSON.stringify(lines)).not.toContain('sekrit-key-1');
  });

  it('classifies network failures as retryable vendor errors', async () => {
    const { registry } = setup();
    registry.register(
      makeIssuer(() => ({
        issue: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
        },
      })),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    const error = await rt.issue(request).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(true);
  });

  it('keeps typed errors from the connector as they are, minus secrets', async () => {
    const { registry } = setup();
    registry.register(
      makeIssuer(() => ({
        issue: async () => {
          throw new VendorApiError({ connector: 'issuer-fake', message: 'rejected key sekrit-key-1', status: 403 });
        },
      })),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    const error = (await rt.issue(request).catch((e: unknown) => e)) as VendorApiError;
    expect(error.status).toBe(403);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('[certctl] [issuer-fake] rejected key [redacted]');
  });

  it('throws UnsupportedOperationError for a method the connector lacks, and renew falls back to issue', async () => {
    const { registry } = setup();
    const issue = vi.fn(async () => ({ status: 'pending' as const, orderId: 'o' }));
    registry.register(makeIssuer(() => ({ issue })));
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    await expect(rt.revoke({ serial: '01', reason: 'keyCompromise' })).rejects.toSatisfy(
      UnsupportedOperationError.isInstance,
    );
    await rt.renew(request);
    expect(issue).toHaveBeenCalledTimes(1);
    expect(await rt.supports('revoke')).toBe(false);
    expect(await rt.supports('renew')).toBe(true);
  });

  it('redacts private keys and secrets from what the connector logs through ctx.logger', async () => {
    const { registry, lines } = setup();
    registry.register(
      defineTarget({
        specificationVersion: 'v1',
        id: 'files',
        displayName: 'Files',
        version: '1',
        configSchema: z.object({ password: secret(z.string()) }),
        create: (_config, ctx) => ({
          deploy: async (req) => {
            ctx.logger.info({ keyPem: req.keyPem, note: 'pw is hunter22' }, 'deploying');
            return { changed: true, detail: 'ok' };
          },
          validateDeployment: async () => ({ valid: true, detail: 'ok' }),
        }),
      }),
    );
    const rt = await registry.instantiate('target', 'files', { password: 'hunter22' }, { instanceId: 't1' });
    await rt.deploy({
      certPem: 'c',
      chainPem: '',
      keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      serial: '01',
      fingerprintSha256: 'ff',
      metadata: {},
    });
    const logged = JSON.stringify(lines);
    expect(logged).toContain('deploying');
    expect(logged).not.toContain('BEGIN PRIVATE KEY');
    expect(logged).not.toContain('hunter22');
  });

  it('streams listExisting and wraps its errors', async () => {
    const { registry } = setup();
    registry.register(
      makeIssuer(
        () => ({
          issue: async () => ({ status: 'pending', orderId: 'o' }),
          async *listExisting() {
            yield { certificatePem: 'a', chainPem: [], metadata: {} };
            throw new Error('page 2 failed');
          },
        }),
        { listExisting: true },
      ),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, { instanceId: 'i1' });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of rt.listExisting()) seen.push(item.certificatePem);
      })(),
    ).rejects.toThrowError(/listExisting failed: page 2 failed/);
    expect(seen).toEqual(['a']);
  });

  it('fails a stream that hangs mid-way at its deadline', async () => {
    const { registry } = setup();
    registry.register(
      makeIssuer(
        () => ({
          issue: async () => ({ status: 'pending', orderId: 'o' }),
          async *listExisting() {
            yield { certificatePem: 'a', chainPem: [], metadata: {} };
            await new Promise(() => {}); // a vendor page that never arrives, signal ignored
          },
        }),
        { listExisting: true },
      ),
    );
    const rt = await registry.instantiate('issuer', 'fake', config, {
      instanceId: 'i1',
      timeoutsMs: { listExisting: 50 },
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const item of rt.listExisting()) seen.push(item.certificatePem);
    })().catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect(seen).toEqual(['a']);
  });
});
