/**
 * A fake step-ca for the endpoints this connector uses, after step-ca's API and its JWK provisioner:
 * HTTPS with a server certificate from the CA's own root, `POST /1.0/sign` and `POST /1.0/revoke`
 * authorised by a one-time token that is checked as step-ca checks it (provisioner by `iss` + `kid`,
 * signature against the provisioner's public JWK, `iss`, `aud` with or without port, `sub` non-empty,
 * time with one minute of leeway, `jti` single use), then the CSR against the token (common name =
 * `sub`, SANs = `sans`) and the requested validity against the provisioner's maximum. Refusals use
 * step-ca's error body `{"status": ..., "message": ...}`. Leaves are signed by an intermediate.
 */

import { isIP } from 'node:net';
import {
  createTestCa,
  type FakeRequest,
  type FakeResponse,
  type FakeVendor,
  normalizeSerial,
  startFakeVendor,
  type TestCa,
} from '@certctl/connector-testkit';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  parseCsr,
  type SubjectAltName,
  signCertificate,
  verifyCsrSignature,
} from '@certctl/pki';
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';

export interface FakeProvisioner {
  name: string;
  publicJwk: JWK & { kid: string };
  /** Longest certificate the provisioner signs; default 2160h. */
  maxDurationSeconds?: number;
  /** Used when the request names no notAfter; default 24h (step-ca's default). */
  defaultDurationSeconds?: number;
}

export interface FakeStepca {
  vendor: FakeVendor;
  url: string;
  /** The root: what `root_cert_path` should hold. */
  root: TestCa;
  rootPem: string;
  intermediate: CertificateAuthority;
  /** Serial (lowercase hex) → revocation, once revoked. */
  readonly revoked: Map<string, { reasonCode: number; reason: string }>;
  readonly issuedSerials: Set<string>;
  close(): Promise<void>;
}

const refuse = (status: number, message: string): FakeResponse => ({ status, body: { status, message } });

/** step-ca compares audiences exactly, or with the port removed from both. */
function audienceMatches(tokenAudiences: string[], expected: string[]): boolean {
  const stripPort = (value: string) => {
    try {
      const url = new URL(value);
      url.port = '';
      return url.toString();
    } catch {
      return value;
    }
  };
  return expected.some((b) => tokenAudiences.some((a) => a === b || stripPort(a) === stripPort(b)));
}

export async function startFakeStepca(options: {
  provisioners: FakeProvisioner[];
  now?: () => number;
}): Promise<FakeStepca> {
  const now = options.now ?? Date.now;
  const root = await createTestCa({ commonName: 'fake step-ca Root CA' });
  const intermediate = await createCertificateAuthority({
    subject: 'CN=fake step-ca Intermediate CA',
    issuer: { certificate: root.certificatePem, privateKey: root.keys.privateKey },
    pathLength: 0,
    validitySeconds: 5 * 365 * 86_400,
  });
  const usedTokens = new Set<string>();
  const revoked = new Map<string, { reasonCode: number; reason: string }>();
  const issuedSerials = new Set<string>();
  let baseUrl = '';

  /** step-ca's token checks; returns the claims or the refusal. */
  const authorize = async (
    ott: unknown,
    paths: string[],
  ): Promise<{ claims: { sub: string; sans?: string[] } } | { refusal: FakeResponse }> => {
    if (typeof ott !== 'string' || ott.length === 0) return { refusal: refuse(400, 'missing ott') };
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(ott);
      unverified = decodeJwt(ott);
    } catch {
      return { refusal: refuse(401, 'authority.authorizeToken: error parsing token') };
    }
    const provisioner = options.provisioners.find((p) => p.name === unverified.iss && p.publicJwk.kid === header.kid);
    if (!provisioner)
      return { refusal: refuse(401, 'authority.authorizeToken: provisioner not found or invalid audience') };
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      const key = await importJWK(provisioner.publicJwk, provisioner.publicJwk.alg ?? 'ES256');
      ({ payload } = await jwtVerify(ott, key, {
        issuer: provisioner.name,
        algorithms: [provisioner.publicJwk.alg ?? 'ES256'],
        clockTolerance: 60,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      return { refusal: refuse(401, `jwk.authorizeToken; invalid jwk claims: ${(error as Error).message}`) };
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    const expected = paths.map((path) => `${baseUrl}${path}`);
    if (!audienceMatches(audiences, expected)) {
      return {
        refusal: refuse(
          401,
          `jwk.authorizeToken; invalid jwk token audience claim (aud); want ${expected.join(' ')}, but got ${audiences.join(' ')}`,
        ),
      };
    }
    if (!payload.sub) return { refusal: refuse(401, 'jwk.authorizeToken; jwk token subject cannot be empty') };
    if (!payload.jti) return { refusal: refuse(401, 'authority.authorizeToken: token has no jti') };
    if (usedTokens.has(payload.jti)) return { refusal: refuse(401, 'authority.authorizeToken: token already used') };
    usedTokens.add(payload.jti);
    return { claims: { sub: payload.sub, sans: Array.isArray(payload.sans) ? payload.sans.map(String) : undefined } };
  };

  const jsonBody = (request: FakeRequest): Record<string, unknown> | undefined => {
    try {
      const parsed = request.json();
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };

  const sign = async (request: FakeRequest): Promise<FakeResponse> => {
    const body = jsonBody(request);
    if (!body) return refuse(400, 'error decoding json');
    if (typeof body.csr !== 'string' || !body.csr) return refuse(400, 'missing csr');
    let csr: ReturnType<typeof parseCsr>;
    try {
      csr = parseCsr(body.csr);
      if (!(await verifyCsrSignature(csr.der))) return refuse(400, 'invalid csr: signature does not verify');
    } catch {
      return refuse(400, 'invalid csr');
    }
    const authorized = await authorize(body.ott, ['/1.0/sign', '/sign']);
    if ('refusal' in authorized) return authorized.refusal;
    const { sub } = authorized.claims;
    const sans = authorized.claims.sans && authorized.claims.sans.length > 0 ? authorized.claims.sans : [sub];
    const provisioner = options.provisioners.find((p) => p.name === decodeJwt(body.ott as string).iss)!;

    if (csr.commonName && csr.commonName !== sub) {
      return refuse(
        403,
        `certificate request does not contain the valid common name - got ${csr.commonName}, want ${sub}`,
      );
    }
    const want: SubjectAltName[] = sans.map((value) =>
      isIP(value)
        ? { type: 'ip', value }
        : value.includes('@')
          ? { type: 'email', value }
          : /^[a-z][a-z0-9+.-]*:/i.test(value)
            ? { type: 'uri', value }
            : { type: 'dns', value },
    );
    for (const type of ['dns', 'ip', 'email', 'uri'] as const) {
      const got = csr.sans
        .filter((n) => n.type === type)
        .map((n) => n.value.toLowerCase())
        .sort();
      const expected = want
        .filter((n) => n.type === type)
        .map((n) => n.value.toLowerCase())
        .sort();
      if (got.length > 0 || type === 'dns') {
        if (JSON.stringify(got) !== JSON.stringify(expected) && !(got.length === 0 && type === 'dns')) {
          return refuse(
            403,
            `certificate request does not contain the valid ${type === 'dns' ? 'DNS names' : `${type} SANs`} - got [${got.join(' ')}], want [${expected.join(' ')}]`,
          );
        }
      }
    }

    const notBefore = new Date(now());
    let notAfter = new Date(notBefore.getTime() + (provisioner.defaultDurationSeconds ?? 86_400) * 1000);
    if (body.notAfter !== undefined) {
      const parsed = typeof body.notAfter === 'string' ? Date.parse(body.notAfter) : Number.NaN;
      if (Number.isNaN(parsed)) return refuse(400, `invalid notAfter: ${String(body.notAfter).slice(0, 40)}`);
      notAfter = new Date(parsed);
    }
    const duration = (notAfter.getTime() - notBefore.getTime()) / 1000;
    const max = provisioner.maxDurationSeconds ?? 2160 * 3600;
    if (duration > max) {
      return refuse(
        403,
        `requested duration of ${duration}s is more than the authorized maximum certificate duration of ${max}s`,
      );
    }
    if (duration < 300)
      return refuse(
        403,
        `requested duration of ${duration}s is less than the authorized minimum certificate duration of 300s`,
      );
    const leaf = await signCertificate({
      subject: `CN=${sub}`,
      publicKey: csr.spki,
      issuer: { certificate: intermediate.certificate.der, privateKey: intermediate.keys.privateKey },
      notBefore,
      notAfter,
      sans: want,
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['serverAuth', 'clientAuth'],
    });
    issuedSerials.add(normalizeSerial(leaf.serialNumber));
    return {
      status: 201,
      body: {
        crt: leaf.pem,
        ca: intermediate.certificate.pem,
        certChain: [leaf.pem, intermediate.certificate.pem],
        tls: null,
      },
    };
  };

  const revoke = async (request: FakeRequest): Promise<FakeResponse> => {
    const body = jsonBody(request);
    if (!body) return refuse(400, 'error decoding json');
    if (typeof body.serial !== 'string' || !/^\d+$/.test(body.serial)) return refuse(400, 'missing or invalid serial');
    if (body.passive !== true) return refuse(501, 'non-passive revocation not implemented');
    const reasonCode = typeof body.reasonCode === 'number' ? body.reasonCode : 0;
    if (!Number.isInteger(reasonCode) || reasonCode < 0 || reasonCode > 10 || reasonCode === 7)
      return refuse(400, 'reasonCode out of bounds');
    const authorized = await authorize(body.ott, ['/1.0/revoke', '/revoke']);
    if ('refusal' in authorized) return authorized.refusal;
    if (authorized.claims.sub !== body.serial)
      return refuse(401, `token subject ${authorized.claims.sub} does not match serial ${body.serial}`);
    const hex = normalizeSerial(BigInt(body.serial).toString(16));
    if (revoked.has(hex)) return refuse(400, `certificate with serial number ${body.serial} has already been revoked`);
    revoked.set(hex, { reasonCode, reason: typeof body.reason === 'string' ? body.reason : '' });
    return { status: 200, body: { status: 'ok' } };
  };

  const vendor = await startFakeVendor({
    ca: root,
    routes: {
      'POST /1.0/sign': sign,
      'POST /sign': sign,
      'POST /1.0/revoke': revoke,
      'POST /revoke': revoke,
      'GET /health': () => ({ body: { status: 'ok' } }),
    },
    handler: () => refuse(404, 'not found'),
  });
  baseUrl = vendor.url;
  return {
    vendor,
    url: vendor.url,
    root,
    rootPem: root.certificatePem,
    intermediate,
    revoked,
    issuedSerials,
    close: () => vendor.close(),
  };
}
