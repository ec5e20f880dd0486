/**
 * One order model for both Entrust APIs: the CA Gateway's enrollments and the enterprise API's
 * certificate orders both become an EntrustOrder, and only this module turns one into the contract's
 * issued / pending / failed results.
 */
import { assertCertifiesCsrKey } from '@certctl/connector-utils';
import { type ExistingCertificate, type IssuedCertificate, MalformedInputError, type OrderResult } from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';

export type EntrustOrderState = 'pending' | 'issued' | 'declined' | 'revoked' | 'expired';

export interface EntrustOrder {
  /** The Gateway's tracking id or the enterprise API's trackingId. */
  orderId: string;
  state: EntrustOrderState;
  /** What Entrust says about it: `awaiting approval by an Entrust administrator`, a decline reason. */
  detail?: string;
  /** PEM leaf (or base64 DER) when issued. */
  certificate?: string;
  chain: string[];
  /** Facts for the inventory: tracking id, product, organization, status. */
  metadata: Record<string, string>;
}

/** How long to wait before asking again about an order an administrator must approve. */
export const APPROVAL_RETRY_SECONDS = 60;

/** PEM from PEM or from base64 DER (the Gateway's X509 format). */
export function certificatePem(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return `${trimmed}\n`;
  const body = trimmed.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** The contract's issued result for an issued order; checks the key when the CSR's is known. */
export function issuedCertificate(order: EntrustOrder, csrSpki?: Uint8Array): IssuedCertificate {
  let bundle: ReturnType<typeof parseCertificateBundle>;
  let chain: ReturnType<typeof parseCertificateBundle>;
  try {
    bundle = parseCertificateBundle(certificatePem(order.certificate ?? ''));
    chain = order.chain.flatMap((c) => parseCertificateBundle(certificatePem(c)));
  } catch (cause) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'certificate',
      message: `Entrust order ${order.orderId} returned certificates that do not parse`,
      cause,
    });
  }
  const [leaf] = bundle;
  if (!leaf) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'certificate',
      message: `Entrust order ${order.orderId} is issued but carries no certificate`,
    });
  }
  if (csrSpki) {
    assertCertifiesCsrKey(leaf, csrSpki, {
      connector: CONNECTOR,
      message: `Entrust order ${order.orderId} returned a certificate that does not carry the CSR's public key`,
    });
  }
  return {
    status: 'issued',
    certificatePem: leaf.pem,
    chainPem: [...new Set([...bundle.slice(1), ...chain].map((c) => c.pem))],
    serial: leaf.serialNumber,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    orderId: order.orderId,
  };
}

/** The contract's view of an order. */
export function orderResult(order: EntrustOrder, csrSpki?: Uint8Array): OrderResult {
  switch (order.state) {
    case 'pending':
      return {
        status: 'pending',
        orderId: order.orderId,
        retryAfterSeconds: APPROVAL_RETRY_SECONDS,
        detail: order.detail ?? 'awaiting approval by an Entrust administrator',
      };
    case 'declined':
      return {
        status: 'failed',
        orderId: order.orderId,
        reason: `Entrust declined the order${order.detail ? `: ${order.detail}` : ''}`,
      };
    default:
      // Revoked or expired orders were issued: the certificate is still what the order produced.
      return issuedCertificate(order, csrSpki);
  }
}

/** An import candidate: the certificate and the order facts. */
export function existingCertificate(order: EntrustOrder): ExistingCertificate {
  const issued = issuedCertificate(order);
  return {
    certificatePem: issued.certificatePem,
    chainPem: issued.chainPem,
    // Only real tracking ids are order ids; a Gateway event carries just the serial.
    ...(order.metadata.entrust_tracking_id ? { orderId: order.orderId } : {}),
    metadata: { ...order.metadata, entrust_state: order.state },
  };
}
