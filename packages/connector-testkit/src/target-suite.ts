import { isDeepStrictEqual } from 'node:util';
import { ConnectorError, type ConnectorManifest, type DeployRequest } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { capabilitySuite, conformanceSuite, testConnectionSuite, titled } from './common-suites.js';
import { ConformanceHarness, type ConformanceOptions } from './conformance-harness.js';
import { describeError } from './findings.js';
import { createTestDeployRequest } from './test-pki.js';

export interface TargetConformanceOptions<Config = unknown> extends ConformanceOptions<Config> {
  /** Makes the n-th certificate to deploy (n from 1); default: a fresh leaf + key + chain from the testkit CA. */
  deployRequest?: (n: number) => Promise<DeployRequest>;
  hooks?: ConformanceOptions['hooks'] & {
    /** Makes the next deploy fail after it has started writing (e.g. the reload command exits 1). Enables the restore test. */
    failNextDeploy?: () => unknown | Promise<unknown>;
    /** Reads the target's state (files, API objects) so the suite can prove dryRun and failed deploys change nothing. */
    snapshot?: () => unknown | Promise<unknown>;
  };
  /** Whether deploy must refuse a key that does not match the certificate; default true. */
  rejectsMismatchedKey?: boolean;
}

/** The target conformance suite: deploy, idempotence, validation, restore on failure, dryRun, testConnection. */
export function testTarget<Config>(
  manifest: ConnectorManifest<'target'>,
  options: TargetConformanceOptions<Config>,
): void {
  const timeout = options.timeoutMs;
  const harness = new ConformanceHarness(manifest, options as ConformanceOptions);
  let made = 0;
  const nextRequest = () => {
    made++;
    return options.deployRequest
      ? options.deployRequest(made)
      : createTestDeployRequest({ commonName: `target-${made}.example.test` });
  };
  let deployed: DeployRequest | undefined;
  const ensureDeployed = async (): Promise<DeployRequest> => {
    if (deployed) return deployed;
    const request = await nextRequest();
    await (await harness.runtime()).deploy(request);
    deployed = request;
    return request;
  };
  const isValid = async (serial: string, fingerprintSha256?: string) =>
    (await (await harness.runtime()).validateDeployment({ serial, fingerprintSha256 })).valid;
  const snapshot = async () => (options.hooks?.snapshot ? await options.hooks.snapshot() : undefined);
  const rejectsMismatchedKey = options.rejectsMismatchedKey ?? true;
  const failNextDeploy = options.hooks?.failNextDeploy;

  conformanceSuite('target', harness, options.hooks, timeout, () => {
    describe('deploy', () => {
      it(
        'deploys a certificate (changed: true) and validateDeployment finds its serial',
        async () => {
          const request = await nextRequest();
          const result = await (await harness.runtime()).deploy(request);
          expect(result.changed, 'the first deploy of new bytes must report changed: true').toBe(true);
          expect(typeof result.detail, 'detail says what was done').toBe('string');
          deployed = request;
          const validation = await (await harness.runtime()).validateDeployment({
            serial: request.serial,
            fingerprintSha256: request.fingerprintSha256,
          });
          expect(validation.valid, `validateDeployment: ${validation.detail}`).toBe(true);
          if (validation.observedSerial !== undefined) expect(validation.observedSerial).toBe(request.serial);
        },
        timeout,
      );
      it(
        'is idempotent: the same bytes again report changed: false',
        async () => {
          const request = await ensureDeployed();
          const before = await snapshot();
          const again = await (await harness.runtime()).deploy(request);
          expect(again.changed, 'a second deploy of the same bytes must not write or reload').toBe(false);
          expect(isDeepStrictEqual(await snapshot(), before), 'the target state changed on a no-op deploy').toBe(true);
        },
        timeout,
      );
      it(
        'reports valid: false for a serial that is not deployed',
        async () => {
          await ensureDeployed();
          expect(await isValid('7e57c0ffee')).toBe(false);
        },
        timeout,
      );
      it(
        'replaces the deployment with a new certificate',
        async () => {
          const previous = await ensureDeployed();
          const request = await nextRequest();
          const result = await (await harness.runtime()).deploy(request);
          expect(result.changed).toBe(true);
          deployed = request;
          expect(await isValid(request.serial, request.fingerprintSha256), 'the new serial must be found').toBe(true);
          expect(await isValid(previous.serial, previous.fingerprintSha256), 'the replaced serial must be gone').toBe(
            false,
          );
        },
        timeout,
      );
      it.skipIf(!rejectsMismatchedKey)(
        titled(
          'refuses a key that does not match the certificate with a typed error and keeps the previous deployment',
          !rejectsMismatchedKey,
          'rejectsMismatchedKey is false',
        ),
        async () => {
          const current = await ensureDeployed();
          const other = await nextRequest();
          const before = await snapshot();
          const instance = await harness.instance();
          const error = await instance.deploy({ ...other, keyPem: current.keyPem }).then(
            () => undefined,
            (e: unknown) => e ?? new Error('rejected with nothing'),
          );
          expect(error, 'deploy accepted a private key that does not match the certificate').toBeDefined();
          expect(ConnectorError.isInstance(error), `expected a ConnectorError, got ${describeError(error)}`).toBe(true);
          expect(
            await isValid(current.serial, current.fingerprintSha256),
            'the previous certificate must still be deployed',
          ).toBe(true);
          expect(isDeepStrictEqual(await snapshot(), before), 'a refused deploy changed the target state').toBe(true);
        },
        timeout,
      );
    });

    describe.skipIf(!failNextDeploy)(titled('deploy failure', !failNextDeploy, 'no hooks.failNextDeploy given'), () => {
      it(
        'restores the previous certificate when a deploy step fails, with a typed error',
        async () => {
          const current = await ensureDeployed();
          const request = await nextRequest();
          const before = await snapshot();
          await failNextDeploy!();
          const instance = await harness.instance();
          const error = await instance.deploy(request).then(
            () => undefined,
            (e: unknown) => e ?? new Error('rejected with nothing'),
          );
          expect(error, 'deploy succeeded although hooks.failNextDeploy was armed').toBeDefined();
          expect(ConnectorError.isInstance(error), `expected a ConnectorError, got ${describeError(error)}`).toBe(true);
          expect(
            await isValid(current.serial, current.fingerprintSha256),
            'the previous certificate must be restored',
          ).toBe(true);
          expect(
            await isValid(request.serial, request.fingerprintSha256),
            'the failed certificate must not stay deployed',
          ).toBe(false);
          expect(
            isDeepStrictEqual(await snapshot(), before),
            'the target state after a failed deploy differs from before it',
          ).toBe(true);
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'dryRun',
      timeout,
    )(() => {
      it(
        'lists the steps a deploy would take and changes nothing',
        async () => {
          const current = await ensureDeployed();
          const request = await nextRequest();
          const before = await snapshot();
          const result = await (await harness.runtime()).dryRun(request);
          expect(Array.isArray(result.steps) && result.steps.length > 0, 'dryRun must list at least one step').toBe(
            true,
          );
          expect(result.steps.every((s) => typeof s === 'string')).toBe(true);
          expect(
            await isValid(current.serial, current.fingerprintSha256),
            'dryRun replaced the deployed certificate',
          ).toBe(true);
          expect(await isValid(request.serial, request.fingerprintSha256), 'dryRun deployed the certificate').toBe(
            false,
          );
          expect(isDeepStrictEqual(await snapshot(), before), 'dryRun changed the target state').toBe(true);
        },
        timeout,
      );
    });

    testConnectionSuite(harness, timeout);
  });
}
