/**
 * What goes into an issued certificate, decided from the request (never copied blindly from the
 * CSR), the config and the CA: names, validity, key usages, must-staple and the revocation URLs.
 * Pure, so each rule is tested without signing anything.
 */
import { isIP } from 'node:net';
import { ConnectorError, type IssueRequest, MalformedInputError } from '@certctl/core';
import {
  type ExtendedKeyUsageName,
  extendedKeyUsageName,
  extendedKeyUsageOid,
  type KeyUsageName,
  type PublicKeyType,
  type SubjectAltName,
} from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import type { PkiUrls } from './pki-urls.js';

/** Below this lifetime expiry is revocation enough: no CRL or OCSP URL (unless must-staple needs OCSP). */
export const SHORT_LIVED_SECONDS = 3600;
export const DEFAULT_EXTENDED_KEY_USAGE: ExtendedKeyUsageName = 'serverAuth';

export interface LeafProfile {
  subject: [string, string][];
  sans: SubjectAltName[];
  notBefore: Date;
  notAfter: Date;
  keyUsage: KeyUsageName[];
  /** Names for known purposes, OIDs for the rest. */
  extKeyUsage: string[];
  mustStaple: boolean;
  crlDistributionPoints: string[];
  ocspUrls: string[];
  caIssuersUrls: string[];
}

export interface LeafProfileInput {
  request: Pick<IssueRequest, 'commonName' | 'sans' | 'extKeyUsages' | 'maxTtlSeconds' | 'mustStaple'>;
  validityDays: number;
  /** The issuing CA's notAfter: nothing it signs outlives it. */
  caNotAfter: Date;
  /** Key type of the CSR's public key (RSA keys also get keyEncipherment for TLS). */
  subjectKeyType: PublicKeyType;
  urls: PkiUrls | undefined;
  now: Date;
}

function malformed(message: string): MalformedInputError {
  return new MalformedInputError({ connector: CONNECTOR, inputKind: 'issue-request', message });
}

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The request's SANs, plus the common name when it is a host name or an IP address that the SANs lack (RFC 6125 clients only read SANs). */
export function subjectAltNames(request: LeafProfileInput['request']): SubjectAltName[] {
  const sans: SubjectAltName[] = [
    ...request.sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...request.sans.ip.map((value) => ({ type: 'ip' as const, value })),
    ...request.sans.email.map((value) => ({ type: 'email' as const, value })),
    ...request.sans.uri.map((value) => ({ type: 'uri' as const, value })),
  ];
  const cn = request.commonName.trim();
  if (cn && isIP(cn) && !request.sans.ip.includes(cn)) sans.unshift({ type: 'ip', value: cn });
  else if (cn && !isIP(cn) && HOSTNAME.test(cn) && (cn.includes('.') || cn === 'localhost')) {
    const present = request.sans.dns.some((dns) => dns.toLowerCase() === cn.toLowerCase());
    if (!present) sans.unshift({ type: 'dns', value: cn });
  }
  return sans;
}

export function keyUsageFor(extKeyUsage: readonly string[], subjectKeyType: PublicKeyType): KeyUsageName[] {
  const usages: KeyUsageName[] = ['digitalSignature'];
  const rsa = subjectKeyType === 'rsa' || subjectKeyType === 'rsa-pss';
  const tlsOrMail = extKeyUsage.some(
    (eku) => eku === 'serverAuth' || eku === 'clientAuth' || eku === 'emailProtection',
  );
  if (extKeyUsage.includes('emailProtection')) usages.push('nonRepudiation');
  if (rsa && tlsOrMail) usages.push('keyEncipherment');
  return usages;
}

/** The certificate's validity: min(validity_days, max TTL), never past the CA's own expiry. */
export function validityWindow(
  input: Pick<LeafProfileInput, 'validityDays' | 'caNotAfter' | 'now'> & { maxTtlSeconds?: number },
): {
  notBefore: Date;
  notAfter: Date;
} {
  const { maxTtlSeconds } = input;
  if (maxTtlSeconds !== undefined && !(Number.isFinite(maxTtlSeconds) && maxTtlSeconds > 0)) {
    throw malformed(`maxTtlSeconds must be a positive number of seconds, got ${maxTtlSeconds}`);
  }
  const notBefore = new Date(Math.floor(input.now.getTime() / 1000) * 1000);
  const ttlSeconds = Math.min(input.validityDays * 86_400, maxTtlSeconds ?? Number.POSITIVE_INFINITY);
  const requested = notBefore.getTime() + Math.floor(ttlSeconds) * 1000;
  const capped = Math.min(requested, Math.floor(input.caNotAfter.getTime() / 1000) * 1000);
  if (ttlSeconds < 1) throw malformed(`maxTtlSeconds must be at least 1, got ${maxTtlSeconds}`);
  if (capped - notBefore.getTime() < 1000) {
    throw new ConnectorError({
      connector: CONNECTOR,
      message: `the issuing CA expires on ${input.caNotAfter.toISOString()}: nothing can be issued under it any more; renew or replace the CA`,
    });
  }
  return { notBefore, notAfter: new Date(capped) };
}

export function leafProfile(input: LeafProfileInput): LeafProfile {
  const { request } = input;
  const commonName = request.commonName.trim();
  const sans = subjectAltNames(request);
  if (!commonName && sans.length === 0)
    throw malformed('the request names no subject: give a common name or at least one SAN');

  const requestedEkus = request.extKeyUsages.length > 0 ? request.extKeyUsages : [DEFAULT_EXTENDED_KEY_USAGE];
  // Resolve through the OID so `1.3.6.1.5.5.7.3.1` and `serverAuth` are one purpose; unknown names throw.
  const extKeyUsage = [...new Set(requestedEkus.map((eku) => extendedKeyUsageName(extendedKeyUsageOid(eku))))];

  const { notBefore, notAfter } = validityWindow({ ...input, maxTtlSeconds: request.maxTtlSeconds });
  const shortLived = (notAfter.getTime() - notBefore.getTime()) / 1000 < SHORT_LIVED_SECONDS;
  const urls = input.urls;
  return {
    subject: commonName ? [['CN', commonName]] : [],
    sans,
    notBefore,
    notAfter,
    keyUsage: keyUsageFor(extKeyUsage, input.subjectKeyType),
    extKeyUsage,
    mustStaple: request.mustStaple,
    crlDistributionPoints: urls && !shortLived ? [urls.crl] : [],
    ocspUrls: urls && (!shortLived || request.mustStaple) ? [urls.ocsp] : [],
    caIssuersUrls: urls ? [urls.caIssuers] : [],
  };
}
