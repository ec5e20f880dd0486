import { ConnectorError, type ConnectorManifest, type DiscoveredCertificate } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { checkDiscoveredCertificate } from './check-certificates.js';
import { conformanceSuite, testConnectionSuite, titled } from './common-suites.js';
import { ConformanceHarness, type ConformanceOptions } from './conformance-harness.js';
import { assertNoFindings, describeError } from './findings.js';

export interface DiscoveryConformanceOptions<Config = unknown> extends ConformanceOptions<Config> {
  expect?: {
    /** Fewest items the scan must yield (seed the fake accordingly); default 1. */
    minItems?: number;
    /** Locations that must be among the items (a function when they depend on what beforeAll made). */
    locations?: readonly string[] | (() => readonly string[]);
  };
  /** Stop reading after this many items; default 1000. */
  maxItems?: number;
}

/** The discovery conformance suite: scan yields located certificates and never a private key; abort is honoured. */
export function testDiscoverySource<Config>(
  manifest: ConnectorManifest<'discovery'>,
  options: DiscoveryConformanceOptions<Config>,
): void {
  const timeout = options.timeoutMs;
  const harness = new ConformanceHarness(manifest, options as ConformanceOptions);
  let scanned: Promise<DiscoveredCertificate[]> | undefined;
  const scanOnce = () => {
    scanned ??= (async () => {
      const items: DiscoveredCertificate[] = [];
      for await (const item of (await harness.runtime()).scan(new AbortController().signal)) {
        items.push(item);
        if (items.length >= (options.maxItems ?? 1000)) break;
      }
      return items;
    })();
    return scanned;
  };

  conformanceSuite('discovery', harness, options.hooks, timeout, () => {
    describe('scan', () => {
      it(
        'yields certificates (DER or PEM) with a location and string metadata, never a private key',
        async () => {
          const items = await scanOnce();
          expect(items.length, 'scan yielded fewer items than expect.minItems').toBeGreaterThanOrEqual(
            options.expect?.minItems ?? 1,
          );
          assertNoFindings(
            items.flatMap((item) => checkDiscoveredCertificate(item)),
            'scan',
          );
        },
        timeout,
      );
      it.skipIf(!options.expect?.locations)(
        titled('finds every expected location', !options.expect?.locations, 'no expect.locations given'),
        async () => {
          const found = new Set((await scanOnce()).map((i) => i.location));
          const expected = options.expect?.locations;
          const missing = (typeof expected === 'function' ? expected() : (expected ?? [])).filter((l) => !found.has(l));
          expect(missing, 'locations not found by scan').toEqual([]);
        },
        timeout,
      );
      it(
        'yields nothing, or fails with a typed error, when its signal is already aborted',
        async () => {
          const instance = await harness.instance();
          const controller = new AbortController();
          controller.abort(new Error('conformance: aborted before scan'));
          const items: DiscoveredCertificate[] = [];
          try {
            for await (const item of instance.scan(controller.signal)) {
              items.push(item);
              if (items.length > 0) break;
            }
          } catch (error) {
            const typed =
              ConnectorError.isInstance(error) ||
              error === controller.signal.reason ||
              (error as Error)?.name === 'AbortError';
            expect(
              typed,
              `an aborted scan should throw the abort reason or a ConnectorError, got ${describeError(error)}`,
            ).toBe(true);
            return;
          }
          expect(items, 'scan ignored an aborted signal').toEqual([]);
        },
        timeout,
      );
    });

    testConnectionSuite(harness, timeout);
  });
}
