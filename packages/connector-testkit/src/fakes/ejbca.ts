import { randomBytes, X509Certificate } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createTestCa, normalizeSerial, type TestCa, type TestLeaf } from '../test-pki.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';
import { signCsr } from './fake-ca-signing.js';

const BASE = '/ejbca/ejbca-rest-api';

const REVOCATION_REASONS = new Set([
  'UNSPECIFIED',
  'KEY_COMPROMISE',
  'CA_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'CERTIFICATE_HOLD',
  'PRIVILEGES_WITHDRAWN',
  'AA_COMPROMISE',
  'REMOVE_FROM_CRL',
]);

export interface FakeEjbcaCertificate {
  serial: string;
  username: string;
  certificatePem: string;
  certificateProfile: string;
  endEntityProfile: string;
  revocationReason?: string;
  revokedAt?: Date;
}

export interface FakeEjbcaEndEntity {
  username: string;
  certificateProfile: string;
  endEntityProfile: string;
  caName: string;
}

export interface FakeEjbca {
  /** `https://127.0.0.1:<port>/ejbca/ejbca-rest-api`. */
  apiUrl: string;
  /** PEM of the CA behind the fake's TLS server certificate. */
  tlsCaPem: string;
  /** The issuing CA (its name is `caName`). */
  ca: TestCa;
  caName: string;
  /** EJBCA's form of the CA's subject DN, e.g. `CN=fake EJBCA Issuing CA,O=certctl tests`. */
  caSubjectDn: string;
  /** mTLS mode: a client certificate of an EJBCA administrator (PEM cert and key). */
  adminClient?: { certificatePem: string; privateKeyPem: string };
  /** mTLS mode: a client certificate the TLS layer accepts but no EJBCA role holds (403). */
  strangerClient?: { certificatePem: string; privateKeyPem: string };
  /** OAuth2 mode: a bearer token EJBCA maps to an administrator. */
  token?: string;
  /** Issued certificates by serial (normalized hex). */
  certificates: Map<string, FakeEjbcaCertificate>;
  endEntities: Map<string, FakeEjbcaEndEntity>;
  faults: FaultQueue;
  /** The next request answers 429 with `Retry-After: seconds` (a rate-limiting proxy in front of EJBCA). */
  rateLimitNext(seconds: number): void;
  vendor: FakeVendor;
  close(): Promise<void>;
}

export interface StartFakeEjbcaOptions {
  /** `mtls` (default): the TLS layer requires a client certificate from the fake's client CA; `oauth2`: a bearer token. */
  auth?: 'mtls' | 'oauth2';
  caName?: string;
  certificateProfiles?: string[];
  endEntityProfiles?: string[];
}

const problem = (status: number, message: string): FakeResponse => ({
  status,
  body: { error_code: status, error_message: message },
});
const der64 = (pem: string) => Buffer.from(new X509Certificate(pem).raw).toString('base64');

/** EJBCA writes DNs without spaces after the commas. */
const ejbcaDn = (dn: string) => dn.split(/,\s*/).join(',');

/**
 * A fake EJBCA REST API (`/ejbca/ejbca-rest-api`), after EJBCA's REST documentation: mTLS with the
 * client certificate verified by TLS and then checked against the administrators EJBCA knows (403
 * `Not authorized to resource`), or OAuth2 bearer tokens; `GET /v1/certificate/status`, `GET /v1/ca`,
 * `GET /v1/ca/{subject_dn}/certificate/download`, `POST /v1/certificate/pkcs10enroll` (201 with the
 * base64 DER certificate and chain; unknown CA or profiles, bad CSR and missing fields answered as
 * EJBCA does, `{error_code, error_message}`), `PUT /v1/certificate/{issuer_dn}/{serial}/revoke`,
 * `GET .../revocationstatus` and `POST /v2/certificate/search` with pagination. Certificates are
 * really signed by the fake's CA.
 */
export async function startFakeEjbca(options: StartFakeEjbcaOptions = {}): Promise<FakeEjbca> {
  const auth = options.auth ?? 'mtls';
  const caName = options.caName ?? 'IssuingCA';
  const certificateProfiles = new Set(options.certificateProfiles ?? ['ENDUSER', 'SERVER']);
  const endEntityProfiles = new Set(options.endEntityProfiles ?? ['EMPTY', 'certctl-tls']);
  const ca = await createTestCa({ commonName: 'fake EJBCA Issuing CA' });
  const caSubjectDn = ejbcaDn(new X509Certificate(ca.certificatePem).subject.split('\n').join(','));
  const clientCa = auth === 'mtls' ? await createTestCa({ commonName: 'fake EJBCA client CA' }) : undefined;
  const issueClient = async (commonName: string) => {
    const leaf: TestLeaf = await clientCa!.issue({ commonName, sans: { dns: [] }, extKeyUsages: ['clientAuth'] });
    return { certificatePem: leaf.certificatePem, privateKeyPem: leaf.privateKeyPem, serial: leaf.serial };
  };
  const admin = clientCa ? await issueClient('certctl RA administrator') : undefined;
  const stranger = clientCa ? await issueClient('someone else') : undefined;
  const token = auth === 'oauth2' ? randomBytes(24).toString('base64url') : undefined;
  const certificates = new Map<string, FakeEjbcaCertificate>();
  const endEntities = new Map<string, FakeEjbcaEndEntity>();
  const faults = createFaultQueue();

  /** The refusal EJBCA answers an unauthenticated or unauthorized caller, or undefined. */
  const refuse = (request: FakeRequest, resource: string): FakeResponse | undefined => {
    if (auth === 'mtls') {
      if (
        request.clientCertificate?.serialNumber &&
        normalizeSerial(request.clientCertificate.serialNumber) === admin!.serial
      )
        return undefined;
      return problem(403, `Not authorized to resource ${resource}.`);
    }
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer '))
      return problem(403, 'Authentication failed: no client certificate or bearer token.');
    if (header.slice(7) !== token) return problem(401, 'Authentication failed using OAuth Bearer Token');
    return undefined;
  };

  const findCertificate = (issuerDn: string, serialHex: string): FakeEjbcaCertificate | FakeResponse => {
    if (ejbcaDn(issuerDn) !== caSubjectDn) return problem(404, `CA with DN: ${issuerDn} does not exist.`);
    if (!/^[0-9a-fA-F]+$/.test(serialHex)) return problem(400, 'Invalid serial number format.');
    return certificates.get(normalizeSerial(serialHex)) ?? problem(404, 'Certificate not found.');
  };
  const isProblem = (value: FakeEjbcaCertificate | FakeResponse): value is FakeResponse => 'status' in value;

  const routes: Record<string, (request: FakeRequest) => FakeResponse | Promise<FakeResponse>> = {
    [`GET ${BASE}/v1/certificate/status`]: () => ({ body: { status: 'OK', version: '1.0', revision: 'ALPHA' } }),
    [`GET ${BASE}/v1/ca`]: (request) =>
      refuse(request, '/ca_functionality/view_ca') ?? {
        body: {
          certificate_authorities: [
            {
              id: 1_652_389_506,
              name: caName,
              subject_dn: caSubjectDn,
              issuer_dn: caSubjectDn,
              expiration_date: new Date(new X509Certificate(ca.certificatePem).validTo).toISOString(),
              external: false,
            },
          ],
        },
      },
    [`GET ${BASE}/v1/ca/:subject_dn/certificate/download`]: (request) => {
      const refusal = refuse(request, '/ca_functionality/view_ca');
      if (refusal) return refusal;
      if (ejbcaDn(request.params.subject_dn!) !== caSubjectDn)
        return problem(404, `CA with DN: ${request.params.subject_dn} does not exist.`);
      return { headers: { 'content-type': 'text/plain' }, body: ca.certificatePem };
    },
    [`POST ${BASE}/v1/certificate/pkcs10enroll`]: async (request) => {
      const refusal = refuse(request, '/ca_functionality/create_certificate');
      if (refusal) return refusal;
      const body = parseJsonBody(request.text());
      if (!isRecord(body)) return problem(400, 'Invalid request body.');
      if (body.certificate_authority_name !== caName)
        return problem(400, `CA with name ${String(body.certificate_authority_name)} doesn't exist.`);
      if (typeof body.certificate_profile_name !== 'string' || !certificateProfiles.has(body.certificate_profile_name))
        return problem(400, `Certificate profile ${String(body.certificate_profile_name)} doesn't exist.`);
      if (typeof body.end_entity_profile_name !== 'string' || !endEntityProfiles.has(body.end_entity_profile_name))
        return problem(400, `End entity profile ${String(body.end_entity_profile_name)} doesn't exist.`);
      if (typeof body.username !== 'string' || !/^[\w.@ -]{1,250}$/.test(body.username))
        return problem(400, 'Invalid username.');
      if (typeof body.password !== 'string' || body.password.length === 0)
        return problem(400, 'Password is required for a new end entity.');
      const responseFormat = body.response_format ?? 'DER';
      if (responseFormat !== 'DER') return problem(400, 'Invalid input. Response format can only be DER or PKCS7');
      if (typeof body.certificate_request !== 'string') return problem(400, 'Invalid certificate request.');
      const existing = endEntities.get(body.username);
      if (existing && existing.endEntityProfile !== body.end_entity_profile_name)
        return problem(400, `End entity ${body.username} exists with another end entity profile.`);
      endEntities.set(body.username, {
        username: body.username,
        caName,
        certificateProfile: body.certificate_profile_name,
        endEntityProfile: body.end_entity_profile_name,
      });
      // The certificate profile's validity (a year here), or an earlier custom end_time when given.
      let validitySeconds = 365 * 86_400;
      if (body.end_time !== undefined) {
        const match =
          typeof body.end_time === 'string'
            ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\+00:00$/.exec(body.end_time)
            : null;
        if (!match) return problem(400, `Invalid end time format: ${String(body.end_time)}`);
        const end = Date.parse(`${match[1]}T${match[2]}Z`);
        if (!(end > Date.now())) return problem(400, 'End time is in the past.');
        validitySeconds = Math.min(validitySeconds, Math.floor((end - Date.now()) / 1000) + 60);
      }
      const signed = await signCsr(ca, body.certificate_request, { validitySeconds });
      if (!signed.ok) return problem(400, `Error parsing certificate request: ${signed.problem}.`);
      const { leaf } = signed;
      certificates.set(leaf.serial, {
        serial: leaf.serial,
        username: body.username,
        certificatePem: leaf.certificatePem,
        certificateProfile: body.certificate_profile_name,
        endEntityProfile: body.end_entity_profile_name,
      });
      return {
        status: 201,
        body: {
          certificate: der64(leaf.certificatePem),
          serial_number: leaf.serial.toUpperCase(),
          response_format: 'DER',
          certificate_chain: body.include_chain === true ? [der64(ca.certificatePem)] : [],
        },
      };
    },
    [`PUT ${BASE}/v1/certificate/:issuer_dn/:serial/revoke`]: (request) => {
      const refusal = refuse(request, '/ca_functionality/revoke_certificate');
      if (refusal) return refusal;
      const reason = request.url.searchParams.get('reason') ?? 'UNSPECIFIED';
      if (!REVOCATION_REASONS.has(reason)) return problem(400, `Invalid revocation reason: ${reason}.`);
      const found = findCertificate(request.params.issuer_dn!, request.params.serial!);
      if (isProblem(found)) return found;
      if (found.revocationReason) return problem(409, 'Certificate is already revoked.');
      found.revocationReason = reason;
      found.revokedAt = new Date();
      return {
        body: {
          issuer_dn: caSubjectDn,
          serial_number: found.serial.toUpperCase(),
          revocation_reason: reason,
          revocation_date: found.revokedAt.toISOString(),
          message: 'Successfully revoked',
          revoked: true,
        },
      };
    },
    [`GET ${BASE}/v1/certificate/:issuer_dn/:serial/revocationstatus`]: (request) => {
      const refusal = refuse(request, '/ca_functionality/view_certificate');
      if (refusal) return refusal;
      const found = findCertificate(request.params.issuer_dn!, request.params.serial!);
      if (isProblem(found)) return found;
      return {
        body: {
          issuer_dn: caSubjectDn,
          serial_number: found.serial.toUpperCase(),
          revocation_reason: found.revocationReason ?? null,
          revocation_date: found.revokedAt?.toISOString() ?? null,
          message: found.revocationReason ? 'Certificate is revoked' : 'Certificate is not revoked',
          revoked: Boolean(found.revocationReason),
        },
      };
    },
    [`POST ${BASE}/v2/certificate/search`]: (request) => {
      const refusal = refuse(request, '/ca_functionality/view_certificate');
      if (refusal) return refusal;
      const body = parseJsonBody(request.text());
      if (!isRecord(body) || !Array.isArray(body.criteria) || body.criteria.length === 0)
        return problem(400, 'Malformed request.');
      let matches = [...certificates.values()];
      for (const criterion of body.criteria) {
        if (!isRecord(criterion) || typeof criterion.property !== 'string' || typeof criterion.value !== 'string')
          return problem(400, 'Malformed request.');
        if (criterion.property === 'CA') {
          if (criterion.value !== caName) matches = [];
        } else if (criterion.property === 'STATUS') {
          if (criterion.value === 'CERT_ACTIVE') matches = matches.filter((c) => !c.revocationReason);
          else if (criterion.value === 'CERT_REVOKED') matches = matches.filter((c) => c.revocationReason);
          else return problem(400, 'Malformed request.');
        } else if (criterion.property === 'QUERY') {
          matches = matches.filter((c) => c.username.includes(String(criterion.value)));
        } else {
          return problem(400, 'Malformed request.');
        }
      }
      const pagination = isRecord(body.pagination) ? body.pagination : undefined;
      const pageSize = typeof pagination?.page_size === 'number' ? pagination.page_size : matches.length;
      const currentPage = typeof pagination?.current_page === 'number' ? pagination.current_page : 1;
      if (pageSize < 1 || currentPage < 1) return problem(400, 'Malformed request.');
      const page = matches.slice((currentPage - 1) * pageSize, currentPage * pageSize);
      return {
        body: {
          certificates: page.map((c) => {
            const x = new X509Certificate(c.certificatePem);
            return {
              certificate: der64(c.certificatePem),
              serial_number: c.serial.toUpperCase(),
              issuer_dn: caSubjectDn,
              subject_dn: ejbcaDn(x.subject.split('\n').join(',')),
              username: c.username,
              status: c.revocationReason ? 40 : 20,
              expire_date: new Date(x.validTo).getTime(),
              not_before: new Date(x.validFrom).getTime(),
            };
          }),
          pagination_summary: {
            page_size: pageSize,
            current_page: currentPage,
            ...(page.length < pageSize ? { total_certs: (currentPage - 1) * pageSize + page.length } : {}),
          },
        },
      };
    },
  };

  const vendor = await startFakeVendor({
    ...(clientCa ? { clientCa: clientCa.certificatePem } : {}),
    routes: Object.fromEntries(
      Object.entries(routes).map(([key, handler]) => [
        key,
        (request: FakeRequest) => faults.take() ?? handler(request),
      ]),
    ),
    handler: (request) => problem(404, `HTTP 404 Not Found: ${request.path}`),
  });
  return {
    apiUrl: `${vendor.url}${BASE}`,
    tlsCaPem: vendor.caPem!,
    ca,
    caName,
    caSubjectDn,
    ...(admin ? { adminClient: { certificatePem: admin.certificatePem, privateKeyPem: admin.privateKeyPem } } : {}),
    ...(stranger
      ? { strangerClient: { certificatePem: stranger.certificatePem, privateKeyPem: stranger.privateKeyPem } }
      : {}),
    ...(token ? { token } : {}),
    certificates,
    endEntities,
    faults,
    rateLimitNext(seconds) {
      faults.push({
        status: 429,
        headers: { 'retry-after': String(seconds) },
        body: { error_code: 429, error_message: 'Too Many Requests' },
      });
    },
    vendor,
    close: () => vendor.close(),
  };
}
