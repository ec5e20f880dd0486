import {
  defineIssuer,
  type ExistingCertificate,
  type IssueRequest,
  OrderPendingError,
  VendorApiError,
} from '@certctl/core';
import { buildCrl, createCertificateAuthority, parseCsr, signCertificate } from '@certctl/pki';
import { z } from 'zod';

/** What a test can observe and steer across every instance of the test CA (replicas included). */
export interface TestCaControl {
  issued: IssueRequest[];
  revoked: string[];
  /** Fail this many issue calls with a retryable error first. */
  failNext: number;
  /** Answer this many getOrder calls with "pending" before issuing (0 = issue synchronously). */
  pendingPolls: number;
  /** Delay each issue, so a crash can happen in the middle. */
  issueDelayMs: number;
  /** When set, renewalInfo (RFC 9773) suggests renewing from this moment. */
  renewalWindowStart?: Date;
  /** What `listExisting` yields (only with `createTestCa({ listExisting: true })`). */
  existing: ExistingCertificate[];
}

/**
 * `keyAlgorithm` of the CA (default ECDSA P-256); SCEP clients that encrypt to every CA certificate need RSA.
 * `listExisting`: declare the capability and list `control.existing` (certificates the CA holds that certctl may import).
 */
export function createTestCa(options: { keyAlgorithm?: 'ecdsa-p256' | 'rsa-2048'; listExisting?: boolean } = {}) {
  const control: TestCaControl = {
    issued: [],
    revoked: [],
    failNext: 0,
    pendingPolls: 0,
    issueDelayMs: 0,
    existing: [],
  };
  let ca: Promise<Awaited<ReturnType<typeof createCertificateAuthority>>> | undefined;
  const authority = () => {
    ca ??= createCertificateAuthority({ subject: { CN: 'certctl test CA' }, keyAlgorithm: options.keyAlgorithm });
    return ca;
  };
  const orders = new Map<string, { request: IssueRequest; polls: number }>();

  const sign = async (request: IssueRequest) => {
    const { certificate, keys } = await authority();
    const csr = parseCsr(request.csrPem);
    const sans = [
      ...request.sans.dns.map((value) => ({ type: 'dns' as const, value })),
      ...request.sans.ip.map((value) => ({ type: 'ip' as const, value })),
    ];
    const leaf = await signCertificate({
      subject: { CN: request.commonName },
      publicKey: csr.spki,
      issuer: { certificate: certificate.pem, privateKey: keys.privateKey },
      sans,
      validitySeconds: Math.min(request.maxTtlSeconds ?? 90 * 86_400, 90 * 86_400),
    });
    control.issued.push(request);
    return {
      status: 'issued' as const,
      certificatePem: leaf.pem,
      chainPem: [certificate.pem],
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  };

  const manifest = defineIssuer({
    specificationVersion: 'v1',
    id: 'test-ca',
    displayName: 'Test CA',
    version: '0.0.0',
    configSchema: z
      .object({
        label: z.string().default('test'),
        api_token: z.string().optional().meta({ writeOnly: true, 'x-certctl-secret': true }),
      })
      .strict(),
    env: { CERTCTL_TESTCA_LABEL: 'label', CERTCTL_TESTCA_API_TOKEN: 'api_token' },
    capabilities: {
      revoke: true,
      crl: true,
      caChain: true,
      asyncOrders: true,
      testConnection: true,
      renewalInfo: true,
      listExisting: options.listExisting ?? false,
    },
    create: () => ({
      async issue(request) {
        if (control.issueDelayMs) await new Promise((r) => setTimeout(r, control.issueDelayMs));
        if (control.failNext > 0) {
          control.failNext--;
          throw new VendorApiError({ connector: 'issuer-test-ca', message: 'CA busy', status: 503 });
        }
        if (control.pendingPolls > 0) {
          const orderId = `order-${request.requestId}`;
          orders.set(orderId, { request, polls: 0 });
          return { status: 'pending', orderId, retryAfterSeconds: 1 };
        }
        return sign(request);
      },
      async getOrder(orderId) {
        const order = orders.get(orderId);
        if (!order) throw new OrderPendingError({ orderId, message: `unknown order ${orderId}` });
        order.polls++;
        if (order.polls < control.pendingPolls) return { status: 'pending', orderId, retryAfterSeconds: 1 };
        return { ...(await sign(order.request)), orderId };
      },
      async revoke({ serial }) {
        control.revoked.push(serial);
      },
      async caChain() {
        return [(await authority()).certificate.pem];
      },
      async generateCrl(request) {
        const { certificate, keys } = await authority();
        return buildCrl({
          issuerCertificate: certificate.pem,
          signingKey: keys.privateKey,
          crlNumber: request.crlNumber,
          thisUpdate: request.thisUpdate,
          nextUpdate: request.nextUpdate,
          entries: request.entries.map((e) => ({
            serial: e.serial,
            revokedAt: e.revokedAt,
            reason: e.reason === 'unspecified' ? undefined : (e.reason as never),
          })),
        });
      },
      async renewalInfo() {
        const start = control.renewalWindowStart;
        return start ? { suggestedWindow: { start, end: new Date(start.getTime() + 86_400_000) } } : undefined;
      },
      async testConnection() {
        return { ok: true as const, detail: 'test CA ready' };
      },
      ...(options.listExisting && {
        async *listExisting() {
          yield* control.existing;
        },
      }),
    }),
  });
  return { manifest, control, authority };
}
