import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type RecordedRequest, startFakeVendor } from '../fake-vendor.js';
import { isRecord, parseJsonBody } from './fake-faults.js';
import { verifySigV4 } from './aws-sigv4.js';

/** The ACM operations the fake speaks (JSON 1.1, `X-Amz-Target: CertificateManager.<operation>`). */
export const ACM_OPERATIONS = [
  'ImportCertificate',
  'DescribeCertificate',
  'GetCertificate',
  'ListCertificates',
  'ListTagsForCertificate',
  'AddTagsToCertificate',
  'RemoveTagsFromCertificate',
  'DeleteCertificate',
] as const;
export type AcmOperation = (typeof ACM_OPERATIONS)[number];

/** An error as ACM sends it: HTTP status and `{"__type": ..., "message": ...}`. */
export interface AcmFault {
  type: string;
  message?: string;
  status?: number;
  /** Perform the operation first, then answer the fault: an answer lost after ACM committed the change. */
  applied?: boolean;
}

export interface FakeAcmCertificate {
  arn: string;
  certificatePem: string;
  chainPem: string | undefined;
  /** Kept only so the fake can refuse a re-import that changes the key type, as ACM does. */
  keyAlgorithm: string;
  serial: string;
  domainName: string;
  tags: Map<string, string>;
  importedAt: Date;
  /** How many times something was imported into this ARN. */
  imports: number;
}

export interface FakeAcm {
  /** Endpoint to give the SDK (`endpoint`), plain HTTP on 127.0.0.1. */
  url: string;
  region: string;
  accountId: string;
  /** The only key pair whose signatures the fake accepts. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Every request, in order (bodies include base64 private keys: tests only). */
  requests: RecordedRequest[];
  /** `X-Amz-Target` operations received, in order. */
  operations(): AcmOperation[];
  certificates(): FakeAcmCertificate[];
  get(arn: string): FakeAcmCertificate | undefined;
  /** Answers the next call of `operation` with `fault` instead of performing it (queued, once per push). */
  failNext(operation: AcmOperation, fault: AcmFault): void;
  /** The principal loses the IAM permission for `operation` (AccessDeniedException) until `allow`. */
  deny(operation: AcmOperation): void;
  allow(operation: AcmOperation): void;
  /** Imports left in the account's quota before ImportCertificate answers LimitExceededException. */
  setImportQuota(remaining: number): void;
  close(): Promise<void>;
}

export interface StartFakeAcmOptions {
  region?: string;
  accountId?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** The fake's clock for validity checks and ImportedAt; default the system clock. */
  now?: () => Date;
}

const JSON_11 = 'application/x-amz-json-1.1';
const DEFAULT_LIST_KEY_TYPES = ['RSA_1024', 'RSA_2048'];
const MAX_TAGS = 50;

const problem = (status: number, type: string, message: string): FakeResponse => ({
  status,
  headers: { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() },
  body: JSON.stringify({ __type: type, message }),
});
const ok = (body: unknown): FakeResponse => ({
  status: 200,
  headers: { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() },
  body: JSON.stringify(body),
});

class AcmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const pemBlocks = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

function keyAlgorithmOf(certificate: X509Certificate): string {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA_${details.modulusLength}`;
  if (key.asymmetricKeyType === 'ec') return `EC_${details.namedCurve}`;
  return String(key.asymmetricKeyType).toUpperCase();
}

/** ACM shows serials as colon-separated lowercase hex pairs. */
function acmSerial(certificate: X509Certificate): string {
  const hex = certificate.serialNumber.toLowerCase();
  return (hex.length % 2 ? `0${hex}` : hex).match(/../g)!.join(':');
}

function domainNameOf(certificate: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
  const firstDns = /DNS:([^,\s]+)/.exec(certificate.subjectAltName ?? '')?.[1];
  return cn ?? firstDns ?? '';
}

function sansOf(certificate: X509Certificate): string[] {
  return [...(certificate.subjectAltName ?? '').matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!);
}

function decodeBlob(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AcmError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new AcmError('SerializationException', `Could not decode '${field}' as a base64 blob`);
  }
  return Buffer.from(value, 'base64').toString('utf8');
}

function readTags(value: unknown): Array<{ Key: string; Value?: string }> {
  if (!Array.isArray(value) || value.length === 0) {
    throw new AcmError(
      'ValidationException',
      "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  return value.map((tag) => {
    if (!isRecord(tag) || typeof tag.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128) {
      throw new AcmError('InvalidTagException', 'Tag keys must be 1 to 128 characters long.');
    }
    if (tag.Key.toLowerCase().startsWith('aws:')) {
      throw new AcmError('InvalidTagException', 'Tag keys beginning with "aws:" are reserved for AWS use.');
    }
    if (tag.Value !== undefined && (typeof tag.Value !== 'string' || tag.Value.length > 256)) {
      throw new AcmError('InvalidTagException', 'Tag values must be at most 256 characters long.');
    }
    return { Key: tag.Key, Value: tag.Value as string | undefined };
  });
}

/**
 * A local AWS Certificate Manager speaking the real wire protocol (AWS JSON 1.1 over HTTP POST /,
 * `X-Amz-Target: CertificateManager.<Operation>`, SigV4 checked against one key pair), so the real
 * `@aws-sdk/client-acm` can be pointed at it. It keeps ACM's rules that a deploy depends on:
 * re-import into an ARN keeps the ARN and drops nothing but refuses tags in the call and a key type
 * change, the private key must match the certificate, the chain must contain the issuer, ListCertificates
 * returns only RSA keys unless asked, imports count against a quota, and errors carry ACM's `__type`.
 */
export async function startFakeAcm(options: StartFakeAcmOptions = {}): Promise<FakeAcm> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const accessKeyId = options.accessKeyId ?? 'AKIAFAKEACMTEST00001';
  const secretAccessKey = options.secretAccessKey ?? 'fake/acm/secret/key/for/tests/only/0000001';
  const now = options.now ?? (() => new Date());
  const certificates = new Map<string, FakeAcmCertificate>();
  const faults = new Map<AcmOperation, AcmFault[]>();
  const denied = new Set<AcmOperation>();
  const seen: AcmOperation[] = [];
  let importQuota = Number.POSITIVE_INFINITY;

  const requireArn = (value: unknown): FakeAcmCertificate => {
    if (typeof value !== 'string' || !/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/[\w-]+$/.test(value)) {
      throw new AcmError('InvalidArnException', `String '${String(value)}' is not a valid ARN.`);
    }
    const found = certificates.get(value);
    if (!found) throw new AcmError('ResourceNotFoundException', `Could not find certificate ${value}.`);
    return found;
  };

  const operations: Record<AcmOperation, (input: Record<string, unknown>) => unknown> = {
    ImportCertificate(input) {
      const certificatePem = decodeBlob(input.Certificate, 'certificate');
      const privateKeyPem = decodeBlob(input.PrivateKey, 'privateKey');
      const chainPem =
        input.CertificateChain === undefined ? undefined : decodeBlob(input.CertificateChain, 'certificateChain');
      const existing = input.CertificateArn === undefined ? undefined : requireArn(input.CertificateArn);
      if (existing && input.Tags !== undefined) {
        throw new AcmError('ValidationException', 'Tagging is not permitted on re-import.');
      }
      const tags = input.Tags === undefined ? [] : readTags(input.Tags);
      if (tags.length > MAX_TAGS) throw new AcmError('TooManyTagsException', 'the request contains too many tags');
      if (pemBlocks(certificatePem).length !== 1) {
        throw new AcmError('ValidationException', 'The certificate field must contain exactly one certificate.');
      }
      let leaf: X509Certificate;
      try {
        leaf = new X509Certificate(certificatePem);
      } catch {
        throw new AcmError('ValidationException', 'Could not parse the certificate.');
      }
      if (Buffer.byteLength(privateKeyPem) > 5120) {
        throw new AcmError('ValidationException', 'The private key length must be at most 5120 bytes.');
      }
      let keyMatches = false;
      try {
        keyMatches = leaf.checkPrivateKey(createPrivateKey(privateKeyPem));
      } catch {
        throw new AcmError('ValidationException', 'The private key is not supported or is encrypted.');
      }
      if (!keyMatches) {
        throw new AcmError('ValidationException', 'The private key does not match the public key in the certificate.');
      }
      const at = now();
      if (at < new Date(leaf.validFrom) || at > new Date(leaf.validTo)) {
        throw new AcmError('ValidationException', 'The certificate is not valid at the current date.');
      }
      const chain = chainPem === undefined ? [] : pemBlocks(chainPem).map((pem) => new X509Certificate(pem));
      const selfSigned = leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey);
      if (!selfSigned && !chain.some((c) => c.subject === leaf.issuer && leaf.verify(c.publicKey))) {
        throw new AcmError('ValidationException', 'The certificate chain must contain the issuer of the certificate.');
      }
      const keyAlgorithm = keyAlgorithmOf(leaf);
      if (existing && existing.keyAlgorithm !== keyAlgorithm) {
        throw new AcmError(
          'ValidationException',
          `The key type and size cannot change on re-import (${existing.keyAlgorithm} to ${keyAlgorithm}).`,
        );
      }
      if (importQuota <= 0) {
        throw new AcmError(
          'LimitExceededException',
          'Exceeded quota: The number of certificates imported in the last 365 days exceeds the quota.',
        );
      }
      importQuota--;
      const target: FakeAcmCertificate = existing ?? {
        arn: `arn:aws:acm:${region}:${accountId}:certificate/${randomUUID()}`,
        certificatePem: '',
        chainPem: undefined,
        keyAlgorithm,
        serial: '',
        domainName: '',
        tags: new Map(tags.map((t) => [t.Key, t.Value ?? ''])),
        importedAt: at,
        imports: 0,
      };
      Object.assign(target, {
        certificatePem: pemBlocks(certificatePem)[0]!,
        chainPem: chain.length > 0 ? `${pemBlocks(chainPem!).join('\n')}\n` : undefined,
        serial: acmSerial(leaf),
        domainName: domainNameOf(leaf),
        importedAt: at,
        imports: target.imports + 1,
      });
      certificates.set(target.arn, target);
      return { CertificateArn: target.arn };
    },
    DescribeCertificate(input) {
      const found = requireArn(input.CertificateArn);
      const leaf = new X509Certificate(found.certificatePem);
      return {
        Certificate: {
          CertificateArn: found.arn,
          DomainName: found.domainName,
          SubjectAlternativeNames: sansOf(leaf),
          Serial: found.serial,
          Subject: leaf.subject.replace(/\n/g, ','),
          Issuer: /(?:^|\n)CN=([^\n]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer,
          ImportedAt: found.importedAt.getTime() / 1000,
          NotBefore: new Date(leaf.validFrom).getTime() / 1000,
          NotAfter: new Date(leaf.validTo).getTime() / 1000,
          Status: new Date(leaf.validTo) < now() ? 'EXPIRED' : 'ISSUED',
          KeyAlgorithm: found.keyAlgorithm,
          SignatureAlgorithm: 'SHA256WITHRSA',
          InUseBy: [],
          Type: 'IMPORTED',
          RenewalEligibility: 'INELIGIBLE',
        },
      };
    },
    GetCertificate(input) {
      const found = requireArn(input.CertificateArn);
      return { Certificate: found.certificatePem, ...(found.chainPem && { CertificateChain: found.chainPem }) };
    },
    ListCertificates(input) {
      const includes = isRecord(input.Includes) ? input.Includes : {};
      const keyTypes = Array.isArray(includes.keyTypes) ? (includes.keyTypes as string[]) : DEFAULT_LIST_KEY_TYPES;
      const maxItems = typeof input.MaxItems === 'number' ? input.MaxItems : 1000;
      if (maxItems < 1 || maxItems > 1000) {
        throw new AcmError(
          'ValidationException',
          "Value at 'maxItems' failed to satisfy constraint: Member must be between 1 and 1000",
        );
      }
      let start = 0;
      if (input.NextToken !== undefined) {
        start = typeof input.NextToken === 'string' && /^\d+$/.test(input.NextToken) ? Number(input.NextToken) : -1;
        if (start < 0) throw new AcmError('InvalidArgsException', 'The NextToken is not valid.');
      }
      const matching = [...certificates.values()].filter((c) => keyTypes.includes(c.keyAlgorithm));
      const page = matching.slice(start, start + maxItems);
      return {
        CertificateSummaryList: page.map((c) => ({
          CertificateArn: c.arn,
          DomainName: c.domainName,
          Type: 'IMPORTED',
          KeyAlgorithm: c.keyAlgorithm,
          Status: 'ISSUED',
        })),
        ...(start + maxItems < matching.length && { NextToken: String(start + maxItems) }),
      };
    },
    ListTagsForCertificate(input) {
      const found = requireArn(input.CertificateArn);
      return { Tags: [...found.tags].map(([Key, Value]) => ({ Key, Value })) };
    },
    AddTagsToCertificate(input) {
      const found = requireArn(input.CertificateArn);
      const tags = readTags(input.Tags);
      const merged = new Map(found.tags);
      for (const tag of tags) merged.set(tag.Key, tag.Value ?? '');
      if (merged.size > MAX_TAGS) {
        throw new AcmError(
          'TooManyTagsException',
          `the certificate ${found.arn} would have more than ${MAX_TAGS} tags`,
        );
      }
      found.tags = merged;
      return {};
    },
    RemoveTagsFromCertificate(input) {
      const found = requireArn(input.CertificateArn);
      for (const tag of readTags(input.Tags)) {
        if (tag.Value === undefined || found.tags.get(tag.Key) === tag.Value) found.tags.delete(tag.Key);
      }
      return {};
    },
    DeleteCertificate(input) {
      const found = requireArn(input.CertificateArn);
      certificates.delete(found.arn);
      return {};
    },
  };

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.method !== 'POST' || request.path !== '/') {
      return problem(404, 'UnknownOperationException', 'Only POST / is served');
    }
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.replace(/^CertificateManager\./, '') as AcmOperation;
    if (!target.startsWith('CertificateManager.') || !(ACM_OPERATIONS as readonly string[]).includes(operation)) {
      return problem(400, 'UnknownOperationException', `Unknown operation ${target}`);
    }
    if (request.headers['content-type'] !== JSON_11) {
      return problem(400, 'SerializationException', `Content-Type must be ${JSON_11}`);
    }
    const refusal = verifySigV4(request, { accessKeyId, secretAccessKey, region, service: 'acm' });
    if (refusal) return problem(refusal.status, refusal.type, refusal.message);
    seen.push(operation);
    if (denied.has(operation)) {
      return problem(
        400,
        'AccessDeniedException',
        `User: arn:aws:iam::${accountId}:user/certctl-agent is not authorized to perform: acm:${operation} because no identity-based policy allows the acm:${operation} action`,
      );
    }
    const fault = faults.get(operation)?.shift();
    if (fault && !fault.applied)
      return problem(fault.status ?? 400, fault.type, fault.message ?? `${fault.type} (injected)`);
    const input = parseJsonBody(request.text());
    if (!isRecord(input))
      return problem(400, 'SerializationException', 'Start of structure or map found where not expected');
    try {
      const answer = operations[operation](input);
      if (fault) return problem(fault.status ?? 500, fault.type, fault.message ?? `${fault.type} (injected)`);
      return ok(answer);
    } catch (error) {
      if (error instanceof AcmError) return problem(error.status, error.type, error.message);
      throw error;
    }
  };

  const vendor = await startFakeVendor({ tls: false, handler: handle });
  return {
    url: vendor.url,
    region,
    accountId,
    accessKeyId,
    secretAccessKey,
    requests: vendor.requests,
    operations: () => [...seen],
    certificates: () => [...certificates.values()],
    get: (arn) => certificates.get(arn),
    failNext(operation, fault) {
      const queue = faults.get(operation) ?? [];
      queue.push(fault);
      faults.set(operation, queue);
    },
    deny: (operation) => void denied.add(operation),
    allow: (operation) => void denied.delete(operation),
    setImportQuota(remaining) {
      importQuota = remaining;
    },
    close: () => vendor.close(),
  };
}
