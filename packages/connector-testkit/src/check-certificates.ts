import { X509Certificate } from 'node:crypto';
import type { DiscoveredCertificate, IssueRequest, RevocationReason } from '@certctl/core';
import { revocationReasonCode } from '@certctl/core';
import { pkijs, x509 } from './crypto-setup.js';
import { describeError, type Finding, FindingList } from './findings.js';
import { normalizeSerial } from './test-pki.js';

const PRIVATE_KEY = /PRIVATE KEY/;
const SERIAL = /^[0-9a-f]+$/;

function parseCertificate(
  pem: string | Buffer,
  f: FindingList,
  rule: string,
  what: string,
): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    f.add(rule, `${what} does not parse as an X.509 certificate: ${describeError(error)}`);
    return undefined;
  }
}

function spkiDer(cert: X509Certificate): Buffer {
  return cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** The SANs of a certificate, by type, as @peculiar/x509 prints them (`dns`, `ip`, `email`, `url`). */
export function certificateSans(pem: string): Record<string, string[]> {
  const cert = new x509.X509Certificate(pem);
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const out: Record<string, string[]> = {};
  for (const name of ext?.names.toJSON() ?? []) {
    out[name.type] = [...(out[name.type] ?? []), name.value.toLowerCase()];
  }
  return out;
}

export interface IssuedCertificateExpectations {
  request: IssueRequest;
  /** SubjectPublicKeyInfo DER of the CSR's key. */
  publicKeySpki: Uint8Array;
  /** The latest "now" the issuer may have seen (max of the wall clock and the context clock). */
  issuedBy: Date;
  /** Slack for notAfter beyond `issuedBy + maxTtlSeconds`; default 120 s. */
  ttlSlackSeconds?: number;
}

/**
 * Checks an `issue`/`getOrder` result: PEM leaf with the CSR's public key, SANs covering the request,
 * the contract's serial form matching the certificate, validity within maxTtl, a chain that signs it.
 */
export function checkIssuedCertificate(result: unknown, expected: IssuedCertificateExpectations): Finding[] {
  const f = new FindingList();
  const r = result as Record<string, unknown> | undefined;
  if (!f.check(r?.status === 'issued', 'issue.status', `expected status "issued", got ${JSON.stringify(r?.status)}`))
    return f.items;
  if (!f.check(typeof r!.certificatePem === 'string', 'issue.certificatePem', 'certificatePem must be a PEM string'))
    return f.items;
  const pem = r!.certificatePem as string;
  f.check(!PRIVATE_KEY.test(pem), 'issue.privateKey', 'certificatePem contains a private key');
  const leaf = parseCertificate(pem, f, 'issue.certificatePem', 'certificatePem');
  if (!leaf) return f.items;
  f.check(
    Buffer.from(expected.publicKeySpki).equals(spkiDer(leaf)),
    'issue.publicKey',
    "the certificate's public key is not the CSR's",
  );
  f.check(!leaf.ca, 'issue.leaf', 'the issued certificate is a CA certificate (basicConstraints cA=true)');

  const sans = certificateSans(pem);
  for (const dns of expected.request.sans.dns) {
    f.check(
      sans.dns?.includes(dns.toLowerCase()),
      'issue.sans',
      `requested DNS name ${dns} is not in the certificate's SANs (${(sans.dns ?? []).join(', ') || 'none'})`,
    );
  }
  for (const ip of expected.request.sans.ip) {
    f.check(
      sans.ip?.includes(ip.toLowerCase()),
      'issue.sans',
      `requested IP ${ip} is not in the certificate's SANs (${(sans.ip ?? []).join(', ') || 'none'})`,
    );
  }

  const serial = r!.serial;
  if (
    f.check(
      typeof serial === 'string' && SERIAL.test(serial),
      'issue.serial',
      `serial must be lowercase hex, got ${JSON.stringify(serial)}`,
    )
  ) {
    f.check(
      normalizeSerial(serial as string) === serial,
      'issue.serial',
      `serial ${serial} has leading zero bytes; strip them`,
    );
    f.check(
      normalizeSerial(leaf.serialNumber) === serial,
      'issue.serial',
      `serial ${serial} does not match the certificate's serial ${normalizeSerial(leaf.serialNumber)}`,
    );
  }
  const notBefore = r!.notBefore;
  const notAfter = r!.notAfter;
  if (
    f.check(
      notBefore instanceof Date && notAfter instanceof Date,
      'issue.validity',
      'notBefore and notAfter must be Date objects',
    )
  ) {
    f.check(
      Math.abs((notBefore as Date).getTime() - new Date(leaf.validFrom).getTime()) <= 1000,
      'issue.validity',
      `notBefore ${(notBefore as Date).toISOString()} differs from the certificate's ${new Date(leaf.validFrom).toISOString()}`,
    );
    f.check(
      Math.abs((notAfter as Date).getTime() - new Date(leaf.validTo).getTime()) <= 1000,
      'issue.validity',
      `notAfter ${(notAfter as Date).toISOString()} differs from the certificate's ${new Date(leaf.validTo).toISOString()}`,
    );
  }
  if (expected.request.maxTtlSeconds !== undefined) {
    const limit =
      expected.issuedBy.getTime() + (expected.request.maxTtlSeconds + (expected.ttlSlackSeconds ?? 120)) * 1000;
    f.check(
      new Date(leaf.validTo).getTime() <= limit,
      'issue.maxTtl',
      `notAfter ${new Date(leaf.validTo).toISOString()} exceeds maxTtlSeconds ${expected.request.maxTtlSeconds} (latest allowed ${new Date(limit).toISOString()})`,
    );
  }

  if (
    f.check(
      Array.isArray(r!.chainPem) && (r!.chainPem as unknown[]).every((c) => typeof c === 'string'),
      'issue.chain',
      'chainPem must be an array of PEM strings',
    )
  ) {
    const chain = r!.chainPem as string[];
    if (chain.length > 0) f.items.push(...checkChainsTo(pem, chain, 'issue.chain'));
  }
  return f.items;
}

/** The leaf is signed by `chain[0]`, which names it as issuer; each chain member is signed by the next. */
export function checkChainsTo(leafPem: string, chain: readonly string[], rule = 'chain'): Finding[] {
  const f = new FindingList();
  if (!f.check(chain.length > 0, rule, 'the chain is empty')) return f.items;
  const leaf = parseCertificate(leafPem, f, rule, 'the leaf');
  const certs = chain.map((pem, i) => parseCertificate(pem, f, rule, `chain[${i}]`));
  if (!leaf || certs.some((c) => !c)) return f.items;
  f.check(!chain.some((c) => PRIVATE_KEY.test(c)), rule, 'the chain contains a private key');
  const issuer = certs[0]!;
  f.check(
    leaf.checkIssued(issuer),
    rule,
    `chain[0] (${issuer.subject.replace(/\n/g, ', ')}) is not the leaf's issuer (${leaf.issuer.replace(/\n/g, ', ')})`,
  );
  f.check(leaf.verify(issuer.publicKey), rule, "the leaf's signature does not verify with chain[0]'s key");
  for (let i = 0; i + 1 < certs.length; i++) {
    f.check(certs[i]!.verify(certs[i + 1]!.publicKey), rule, `chain[${i}] is not signed by chain[${i + 1}]`);
  }
  return f.items;
}

function readDerInteger(bytes: Uint8Array): bigint | undefined {
  if (bytes[0] !== 0x02 || bytes.length < 3) return undefined;
  const len = bytes[1]!;
  if (len > 0x7f || 2 + len > bytes.length) return undefined;
  let value = 0n;
  for (const b of bytes.subarray(2, 2 + len)) value = (value << 8n) | BigInt(b);
  return value;
}

export interface CrlExpectations {
  /** Serials (lowercase hex) that must be listed, with the reason they were revoked for. */
  entries: readonly { serial: string; reason?: RevocationReason }[];
  /** The CA certificate that must have signed the CRL. */
  issuerPem?: string;
  crlNumber?: bigint;
}

/** DER parses as a CRL (X.509 v2), signed by the issuer, listing every expected serial and carrying the CRL number. */
export async function checkCrl(der: unknown, expected: CrlExpectations): Promise<Finding[]> {
  const f = new FindingList();
  if (!f.check(der instanceof Uint8Array, 'crl.der', 'generateCrl must return the CRL DER as a Uint8Array'))
    return f.items;
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(der as Uint8Array<ArrayBuffer>);
  } catch (error) {
    f.add('crl.der', `the bytes do not parse as a CRL: ${describeError(error)}`);
    return f.items;
  }
  const listed = new Map(crl.entries.map((e) => [normalizeSerial(e.serialNumber), e]));
  for (const entry of expected.entries) {
    const found = listed.get(normalizeSerial(entry.serial));
    if (
      f.check(
        found,
        'crl.entries',
        `serial ${entry.serial} is not listed (listed: ${[...listed.keys()].join(', ') || 'none'})`,
      ) &&
      entry.reason &&
      entry.reason !== 'unspecified'
    ) {
      f.check(
        found!.reason === revocationReasonCode(entry.reason),
        'crl.entries',
        `serial ${entry.serial} is listed with reason code ${found!.reason}, expected ${revocationReasonCode(entry.reason)} (${entry.reason})`,
      );
    }
  }
  if (expected.issuerPem) {
    const issuer = new x509.X509Certificate(expected.issuerPem);
    f.check(
      crl.issuerName.toString() === issuer.subjectName.toString(),
      'crl.issuer',
      `the CRL issuer ${crl.issuer} is not the CA ${issuer.subject}`,
    );
    f.check(
      await crl.verify({ publicKey: issuer.publicKey }),
      'crl.signature',
      "the CRL's signature does not verify with the CA's key",
    );
  }
  if (expected.crlNumber !== undefined) {
    const ext = crl.extensions.find((e) => e.type === '2.5.29.20');
    if (f.check(ext, 'crl.number', 'the CRL has no cRLNumber extension')) {
      const value = readDerInteger(new Uint8Array(ext!.value));
      f.check(value === expected.crlNumber, 'crl.number', `cRLNumber is ${value}, expected ${expected.crlNumber}`);
    }
  }
  return f.items;
}

export interface OcspExpectations {
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
  /** The CA certificate; when given, the response signature must verify with it or with an included responder cert it signed. */
  issuerPem?: string;
  nonce?: Uint8Array;
}

const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

/** DER parses as a successful OCSPResponse whose BasicOCSPResponse answers `serial` with `status`. */
export async function checkOcspResponse(der: unknown, expected: OcspExpectations): Promise<Finding[]> {
  const f = new FindingList();
  if (!f.check(der instanceof Uint8Array, 'ocsp.der', 'signOcsp must return the OCSPResponse DER as a Uint8Array'))
    return f.items;
  let basic: pkijs.BasicOCSPResponse;
  try {
    const response = pkijs.OCSPResponse.fromBER(der as Uint8Array<ArrayBuffer>);
    const status = response.responseStatus.valueBlock.valueDec;
    if (!f.check(status === 0, 'ocsp.status', `responseStatus is ${status}, expected 0 (successful)`)) return f.items;
    if (
      !f.check(
        response.responseBytes?.responseType === OCSP_BASIC,
        'ocsp.type',
        'responseBytes must carry a BasicOCSPResponse',
      )
    )
      return f.items;
    basic = pkijs.BasicOCSPResponse.fromBER(
      response.responseBytes!.response.valueBlock.valueHexView as Uint8Array<ArrayBuffer>,
    );
  } catch (error) {
    f.add('ocsp.der', `the bytes do not parse as an OCSPResponse: ${describeError(error)}`);
    return f.items;
  }
  const single = basic.tbsResponseData.responses.find(
    (r) =>
      normalizeSerial(Buffer.from(r.certID.serialNumber.valueBlock.valueHexView).toString('hex')) ===
      normalizeSerial(expected.serial),
  );
  if (f.check(single, 'ocsp.serial', `no SingleResponse for serial ${expected.serial}`)) {
    const tag = (single!.certStatus as { idBlock?: { tagNumber?: number } }).idBlock?.tagNumber;
    const status = tag === 0 ? 'good' : tag === 1 ? 'revoked' : tag === 2 ? 'unknown' : `tag ${tag}`;
    f.check(status === expected.status, 'ocsp.certStatus', `certStatus is ${status}, expected ${expected.status}`);
  }
  if (expected.nonce) {
    const ext = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === OCSP_NONCE);
    f.check(
      ext && includesBytes(ext.extnValue.valueBlock.valueHexView, expected.nonce),
      'ocsp.nonce',
      'the request nonce is not echoed in the response',
    );
  }
  if (expected.issuerPem) {
    try {
      const issuer = pkijs.Certificate.fromBER(new x509.X509Certificate(expected.issuerPem).rawData);
      const ok = await basic.verify({ trustedCerts: [issuer] });
      f.check(
        ok,
        'ocsp.signature',
        'the response signature does not verify with the CA (or a responder certificate it issued)',
      );
    } catch (error) {
      f.add('ocsp.signature', `the response signature could not be verified: ${describeError(error)}`);
    }
  }
  return f.items;
}

/** A discovered item has a location, parses as a certificate, and carries no private key anywhere. */
export function checkDiscoveredCertificate(item: unknown): Finding[] {
  const f = new FindingList();
  const d = item as Partial<DiscoveredCertificate> | undefined;
  if (!f.check(typeof d === 'object' && d !== null, 'discovery.item', 'scan() yielded something that is not an object'))
    return f.items;
  const where = typeof d!.location === 'string' ? d!.location : '(no location)';
  f.check(
    typeof d!.location === 'string' && d!.location.trim().length > 0,
    'discovery.location',
    'every item needs a non-empty location (path, ARN, URI)',
  );
  const metadataOk =
    typeof d!.metadata === 'object' &&
    d!.metadata !== null &&
    Object.values(d!.metadata).every((v) => typeof v === 'string');
  f.check(metadataOk, 'discovery.metadata', `${where}: metadata must be an object of strings`);
  const cert = d!.certificate;
  if (typeof cert === 'string') {
    f.check(!PRIVATE_KEY.test(cert), 'discovery.privateKey', `${where}: the certificate text contains a private key`);
    f.check(
      /-----BEGIN CERTIFICATE-----/.test(cert),
      'discovery.certificate',
      `${where}: the certificate string is not PEM`,
    );
    if (/-----BEGIN CERTIFICATE-----/.test(cert)) parseCertificate(cert, f, 'discovery.certificate', where);
  } else if (cert instanceof Uint8Array) {
    parseCertificate(Buffer.from(cert), f, 'discovery.certificate', where);
  } else {
    f.add('discovery.certificate', `${where}: certificate must be DER bytes (Uint8Array) or PEM text`);
  }
  const json = JSON.stringify(d, (_k, v) => (v instanceof Uint8Array ? '[bytes]' : v));
  f.check(
    !PRIVATE_KEY.test(json ?? ''),
    'discovery.privateKey',
    `${where}: the item's metadata contains a private key`,
  );
  return f.items;
}
