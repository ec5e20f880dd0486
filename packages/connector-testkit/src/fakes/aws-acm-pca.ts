import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, normalizeSerial, type TestCa } from '../test-pki.js';
import { verifySigV4 } from './aws-sigv4.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';
import { signCsr } from './fake-ca-signing.js';

/** The four actions certctl's issuer calls. */
export type AcmPcaAction =
  | 'IssueCertificate'
  | 'GetCertificate'
  | 'RevokeCertificate'
  | 'GetCertificateAuthorityCertificate';

const ACTIONS: readonly AcmPcaAction[] = [
  'IssueCertificate',
  'GetCertificate',
  'RevokeCertificate',
  'GetCertificateAuthorityCertificate',
];

const SIGNING_ALGORITHMS: Record<string, 'EC' | 'RSA'> = {
  SHA256WITHECDSA: 'EC',
  SHA384WITHECDSA: 'EC',
  SHA512WITHECDSA: 'EC',
  SHA256WITHRSA: 'RSA',
  SHA384WITHRSA: 'RSA',
  SHA512WITHRSA: 'RSA',
};

const REVOCATION_REASONS = new Set([
  'UNSPECIFIED',
  'KEY_COMPROMISE',
  'CERTIFICATE_AUTHORITY_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'PRIVILEGE_WITHDRAWN',
  'A_A_COMPROMISE',
]);

export interface FakeAcmPcaCertificate {
  arn: string;
  serial: string;
  commonName: string;
  certificatePem: string;
  /** GetCertificate answers RequestInProgressException this many more times. */
  pendingPolls: number;
  templateArn?: string;
  signingAlgorithm: string;
  revoked?: string;
  /** The Validity sent with IssueCertificate. */
  validity: { Type: string; Value: number };
}

export interface FakeAcmPca {
  /** `http://127.0.0.1:<port>`: the endpoint to give the SDK. */
  endpoint: string;
  region: string;
  caArn: string;
  /** The private CA (ECDSA P-256: sign with SHA*WITHECDSA). */
  ca: TestCa;
  /** Keys the fake accepts; the principal holds every action unless `deny` took it away. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Certificates by ARN. */
  certificates: Map<string, FakeAcmPcaCertificate>;
  /** How many GetCertificate calls of a new certificate answer RequestInProgressException; default 1. */
  pendingPolls: number;
  /** Removes an action from the principal's policy: calls answer AccessDeniedException. */
  deny(action: AcmPcaAction): void;
  allow(action: AcmPcaAction): void;
  /** Queues answers for the next requests, e.g. a throttle. */
  faults: FaultQueue;
  /** The next `count` requests answer ThrottlingException. */
  throttleNext(count?: number): void;
  /** The X-Amz-Target of every request, in order. */
  readonly calls: string[];
  vendor: FakeVendor;
  close(): Promise<void>;
}

const error = (type: string, message: string, status = 400): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
  body: JSON.stringify({ __type: type, message }),
});
const ok = (body: unknown): FakeResponse => ({
  status: 200,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomBytes(16).toString('hex') },
  body: JSON.stringify(body),
});

/**
 * A fake AWS Private CA (ACM PCA) endpoint speaking the service's JSON 1.1 protocol: `POST /` with
 * `X-Amz-Target: ACMPrivateCA.<Action>` and `Content-Type: application/x-amz-json-1.1`, every request
 * SigV4-signed for `<region>/acm-pca` and verified against the fake's key pair, IAM-style
 * AccessDeniedException per action, the documented error types as `__type` (RequestInProgressException
 * while a new certificate is being issued, ResourceNotFoundException, InvalidArnException,
 * MalformedCSRException, InvalidArgsException, RequestAlreadyProcessedException, ThrottlingException).
 * Certificates are really signed by the fake's CA.
 */
export async function startFakeAcmPca(options: { region?: string; accountId?: string } = {}): Promise<FakeAcmPca> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const caArn = `arn:aws:acm-pca:${region}:${accountId}:certificate-authority/${crypto.randomUUID()}`;
  const ca = await createTestCa({ commonName: 'fake AWS Private CA' });
  const credentials = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  const allowed = new Set<AcmPcaAction>(ACTIONS);
  const certificates = new Map<string, FakeAcmPcaCertificate>();
  const byIdempotencyToken = new Map<string, string>();
  const faults = createFaultQueue();
  const calls: string[] = [];
  const state = { pendingPolls: 1 };

  const checkCaArn = (value: unknown): FakeResponse | undefined => {
    if (
      typeof value !== 'string' ||
      !/^arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]*:[\w+=,.@-]+(\/[\w+=,.@-]+)*$/.test(value)
    )
      return error('InvalidArnException', `String '${String(value)}' is not a valid ARN.`);
    if (value !== caArn)
      return error('ResourceNotFoundException', `Could not find Certificate Authority with ARN ${value}.`);
    return undefined;
  };

  const actions: Record<AcmPcaAction, (input: Record<string, unknown>) => Promise<FakeResponse> | FakeResponse> = {
    async IssueCertificate(input) {
      const bad = checkCaArn(input.CertificateAuthorityArn);
      if (bad) return bad;
      const algorithm = input.SigningAlgorithm;
      if (typeof algorithm !== 'string' || !(algorithm in SIGNING_ALGORITHMS))
        return error(
          'ValidationException',
          `1 validation error detected: Value '${String(algorithm)}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set`,
        );
      if (SIGNING_ALGORITHMS[algorithm] !== 'EC')
        return error(
          'InvalidArgsException',
          `The signing algorithm ${algorithm} is not compatible with the EC_prime256v1 key of the CA.`,
        );
      const validity = input.Validity;
      if (!isRecord(validity) || typeof validity.Value !== 'number' || typeof validity.Type !== 'string')
        return error('ValidationException', 'Validity with Value and Type is required.');
      const now = Date.now();
      let notAfter: number;
      if (validity.Type === 'DAYS') notAfter = now + validity.Value * 86_400_000;
      else if (validity.Type === 'ABSOLUTE') notAfter = validity.Value * 1000;
      else return error('InvalidArgsException', `Validity type ${validity.Type} is not supported by this fake.`);
      if (notAfter <= now) return error('InvalidArgsException', 'The certificate validity ends in the past.');
      if (
        input.TemplateArn !== undefined &&
        (typeof input.TemplateArn !== 'string' ||
          !/^arn:aws:acm-pca:::template\/[A-Za-z0-9_]+\/V\d+$/.test(input.TemplateArn))
      )
        return error('InvalidArnException', `String '${String(input.TemplateArn)}' is not a valid template ARN.`);
      const token = typeof input.IdempotencyToken === 'string' ? input.IdempotencyToken : undefined;
      if (token && token.length > 36)
        return error('ValidationException', 'IdempotencyToken must be at most 36 characters.');
      if (token && byIdempotencyToken.has(token)) return ok({ CertificateArn: byIdempotencyToken.get(token) });
      if (typeof input.Csr !== 'string') return error('ValidationException', 'Csr is required.');
      const csrPem = Buffer.from(input.Csr, 'base64').toString('utf8');
      if (!csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----'))
        return error('MalformedCSRException', 'The certificate signing request is invalid.');
      const signed = await signCsr(ca, csrPem, { validitySeconds: Math.floor((notAfter - now) / 1000) });
      if (!signed.ok)
        return error('MalformedCSRException', `The certificate signing request is invalid: ${signed.problem}.`);
      const { leaf, commonName } = signed;
      const arn = `${caArn}/certificate/${randomBytes(16).toString('hex')}`;
      certificates.set(arn, {
        arn,
        serial: leaf.serial,
        commonName,
        certificatePem: leaf.certificatePem,
        pendingPolls: state.pendingPolls,
        signingAlgorithm: algorithm,
        validity: { Type: validity.Type, Value: validity.Value },
        ...(typeof input.TemplateArn === 'string' ? { templateArn: input.TemplateArn } : {}),
      });
      if (token) byIdempotencyToken.set(token, arn);
      return ok({ CertificateArn: arn });
    },
    GetCertificate(input) {
      const bad = checkCaArn(input.CertificateAuthorityArn);
      if (bad) return bad;
      if (typeof input.CertificateArn !== 'string' || !input.CertificateArn.startsWith('arn:'))
        return error('InvalidArnException', `String '${String(input.CertificateArn)}' is not a valid ARN.`);
      const certificate = certificates.get(input.CertificateArn);
      if (!certificate)
        return error('ResourceNotFoundException', `Could not find certificate ${input.CertificateArn}.`);
      if (certificate.pendingPolls > 0) {
        certificate.pendingPolls--;
        return error('RequestInProgressException', 'The request is still in progress.');
      }
      return ok({ Certificate: certificate.certificatePem.trim(), CertificateChain: ca.certificatePem.trim() });
    },
    RevokeCertificate(input) {
      const bad = checkCaArn(input.CertificateAuthorityArn);
      if (bad) return bad;
      if (typeof input.RevocationReason !== 'string' || !REVOCATION_REASONS.has(input.RevocationReason))
        return error(
          'ValidationException',
          `Value '${String(input.RevocationReason)}' at 'revocationReason' failed to satisfy constraint.`,
        );
      if (
        typeof input.CertificateSerial !== 'string' ||
        !/^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2})*$/.test(input.CertificateSerial)
      )
        return error('InvalidRequestException', 'The certificate serial must be in hexadecimal format.');
      const serial = normalizeSerial(input.CertificateSerial);
      const certificate = [...certificates.values()].find((c) => c.serial === serial);
      if (!certificate)
        return error('ResourceNotFoundException', `Could not find certificate with serial ${input.CertificateSerial}.`);
      if (certificate.revoked)
        return error('RequestAlreadyProcessedException', 'The certificate has already been revoked.');
      certificate.revoked = input.RevocationReason;
      return ok({});
    },
    GetCertificateAuthorityCertificate(input) {
      const bad = checkCaArn(input.CertificateAuthorityArn);
      if (bad) return bad;
      // A root CA has no CertificateChain.
      return ok({ Certificate: ca.certificatePem.trim() });
    },
  };

  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const target = request.headers['x-amz-target'] ?? '';
    calls.push(target);
    const refusal = verifySigV4(request, { ...credentials, region, service: 'acm-pca' });
    if (refusal) return error(refusal.type, refusal.message, refusal.status);
    const fault = faults.take();
    if (fault) return fault;
    if (!(request.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return error('SerializationException', 'Content-Type must be application/x-amz-json-1.1', 400);
    const action = target.startsWith('ACMPrivateCA.')
      ? (target.slice('ACMPrivateCA.'.length) as AcmPcaAction)
      : undefined;
    if (!action || !ACTIONS.includes(action)) return error('UnknownOperationException', '', 400);
    if (!allowed.has(action)) {
      return error(
        'AccessDeniedException',
        `User: arn:aws:iam::${accountId}:user/certctl is not authorized to perform: acm-pca:${action} on resource: ${caArn} because no identity-based policy allows the acm-pca:${action} action`,
      );
    }
    const input = parseJsonBody(request.text());
    if (!isRecord(input)) return error('SerializationException', 'Start of structure or map found where not expected.');
    return actions[action](input);
  };

  const vendor = await startFakeVendor({
    tls: false,
    handler: (request) =>
      request.method === 'POST' && request.path === '/' ? handle(request) : error('UnknownOperationException', '', 404),
  });
  return {
    endpoint: vendor.url,
    region,
    caArn,
    ca,
    credentials,
    certificates,
    get pendingPolls() {
      return state.pendingPolls;
    },
    set pendingPolls(value: number) {
      state.pendingPolls = value;
    },
    deny: (action) => {
      allowed.delete(action);
    },
    allow: (action) => {
      allowed.add(action);
    },
    faults,
    throttleNext(count = 1) {
      for (let i = 0; i < count; i++) faults.push(error('ThrottlingException', 'Rate exceeded'));
    },
    calls,
    vendor,
    close: () => vendor.close(),
  };
}
