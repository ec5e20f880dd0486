/**
 * X.509 v3 extensions shared by CSRs, the general certificate builder and the fast issuer: encoding
 * from typed options to DER values, and decoding DER values back to typed fields. Both builders
 * take their extension bytes from `encodeExtensions`, so they cannot drift apart.
 */
import { MalformedInputError } from '@certctl/core';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  type GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  KeyIdentifier,
  KeyUsage,
  NameConstraints,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import {
  fromAsnGeneralName,
  type ParsedGeneralName,
  type SubjectAltName,
  toAsnConstraintName,
  toAsnGeneralName,
} from './general-names.js';
import {
  type ExtendedKeyUsageName,
  extendedKeyUsageName,
  extendedKeyUsageOid,
  type KeyUsageName,
  keyUsageFlags,
  keyUsageNames,
} from './key-usage.js';

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  tlsFeature: '1.3.6.1.5.5.7.1.24',
} as const;

const OCSP_ACCESS_METHOD = '1.3.6.1.5.5.7.48.1';
const CA_ISSUERS_ACCESS_METHOD = '1.3.6.1.5.5.7.48.2';
/** TLS Feature (RFC 7633) = SEQUENCE { INTEGER 5 (status_request) }: OCSP must-staple. */
const MUST_STAPLE_VALUE = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05);

/** An extension as raw DER value bytes (the content of extnValue's OCTET STRING). */
export interface RawExtension {
  oid: string;
  critical?: boolean;
  value: Uint8Array;
}

/** Name constraints; `ip` entries are CIDR (`10.0.0.0/8`), `dns` entries a domain (`example.com`, `.example.com`). */
export interface NameConstraintsInput {
  permitted?: SubjectAltName[];
  excluded?: SubjectAltName[];
}

export interface BasicConstraintsValue {
  ca: boolean;
  pathLength?: number;
}

export interface ExtensionOptions {
  sans?: SubjectAltName[];
  /** RFC 5280: critical when the subject is empty. Default false. */
  sansCritical?: boolean;
  keyUsage?: KeyUsageName[];
  extKeyUsage?: (ExtendedKeyUsageName | string)[];
  basicConstraints?: BasicConstraintsValue;
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: Uint8Array;
  crlDistributionPoints?: string[];
  ocspUrls?: string[];
  caIssuersUrls?: string[];
  nameConstraints?: NameConstraintsInput;
  mustStaple?: boolean;
  /** Appended as given; an OID here replaces the one the options above would produce. */
  extensions?: RawExtension[];
}

const serialize = (value: unknown): Uint8Array => new Uint8Array(AsnConvert.serialize(value));
const uriName = (uri: string): GeneralName => toAsnGeneralName({ type: 'uri', value: uri });

/** DER-encoded extensions in a stable order (the order openssl and most CAs use). */
export function encodeExtensions(options: ExtensionOptions): RawExtension[] {
  const out: RawExtension[] = [];
  if (options.basicConstraints) {
    const { ca, pathLength } = options.basicConstraints;
    if (pathLength !== undefined && (!ca || !Number.isInteger(pathLength) || pathLength < 0)) {
      throw new MalformedInputError({
        inputKind: 'basic-constraints',
        message: 'pathLength needs ca: true and a non-negative integer',
      });
    }
    out.push({
      oid: EXTENSION_OIDS.basicConstraints,
      critical: true,
      value: serialize(new BasicConstraints({ cA: ca, pathLenConstraint: pathLength })),
    });
  }
  if (options.keyUsage?.length) {
    out.push({
      oid: EXTENSION_OIDS.keyUsage,
      critical: true,
      value: serialize(new KeyUsage(keyUsageFlags(options.keyUsage))),
    });
  }
  if (options.extKeyUsage?.length) {
    out.push({
      oid: EXTENSION_OIDS.extKeyUsage,
      critical: false,
      value: serialize(new ExtendedKeyUsage(options.extKeyUsage.map(extendedKeyUsageOid))),
    });
  }
  if (options.subjectKeyIdentifier) {
    out.push({
      oid: EXTENSION_OIDS.subjectKeyIdentifier,
      critical: false,
      value: serialize(new SubjectKeyIdentifier(options.subjectKeyIdentifier)),
    });
  }
  if (options.authorityKeyIdentifier) {
    const aki = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(options.authorityKeyIdentifier) });
    out.push({ oid: EXTENSION_OIDS.authorityKeyIdentifier, critical: false, value: serialize(aki) });
  }
  if (options.sans?.length) {
    out.push({
      oid: EXTENSION_OIDS.subjectAltName,
      critical: options.sansCritical ?? false,
      value: serialize(new SubjectAlternativeName(options.sans.map(toAsnGeneralName))),
    });
  }
  if (options.crlDistributionPoints?.length) {
    const points = options.crlDistributionPoints.map(
      (url) => new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [uriName(url)] }) }),
    );
    out.push({
      oid: EXTENSION_OIDS.crlDistributionPoints,
      critical: false,
      value: serialize(new CRLDistributionPoints(points)),
    });
  }
  const access = [
    ...(options.ocspUrls ?? []).map(
      (url) => new AccessDescription({ accessMethod: OCSP_ACCESS_METHOD, accessLocation: uriName(url) }),
    ),
    ...(options.caIssuersUrls ?? []).map(
      (url) => new AccessDescription({ accessMethod: CA_ISSUERS_ACCESS_METHOD, accessLocation: uriName(url) }),
    ),
  ];
  if (access.length) {
    out.push({
      oid: EXTENSION_OIDS.authorityInfoAccess,
      critical: false,
      value: serialize(new AuthorityInfoAccessSyntax(access)),
    });
  }
  if (
    options.nameConstraints &&
    (options.nameConstraints.permitted?.length || options.nameConstraints.excluded?.length)
  ) {
    const subtrees = (names: SubjectAltName[] | undefined) =>
      names?.length
        ? new GeneralSubtrees(names.map((name) => new GeneralSubtree({ base: toAsnConstraintName(name) })))
        : undefined;
    const value = new NameConstraints({
      permittedSubtrees: subtrees(options.nameConstraints.permitted),
      excludedSubtrees: subtrees(options.nameConstraints.excluded),
    });
    out.push({ oid: EXTENSION_OIDS.nameConstraints, critical: true, value: serialize(value) });
  }
  if (options.mustStaple)
    out.push({ oid: EXTENSION_OIDS.tlsFeature, critical: false, value: MUST_STAPLE_VALUE.slice() });
  for (const extra of options.extensions ?? []) {
    const existing = out.findIndex((e) => e.oid === extra.oid);
    if (existing >= 0) out.splice(existing, 1);
    out.push({ oid: extra.oid, critical: extra.critical ?? false, value: extra.value });
  }
  return out;
}

export interface NameConstraintsValue {
  permitted: ParsedGeneralName[];
  excluded: ParsedGeneralName[];
}

/** Typed view of the extensions we understand, plus the list of all of them. */
export interface ParsedExtensions {
  sans: ParsedGeneralName[];
  keyUsage: KeyUsageName[] | undefined;
  /** Names for known purposes (`serverAuth`), OIDs for the rest. */
  extKeyUsage: string[] | undefined;
  basicConstraints: BasicConstraintsValue | undefined;
  /** Lowercase hex. */
  subjectKeyIdentifier: string | undefined;
  /** Lowercase hex of the keyIdentifier field. */
  authorityKeyIdentifier: string | undefined;
  crlDistributionPoints: string[];
  ocspUrls: string[];
  caIssuersUrls: string[];
  nameConstraints: NameConstraintsValue | undefined;
  mustStaple: boolean;
  extensions: { oid: string; critical: boolean; value: Uint8Array }[];
}

const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');

function uris(names: GeneralName[] | undefined): string[] {
  return (names ?? []).flatMap((n) => (n.uniformResourceIdentifier === undefined ? [] : [n.uniformResourceIdentifier]));
}

function isMustStaple(value: Uint8Array): boolean {
  // SEQUENCE OF INTEGER containing 5; parse loosely but bounded.
  if (value[0] !== 0x30) return false;
  for (let i = 2; i + 2 < value.length + 1; ) {
    if (value[i] !== 0x02) return false;
    const length = value[i + 1]!;
    if (length === 1 && value[i + 2] === 5) return true;
    i += 2 + length;
  }
  return false;
}

/**
 * Decodes the extensions we understand. A malformed value of a known extension is a
 * MalformedInputError of `inputKind`; unknown extensions are listed, not decoded.
 */
export function decodeExtensions(raw: readonly RawExtension[], inputKind: string): ParsedExtensions {
  const parsed: ParsedExtensions = {
    sans: [],
    keyUsage: undefined,
    extKeyUsage: undefined,
    basicConstraints: undefined,
    subjectKeyIdentifier: undefined,
    authorityKeyIdentifier: undefined,
    crlDistributionPoints: [],
    ocspUrls: [],
    caIssuersUrls: [],
    nameConstraints: undefined,
    mustStaple: false,
    extensions: raw.map((e) => ({ oid: e.oid, critical: e.critical ?? false, value: e.value })),
  };
  const seen = new Set<string>();
  for (const extension of raw) {
    if (seen.has(extension.oid)) {
      throw new MalformedInputError({
        inputKind,
        message: `extension ${extension.oid} appears more than once (RFC 5280 4.2)`,
      });
    }
    seen.add(extension.oid);
    try {
      switch (extension.oid) {
        case EXTENSION_OIDS.subjectAltName:
          parsed.sans = AsnConvert.parse(extension.value, SubjectAlternativeName).map(fromAsnGeneralName);
          break;
        case EXTENSION_OIDS.keyUsage:
          parsed.keyUsage = keyUsageNames(AsnConvert.parse(extension.value, KeyUsage).toNumber());
          break;
        case EXTENSION_OIDS.extKeyUsage:
          parsed.extKeyUsage = Array.from(AsnConvert.parse(extension.value, ExtendedKeyUsage)).map(
            extendedKeyUsageName,
          );
          break;
        case EXTENSION_OIDS.basicConstraints: {
          const bc = AsnConvert.parse(extension.value, BasicConstraints);
          parsed.basicConstraints = {
            ca: bc.cA,
            ...(bc.pathLenConstraint === undefined ? {} : { pathLength: bc.pathLenConstraint }),
          };
          break;
        }
        case EXTENSION_OIDS.subjectKeyIdentifier:
          parsed.subjectKeyIdentifier = hex(AsnConvert.parse(extension.value, OctetString).buffer);
          break;
        case EXTENSION_OIDS.authorityKeyIdentifier: {
          const aki = AsnConvert.parse(extension.value, AuthorityKeyIdentifier);
          parsed.authorityKeyIdentifier = aki.keyIdentifier ? hex(aki.keyIdentifier.buffer) : undefined;
          break;
        }
        case EXTENSION_OIDS.crlDistributionPoints:
          parsed.crlDistributionPoints = AsnConvert.parse(extension.value, CRLDistributionPoints).flatMap((p) =>
            uris(p.distributionPoint?.fullName),
          );
          break;
        case EXTENSION_OIDS.authorityInfoAccess:
          for (const description of AsnConvert.parse(extension.value, AuthorityInfoAccessSyntax)) {
            const target =
              description.accessMethod === OCSP_ACCESS_METHOD
                ? parsed.ocspUrls
                : description.accessMethod === CA_ISSUERS_ACCESS_METHOD
                  ? parsed.caIssuersUrls
                  : undefined;
            target?.push(...uris([description.accessLocation]));
          }
          break;
        case EXTENSION_OIDS.nameConstraints: {
          const nc = AsnConvert.parse(extension.value, NameConstraints);
          parsed.nameConstraints = {
            permitted: Array.from(nc.permittedSubtrees ?? []).map((s) => fromAsnGeneralName(s.base)),
            excluded: Array.from(nc.excludedSubtrees ?? []).map((s) => fromAsnGeneralName(s.base)),
          };
          break;
        }
        case EXTENSION_OIDS.tlsFeature:
          parsed.mustStaple = isMustStaple(extension.value);
          break;
      }
    } catch (cause) {
      if (MalformedInputError.isInstance(cause)) throw cause;
      throw new MalformedInputError({ inputKind, message: `extension ${extension.oid} is malformed`, cause });
    }
  }
  return parsed;
}
