import { type ConnectorKind, type ConnectorManifest, createRegistry, UnsupportedOperationError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from './check-config.js';
import { checkLifecycle } from './check-lifecycle.js';
import { CAPABILITY_METHODS, checkCapabilityMethods, checkManifest } from './check-manifest.js';
import type { ConformanceHarness } from './conformance-harness.js';
import { assertNoFindings, describeError, findingsFor } from './findings.js';

const IDENTITY_RULES = [
  'manifest',
  'manifest.kind',
  'manifest.id',
  'manifest.displayName',
  'manifest.version',
  'manifest.specificationVersion',
  'manifest.create',
];

/** Manifest shape: identity, capabilities, config schema, env mapping; and the core registry accepts it. */
export function manifestSuite<K extends ConnectorKind>(manifest: ConnectorManifest<K>, kind: K): void {
  const findings = () => checkManifest(manifest, { kind });
  it(`is ${kind === 'issuer' ? 'an' : 'a'} ${kind} manifest with a kebab-case id, a semver version and specificationVersion v1`, () => {
    assertNoFindings(
      findings().filter((f) => IDENTITY_RULES.includes(f.rule)),
      'manifest',
    );
  });
  it('declares only known capability flags, each true or false', () => {
    assertNoFindings(findingsFor(findings(), 'manifest.capabilities'), 'capabilities');
  });
  it('has a config schema that exports to JSON Schema, with every credential marked secret()', () => {
    assertNoFindings(findingsFor(findings(), 'manifest.configSchema', 'manifest.secrets'), 'config schema');
  });
  it('maps only CERTCTL_* variable names, each onto a real config key', () => {
    assertNoFindings(findingsFor(findings(), 'manifest.env'), 'env mapping');
  });
  it('is accepted by the core registry', () => {
    createRegistry({ createContext: () => ({}) as never }).register(manifest);
  });
}

/** Config handling, lifecycle through the runtime, and methods against declared capabilities. */
export function instanceSuites<K extends ConnectorKind>(harness: ConformanceHarness<K>, timeout?: number): void {
  it('accepts the suite config, redacts its secret fields and rejects invalid configs naming the path', () => {
    assertNoFindings(
      checkConfig(harness.manifest, { config: harness.config, invalidConfigs: harness.options.invalidConfigs }),
      'config',
    );
  });
  it(
    'initialises once however many first calls race, stops idempotently and refuses calls after stop',
    async () => {
      assertNoFindings(
        await checkLifecycle(harness.manifest as never, { config: harness.config, context: harness.ctx }),
        'lifecycle',
      );
    },
    timeout,
  );
  it(
    'implements every method its capabilities declare and no method they deny',
    async () => {
      assertNoFindings(checkCapabilityMethods(harness.manifest, await harness.instance()), 'capabilities');
    },
    timeout,
  );
}

/** `name`, or `name (skipped: reason)` when `skip`, so the report says why a suite did not run. */
export function titled(name: string, skip: boolean, reason: string): string {
  return skip ? `${name} (skipped: ${reason})` : name;
}

/** What calling `method` through the runtime throws (undefined when it succeeds); streams are iterated. */
async function failureOf(runtime: Record<string, unknown>, method: string): Promise<unknown> {
  try {
    const result = (runtime[method] as (...args: unknown[]) => unknown)();
    if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      for await (const _ of result as AsyncIterable<unknown>) break;
    } else await result;
    return undefined;
  } catch (error) {
    return error ?? new Error('rejected with nothing');
  }
}

/**
 * One block per capability flag. Declared: `body`, the capability's behaviour. Not declared: a test
 * that the runtime refuses the capability's method with UnsupportedOperationError, which is what
 * the apps rely on to fall back (a CRL the server builds itself, no revoke at the CA, ...).
 */
export function capabilitySuite<K extends ConnectorKind>(
  harness: ConformanceHarness<K>,
  flag: string,
  timeout?: number,
): (body: () => void) => void {
  return (body) => capabilityBlock(harness, flag, timeout, body);
}

function capabilityBlock<K extends ConnectorKind>(
  harness: ConformanceHarness<K>,
  flag: string,
  timeout: number | undefined,
  body: () => void,
): void {
  const declared = (harness.manifest.capabilities as unknown as Record<string, boolean>)[flag] === true;
  if (declared) {
    describe(flag, body);
    return;
  }
  const method = (CAPABILITY_METHODS[harness.manifest.kind] as Readonly<Record<string, string>>)[flag];
  if (!method)
    throw new Error(`capabilitySuite: ${harness.manifest.kind} capability "${flag}" has no method of its own`);
  describe(`${flag} (not declared)`, () => {
    it(
      `the runtime reports no ${method}() and refuses a call with UnsupportedOperationError`,
      async () => {
        const runtime = await harness.runtime();
        expect(await runtime.supports(method), `supports("${method}") must be false`).toBe(false);
        const error = await failureOf(runtime as unknown as Record<string, unknown>, method);
        expect(error, `${method}() succeeded although capabilities.${flag} is false`).toBeDefined();
        expect(
          UnsupportedOperationError.isInstance(error),
          `expected UnsupportedOperationError, got ${describeError(error)}`,
        ).toBe(true);
      },
      timeout,
    );
  });
}

/**
 * The outer block every conformance suite shares: the author's hooks around the harness, then the
 * manifest and instance suites; `body` adds the kind's own suites.
 */
export function conformanceSuite<K extends ConnectorKind>(
  kind: K,
  harness: ConformanceHarness<K>,
  hooks: { beforeAll?: () => unknown; afterAll?: () => unknown } | undefined,
  timeout: number | undefined,
  body: () => void,
): void {
  describe(`${kind} ${harness.manifest.id}: conformance (@certctl/connector-testkit)`, () => {
    beforeAll(async () => {
      await hooks?.beforeAll?.();
      await harness.setup();
    });
    afterAll(async () => {
      await harness.teardown();
      await hooks?.afterAll?.();
    });
    describe('manifest', () => manifestSuite(harness.manifest, kind));
    describe('instance', () => instanceSuites(harness, timeout));
    body();
  });
}

/** `testConnection` when declared: an ok result with a detail that tells the operator what was checked. */
export function testConnectionSuite<K extends ConnectorKind>(harness: ConformanceHarness<K>, timeout?: number): void {
  capabilitySuite(
    harness,
    'testConnection',
    timeout,
  )(() => {
    it(
      'reports ok with a detail for the operator',
      async () => {
        // Every kind's runtime has testConnection; the generic K cannot say so.
        const runtime = (await harness.runtime()) as unknown as {
          testConnection(): Promise<{ ok: boolean; detail?: string }>;
        };
        const result = await runtime.testConnection();
        expect(result.ok).toBe(true);
        expect(typeof result.detail === 'string' && result.detail.length > 0, 'detail must say what was checked').toBe(
          true,
        );
      },
      timeout,
    );
  });
}
