import {
  type Clock,
  ConnectorError,
  type ConnectorManifest,
  type IssuedCertificate,
  type IssueRequest,
  type IssueResult,
  type OrderResult,
  type RevocationReason,
} from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { checkChainsTo, checkCrl, checkIssuedCertificate, checkOcspResponse } from './check-certificates.js';
import { capabilitySuite, conformanceSuite, testConnectionSuite } from './common-suites.js';
import { ConformanceHarness, type ConformanceOptions } from './conformance-harness.js';
import { assertNoFindings, describeError, type Finding, FindingList } from './findings.js';
import { type CsrFactory, createTestCsr, issueRequestFor, type TestCsr, type TestSans } from './test-pki.js';

export interface IssuerConformanceOptions<Config = unknown> extends ConformanceOptions<Config> {
  /** Makes the key + CSR for each request; default: a fresh ECDSA P-256 key via @certctl/pki. */
  csr?: CsrFactory;
  /** What the suite asks for. Defaults: `conformance.example.test` with a `www.` SAN, 30 days. */
  request?: {
    commonName?: string;
    sans?: TestSans;
    /** Set to `null` to request no upper bound. */
    maxTtlSeconds?: number | null;
    profile?: string;
    extKeyUsages?: string[];
  };
  /** How pending orders are followed through getOrder. */
  polling?: {
    /** Default 30. */
    maxPolls?: number;
    /** Wait between polls when the CA gives no Retry-After; default 1000 ms. */
    intervalMs?: number;
    /** Longest wait honoured from a Retry-After; default 5000 ms. */
    maxDelayMs?: number;
    /** Default: the context's clock (the test context's clock sleeps instantly). */
    clock?: Clock;
  };
  /** Reason used for the revoke test; default `superseded`. */
  revocationReason?: RevocationReason;
}

const MALFORMED_CSR = '-----BEGIN CERTIFICATE REQUEST-----\nTUFMRk9STUVEIENTUg==\n-----END CERTIFICATE REQUEST-----\n';

/**
 * Follows a pending order through getOrder until it is issued, with a bounded number of polls.
 * Returns the issued certificate or the findings explaining why there is none.
 */
export async function waitForIssued(
  first: IssueResult,
  getOrder: ((orderId: string) => Promise<OrderResult>) | undefined,
  options: { asyncOrders: boolean; clock: Clock; maxPolls?: number; intervalMs?: number; maxDelayMs?: number },
): Promise<{ issued?: IssuedCertificate; findings: Finding[]; polls: number }> {
  const f = new FindingList();
  let current: OrderResult = first;
  let polls = 0;
  if (current?.status === 'pending') {
    if (
      !f.check(
        options.asyncOrders,
        'issue.pending',
        `issue returned a pending order (${current.orderId}) but capabilities.asyncOrders is false`,
      )
    ) {
      return { findings: f.items, polls };
    }
    if (!f.check(getOrder, 'issue.pending', 'issue returned a pending order but the connector has no getOrder()'))
      return { findings: f.items, polls };
  }
  const maxPolls = options.maxPolls ?? 30;
  while (current?.status === 'pending') {
    if (polls >= maxPolls) {
      f.add(
        'issue.pending',
        `order ${current.orderId} was still pending after ${maxPolls} getOrder polls (${current.detail ?? 'no detail'})`,
      );
      return { findings: f.items, polls };
    }
    const delay =
      current.retryAfterSeconds !== undefined
        ? Math.min(current.retryAfterSeconds * 1000, options.maxDelayMs ?? 5000)
        : (options.intervalMs ?? 1000);
    await options.clock.sleep(delay);
    polls++;
    current = await getOrder!(current.orderId);
  }
  if (current?.status === 'failed') {
    f.add('issue.failed', `order ${current.orderId} failed: ${current.reason}`);
    return { findings: f.items, polls };
  }
  if (
    !f.check(
      current?.status === 'issued',
      'issue.status',
      `expected an issued certificate or a pending order, got ${JSON.stringify((current as { status?: unknown })?.status)}`,
    )
  ) {
    return { findings: f.items, polls };
  }
  return { issued: current as IssuedCertificate, findings: f.items, polls };
}

/**
 * The issuer conformance suite: manifest, config, lifecycle, capabilities, then one block per
 * capability (for one the manifest does not declare: that the runtime refuses its method).
 */
export function testIssuer<Config>(
  manifest: ConnectorManifest<'issuer'>,
  options: IssuerConformanceOptions<Config>,
): void {
  const caps = manifest.capabilities;
  const timeout = options.timeoutMs;
  const harness = new ConformanceHarness(manifest, options as ConformanceOptions);
  const makeCsr: CsrFactory = options.csr ?? createTestCsr;
  const maxTtlSeconds =
    options.request?.maxTtlSeconds === null ? undefined : (options.request?.maxTtlSeconds ?? 30 * 86_400);

  const requestFor = (csr: TestCsr, overrides: Partial<IssueRequest> = {}): IssueRequest =>
    issueRequestFor(csr, {
      maxTtlSeconds,
      profile: options.request?.profile,
      extKeyUsages: options.request?.extKeyUsages ?? ['serverAuth'],
      ...overrides,
    });
  const newCsr = () => makeCsr({ commonName: options.request?.commonName, sans: options.request?.sans });

  /** Issues through the runtime and follows pending orders; asserts the result on the way. */
  const issueChecked = async (overrides: Partial<IssueRequest> = {}, via: 'issue' | 'renew' = 'issue') => {
    const runtime = await harness.runtime();
    const csr = await newCsr();
    const request = requestFor(csr, overrides);
    const first = await runtime[via](request);
    const clock = options.polling?.clock ?? harness.ctx.clock;
    const waited = await waitForIssued(first, (id) => runtime.getOrder(id), {
      asyncOrders: caps.asyncOrders,
      clock,
      ...options.polling,
    });
    assertNoFindings(waited.findings, via);
    const findings = checkIssuedCertificate(waited.issued, {
      request,
      publicKeySpki: csr.publicKeySpki,
      issuedBy: harness.latestNow(),
    });
    assertNoFindings(findings, via);
    return { issued: waited.issued!, request, csr, first, polls: waited.polls };
  };
  let firstIssue: ReturnType<typeof issueChecked> | undefined;
  const issuedOnce = () => {
    firstIssue ??= issueChecked();
    return firstIssue;
  };
  /** The CA that signs leaves: caChain()[0] when declared, else the leaf's chain. */
  const issuingCa = async (): Promise<string | undefined> => {
    if (caps.caChain) return (await (await harness.runtime()).caChain())[0];
    return (await issuedOnce()).issued.chainPem[0];
  };

  conformanceSuite('issuer', harness, options.hooks, timeout, () => {
    describe('issue', () => {
      it(
        'issues for a CSR: its public key, the requested SANs, a matching lowercase serial, validity within maxTtl',
        async () => {
          await issuedOnce();
        },
        timeout,
      );
      it(
        'renews with replacesCertificatePem (renew, or issue when renew is absent)',
        async () => {
          const { issued } = await issuedOnce();
          await issueChecked({ replacesCertificatePem: issued.certificatePem }, 'renew');
        },
        timeout,
      );
      it(
        'rejects a malformed CSR with a typed ConnectorError',
        async () => {
          const instance = await harness.instance();
          const request = requestFor(await newCsr(), { csrPem: MALFORMED_CSR });
          const outcome = await instance.issue(request).then(
            (r) => ({ ok: true as const, r }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          if (outcome.ok) {
            // An async CA may accept the order and fail it later; it must not issue.
            expect(outcome.r.status, 'a malformed CSR must not be issued').not.toBe('issued');
            return;
          }
          expect(
            ConnectorError.isInstance(outcome.error),
            `expected a ConnectorError, got ${describeError(outcome.error)}`,
          ).toBe(true);
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'asyncOrders',
      timeout,
    )(() => {
      it(
        'follows an order through getOrder to the issued certificate',
        async () => {
          const { issued, first } = await issuedOnce();
          const orderId = first.orderId ?? issued.orderId;
          if (!orderId) return;
          const again = await (await harness.runtime()).getOrder(orderId);
          expect(again.status).toBe('issued');
          expect((again as IssuedCertificate).serial).toBe(issued.serial);
        },
        timeout,
      );
      it(
        'answers getOrder for an unknown order with a typed ConnectorError or a failed order',
        async () => {
          const instance = await harness.instance();
          const outcome = await instance.getOrder!('certctl-conformance-no-such-order').then(
            (r) => ({ ok: true as const, r }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          if (outcome.ok) expect(outcome.r.status, 'an unknown order cannot be issued or pending').toBe('failed');
          else
            expect(
              ConnectorError.isInstance(outcome.error),
              `expected a ConnectorError, got ${describeError(outcome.error)}`,
            ).toBe(true);
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'revoke',
      timeout,
    )(() => {
      it(
        'revokes an issued certificate by serial',
        async () => {
          const { issued } = await issueChecked();
          await (await harness.runtime()).revoke({
            serial: issued.serial,
            reason: options.revocationReason ?? 'superseded',
            certificatePem: issued.certificatePem,
          });
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'caChain',
      timeout,
    )(() => {
      it(
        'returns the issuing CA first, and it signs the issued leaf',
        async () => {
          const { issued } = await issuedOnce();
          const chain = await (await harness.runtime()).caChain();
          assertNoFindings(checkChainsTo(issued.certificatePem, chain, 'caChain'), 'caChain');
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'crl',
      timeout,
    )(() => {
      it(
        'generates a CRL signed by the CA that lists the given serials, reasons and CRL number',
        async () => {
          const { issued } = await issuedOnce();
          const now = harness.latestNow();
          const entries = [
            { serial: issued.serial, revokedAt: new Date(now.getTime() - 60_000), reason: 'keyCompromise' as const },
            { serial: '1a2b3c4d5e6f', revokedAt: new Date(now.getTime() - 120_000), reason: 'superseded' as const },
          ];
          const der = await (await harness.runtime()).generateCrl({
            entries,
            crlNumber: 42n,
            thisUpdate: now,
            nextUpdate: new Date(now.getTime() + 86_400_000),
          });
          assertNoFindings(await checkCrl(der, { entries, issuerPem: await issuingCa(), crlNumber: 42n }), 'crl');
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'ocsp',
      timeout,
    )(() => {
      it(
        'signs a "good" response for a live certificate',
        async () => {
          const { issued } = await issuedOnce();
          const now = harness.latestNow();
          const der = await (await harness.runtime()).signOcsp({
            serial: issued.serial,
            status: 'good',
            thisUpdate: now,
            nextUpdate: new Date(now.getTime() + 3_600_000),
          });
          assertNoFindings(
            await checkOcspResponse(der, { serial: issued.serial, status: 'good', issuerPem: await issuingCa() }),
            'ocsp',
          );
        },
        timeout,
      );
      it(
        'signs a "revoked" response that echoes the request nonce',
        async () => {
          const { issued } = await issuedOnce();
          const now = harness.latestNow();
          const nonce = Uint8Array.from([0x04, 0x10, ...Array.from({ length: 16 }, (_, i) => i * 7 + 3)]);
          const der = await (await harness.runtime()).signOcsp({
            serial: issued.serial,
            status: 'revoked',
            revokedAt: new Date(now.getTime() - 60_000),
            reason: 'keyCompromise',
            thisUpdate: now,
            nextUpdate: new Date(now.getTime() + 3_600_000),
            nonce,
          });
          assertNoFindings(
            await checkOcspResponse(der, {
              serial: issued.serial,
              status: 'revoked',
              issuerPem: await issuingCa(),
              nonce,
            }),
            'ocsp',
          );
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'renewalInfo',
      timeout,
    )(() => {
      it(
        'returns a suggested renewal window (start before end) or undefined',
        async () => {
          const { issued } = await issuedOnce();
          const info = await (await harness.runtime()).renewalInfo(issued.certificatePem);
          if (info === undefined) return;
          expect(info.suggestedWindow.start).toBeInstanceOf(Date);
          expect(info.suggestedWindow.end).toBeInstanceOf(Date);
          expect(info.suggestedWindow.start.getTime()).toBeLessThan(info.suggestedWindow.end.getTime());
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'listExisting',
      timeout,
    )(() => {
      it(
        'yields the certificates the CA holds as parseable PEM, without private keys',
        async () => {
          await issuedOnce();
          const f = new FindingList();
          let count = 0;
          for await (const item of (await harness.runtime()).listExisting()) {
            if (++count > 200) break;
            f.check(
              typeof item.certificatePem === 'string' && !/PRIVATE KEY/.test(item.certificatePem),
              'listExisting',
              `item ${count}: certificatePem must be a PEM certificate without a private key`,
            );
            f.check(Array.isArray(item.chainPem), 'listExisting', `item ${count}: chainPem must be an array`);
          }
          f.check(count > 0, 'listExisting', 'listExisting yielded nothing although the suite issued a certificate');
          assertNoFindings(f.items, 'listExisting');
        },
        timeout,
      );
    });

    testConnectionSuite(harness, timeout);
  });
}
