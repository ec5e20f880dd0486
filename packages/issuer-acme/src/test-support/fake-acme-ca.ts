/**
 * A small RFC 8555 CA for what pebble 2.4 lacks: ACME profiles (draft-ietf-acme-profiles:
 * `meta.profiles` in the directory, `profile` in newOrder, `invalidProfile` for an unknown one) and
 * ACME Renewal Information (RFC 9773: `renewalInfo` in the directory, `GET <renewalInfo>/<certID>`
 * answering `suggestedWindow` with Retry-After, 404 for an unknown certificate, `replaces` in newOrder).
 * It is strict where a client could be wrong: JWS signatures (jose), single-use nonces (badNonce),
 * the protected `url`, `kid` versus `jwk`, EAB when required. Authorizations are pre-validated
 * (RFC 8555 section 7.1.3 allows it); challenge handling is what the pebble tests cover.
 */
import { randomBytes } from 'node:crypto';
import {
  type FakeRequest,
  type FakeResponse,
  startFakeVendor,
  type TestCa,
  createTestCa,
} from '@certctl/connector-testkit';
import { ariCertificateId, derToPem } from '@certctl/pki';
import { EmbeddedJWK, type FlattenedJWSInput, type JWK, base64url, flattenedVerify, importJWK } from 'jose';

export interface FakeAcmeCaOptions {
  /** Advertised in `meta.profiles`; validity in days per profile. Omit for a CA without profiles. */
  profiles?: Record<string, { description: string; validityDays: number }>;
  /** Serve RFC 9773 renewalInfo; default true. */
  renewalInfo?: boolean;
  /** `meta.externalAccountRequired` with these kid → base64url HMAC keys. */
  eabKeys?: Record<string, string>;
  /**
   * Offer dns-persist-01 (draft-ietf-acme-dns-persist) with these issuer domain names, next to
   * dns-01: authorizations start pending, and the challenge is valid when `lookupTxt` returns
   * `<issuer domain>; accounturi=<account URL>` at `_validation-persist.<domain>`.
   */
  dnsPersist?: { issuerDomainNames: string[]; lookupTxt: (fqdn: string) => string[] | Promise<string[]> };
  /** Extra routes (e.g. ZeroSSL's EAB endpoint on the same host). */
  extraRoutes?: Record<string, (request: FakeRequest) => FakeResponse | Promise<FakeResponse>>;
}

export interface FakeOrderRecord {
  identifiers: { type: string; value: string }[];
  profile?: string;
  replaces?: string;
}

export interface FakeAcmeCa {
  directoryUrl: string;
  url: string;
  /** CA of the fake's HTTPS certificate. */
  tlsCaPem: string;
  /** The CA that signs issued certificates. */
  issuingCa: TestCa;
  orders: FakeOrderRecord[];
  /** `GET` paths asked of renewalInfo, in order. */
  renewalInfoRequests: string[];
  /** Overrides the window (or the raw body) served for a certificate id. */
  setRenewalInfo(certId: string, body: unknown, retryAfter?: string): void;
  close(): Promise<void>;
}

const ERR = 'urn:ietf:params:acme:error:';

export async function startFakeAcmeCa(options: FakeAcmeCaOptions = {}): Promise<FakeAcmeCa> {
  const issuingCa = await createTestCa({ commonName: 'fake ACME issuing CA' });
  const nonces = new Set<string>();
  const accounts = new Map<string, JWK>();
  const orders = new Map<string, { record: FakeOrderRecord; status: string; certId?: string; validityDays: number }>();
  const certificates = new Map<string, string>();
  const issuedByAriId = new Map<string, { notBefore: Date; notAfter: Date }>();
  const renewalOverrides = new Map<string, { body: unknown; retryAfter?: string }>();
  const records: FakeOrderRecord[] = [];
  const replaced = new Set<string>();
  /** authz id → status, when challenges are offered (dnsPersist). */
  const authzStatus = new Map<string, { status: string; error?: unknown }>();
  const renewalInfoRequests: string[] = [];
  let base = '';

  const nonce = () => {
    const n = randomBytes(16).toString('base64url');
    nonces.add(n);
    return n;
  };
  const problem = (status: number, type: string, detail: string): FakeResponse => ({
    status,
    headers: { 'content-type': 'application/problem+json', 'replay-nonce': nonce() },
    body: JSON.stringify({ type: `${ERR}${type}`, detail, status }),
  });
  const ok = (body: unknown, status = 200, headers: Record<string, string> = {}): FakeResponse => ({
    status,
    headers: { 'content-type': 'application/json', 'replay-nonce': nonce(), ...headers },
    body: JSON.stringify(body),
  });

  /** Verifies a JWS POST: content type, signature, nonce, url; returns the payload and the account. */
  const verify = async (
    request: FakeRequest,
    mode: 'jwk' | 'kid',
  ): Promise<{ payload: Record<string, unknown> | undefined; jwk: JWK; accountUrl?: string } | FakeResponse> => {
    if (request.headers['content-type'] !== 'application/jose+json')
      return problem(415, 'malformed', 'content-type must be application/jose+json');
    let jws: FlattenedJWSInput;
    try {
      jws = request.json() as FlattenedJWSInput;
    } catch {
      return problem(400, 'malformed', 'body is not JSON');
    }
    let header: { nonce?: string; url?: string; kid?: string; jwk?: JWK; alg?: string };
    try {
      header = JSON.parse(Buffer.from(jws.protected ?? '', 'base64url').toString('utf8'));
    } catch {
      return problem(400, 'malformed', 'protected header is not JSON');
    }
    if (!header.nonce || !nonces.delete(header.nonce))
      return problem(400, 'badNonce', 'JWS has an invalid anti-replay nonce');
    if (header.url !== `${base}${request.path}`)
      return problem(401, 'unauthorized', `JWS url ${header.url} does not match ${base}${request.path}`);
    let jwk: JWK;
    let accountUrl: string | undefined;
    try {
      if (mode === 'jwk') {
        if (!header.jwk || header.kid) return problem(400, 'malformed', 'newAccount must be signed with jwk, not kid');
        await flattenedVerify(jws, EmbeddedJWK);
        jwk = header.jwk;
      } else {
        if (!header.kid || header.jwk) return problem(400, 'malformed', 'requests must be signed with kid');
        const known = accounts.get(header.kid);
        if (!known) return problem(400, 'accountDoesNotExist', 'unknown account');
        await flattenedVerify(jws, await importJWK(known, header.alg));
        jwk = known;
        accountUrl = header.kid;
      }
    } catch {
      return problem(400, 'malformed', 'JWS signature is invalid');
    }
    const payloadText = Buffer.from(String(jws.payload ?? ''), 'base64url').toString('utf8');
    return { payload: payloadText === '' ? undefined : JSON.parse(payloadText), jwk, accountUrl };
  };
  const isResponse = (v: unknown): v is FakeResponse =>
    typeof v === 'object' && v !== null && 'status' in v && !('jwk' in v);

  const orderJson = (id: string) => {
    const o = orders.get(id)!;
    return {
      status: o.status,
      identifiers: o.record.identifiers,
      ...(o.record.profile ? { profile: o.record.profile } : {}),
      authorizations: o.record.identifiers.map((_, i) => `${base}/authz/${id}-${i}`),
      finalize: `${base}/finalize/${id}`,
      ...(o.certId ? { certificate: `${base}/cert/${o.certId}` } : {}),
    };
  };

  const challengeJson = (authzId: string, type: string) => {
    const state = authzStatus.get(authzId);
    const status = type === 'dns-persist-01' && state && state.status !== 'pending' ? state.status : 'pending';
    return {
      type,
      url: `${base}/chall/${authzId}/${type}`,
      status,
      ...(type === 'dns-01' ? { token: randomBytes(16).toString('base64url') } : {}),
      ...(type === 'dns-persist-01' ? { 'issuer-domain-names': options.dnsPersist?.issuerDomainNames } : {}),
      ...(type === 'dns-persist-01' && state?.error ? { error: state.error } : {}),
    };
  };
  const authzJson = (authzId: string, identifier: { type: string; value: string }) => {
    const state = authzStatus.get(authzId);
    return {
      status: state?.status ?? 'valid',
      identifier: { type: identifier.type, value: identifier.value.replace(/^\*\./, '') },
      ...(identifier.value.startsWith('*.') ? { wildcard: true } : {}),
      challenges: state ? [challengeJson(authzId, 'dns-01'), challengeJson(authzId, 'dns-persist-01')] : [],
      expires: new Date(Date.now() + 86_400_000).toISOString(),
    };
  };

  const verifyEab = async (payload: Record<string, unknown>, jwk: JWK): Promise<FakeResponse | undefined> => {
    if (!options.eabKeys) return undefined;
    const eab = payload.externalAccountBinding as FlattenedJWSInput | undefined;
    if (!eab) return problem(400, 'externalAccountRequired', 'newAccount must include externalAccountBinding');
    const header = JSON.parse(Buffer.from(eab.protected ?? '', 'base64url').toString('utf8')) as {
      alg?: string;
      kid?: string;
      url?: string;
    };
    const key = header.kid ? options.eabKeys[header.kid] : undefined;
    if (header.alg !== 'HS256' || !key || header.url !== `${base}/new-account`)
      return problem(401, 'unauthorized', 'EAB header is wrong');
    try {
      await flattenedVerify(eab, base64url.decode(key));
    } catch {
      return problem(401, 'unauthorized', 'EAB MAC is invalid');
    }
    const bound = JSON.parse(Buffer.from(String(eab.payload ?? ''), 'base64url').toString('utf8')) as JWK;
    if (bound.x !== jwk.x || bound.n !== jwk.n) return problem(401, 'unauthorized', 'EAB binds another key');
    return undefined;
  };

  const vendor = await startFakeVendor({
    routes: {
      ...options.extraRoutes,
      'GET /directory': () => ({
        status: 200,
        body: {
          newNonce: `${base}/new-nonce`,
          newAccount: `${base}/new-account`,
          newOrder: `${base}/new-order`,
          revokeCert: `${base}/revoke-cert`,
          keyChange: `${base}/key-change`,
          ...(options.renewalInfo === false ? {} : { renewalInfo: `${base}/renewal-info` }),
          meta: {
            ...(options.profiles
              ? { profiles: Object.fromEntries(Object.entries(options.profiles).map(([k, v]) => [k, v.description])) }
              : {}),
            ...(options.eabKeys ? { externalAccountRequired: true } : {}),
          },
        },
      }),
      'HEAD /new-nonce': () => ({ status: 200, headers: { 'replay-nonce': nonce(), 'cache-control': 'no-store' } }),
      'GET /new-nonce': () => ({ status: 204, headers: { 'replay-nonce': nonce(), 'cache-control': 'no-store' } }),
      'POST /new-account': async (request) => {
        const v = await verify(request, 'jwk');
        if (isResponse(v)) return v;
        const payload = v.payload ?? {};
        if (payload.termsOfServiceAgreed !== true)
          return problem(400, 'malformed', 'termsOfServiceAgreed must be true');
        const eabProblem = await verifyEab(payload, v.jwk);
        if (eabProblem) return eabProblem;
        const url = `${base}/account/${accounts.size + 1}`;
        accounts.set(url, v.jwk);
        return ok({ status: 'valid', contact: payload.contact ?? [] }, 201, { location: url });
      },
      'POST /new-order': async (request) => {
        const v = await verify(request, 'kid');
        if (isResponse(v)) return v;
        const payload = (v.payload ?? {}) as {
          identifiers?: { type: string; value: string }[];
          profile?: unknown;
          replaces?: unknown;
        };
        if (!Array.isArray(payload.identifiers) || payload.identifiers.length === 0)
          return problem(400, 'malformed', 'identifiers required');
        let validityDays = 90;
        if (payload.profile !== undefined) {
          const profile = typeof payload.profile === 'string' ? options.profiles?.[payload.profile] : undefined;
          if (!profile) return problem(400, 'invalidProfile', `profile ${String(payload.profile)} is not offered`);
          validityDays = profile.validityDays;
        }
        if (payload.replaces !== undefined) {
          if (typeof payload.replaces !== 'string' || !issuedByAriId.has(payload.replaces)) {
            return problem(400, 'malformed', 'replaces names no certificate of this account');
          }
          if (replaced.has(payload.replaces))
            return problem(409, 'alreadyReplaced', 'that certificate was already replaced');
          replaced.add(payload.replaces);
        }
        const record: FakeOrderRecord = {
          identifiers: payload.identifiers,
          ...(typeof payload.profile === 'string' ? { profile: payload.profile } : {}),
          ...(typeof payload.replaces === 'string' ? { replaces: payload.replaces } : {}),
        };
        records.push(record);
        const id = String(orders.size + 1);
        orders.set(id, { record, status: options.dnsPersist ? 'pending' : 'ready', validityDays });
        if (options.dnsPersist) {
          for (let i = 0; i < record.identifiers.length; i++) authzStatus.set(`${id}-${i}`, { status: 'pending' });
        }
        return ok(orderJson(id), 201, { location: `${base}/order/${id}` });
      },
      'POST /order/:id': async (request) => {
        const v = await verify(request, 'kid');
        if (isResponse(v)) return v;
        if (!orders.has(request.params.id!)) return problem(404, 'malformed', 'no such order');
        return ok(orderJson(request.params.id!));
      },
      'POST /authz/:id': async (request) => {
        const v = await verify(request, 'kid');
        if (isResponse(v)) return v;
        const [orderId, index] = request.params.id!.split('-');
        const identifier = orders.get(orderId!)?.record.identifiers[Number(index)];
        if (!identifier) return problem(404, 'malformed', 'no such authorization');
        return ok(authzJson(request.params.id!, identifier));
      },
      'POST /chall/:id/:type': async (request) => {
        const v = await verify(request, 'kid');
        if (isResponse(v)) return v;
        const id = request.params.id!;
        const state = authzStatus.get(id);
        const [orderId, index] = id.split('-');
        const order = orders.get(orderId!);
        const identifier = order?.record.identifiers[Number(index)];
        if (!state || !order || !identifier || !options.dnsPersist)
          return problem(404, 'malformed', 'no such challenge');
        if (request.params.type !== 'dns-persist-01')
          return problem(400, 'malformed', 'this fake validates dns-persist-01 only');
        const fqdn = `_validation-persist.${identifier.value.replace(/^\*\./, '')}`;
        const records = await options.dnsPersist.lookupTxt(fqdn);
        const accepted = options.dnsPersist.issuerDomainNames.some((issuer) =>
          records.some((r) => {
            const [domain, ...params] = r.split(';').map((p) => p.trim());
            return domain === issuer && params.includes(`accounturi=${v.accountUrl}`);
          }),
        );
        state.status = accepted ? 'valid' : 'invalid';
        if (!accepted)
          state.error = {
            type: `${ERR}unauthorized`,
            detail: `no matching TXT record at ${fqdn} (found ${JSON.stringify(records)})`,
          };
        if (
          accepted &&
          order.record.identifiers.every((_, i) => authzStatus.get(`${orderId}-${i}`)?.status === 'valid')
        )
          order.status = 'ready';
        if (!accepted) order.status = 'invalid';
        return ok(challengeJson(id, 'dns-persist-01'));
      },
      'POST /finalize/:id': async (request) => {
        const v = await verify(request, 'kid');
        if (isResponse(v)) return v;
        const order = orders.get(request.params.id!);
        if (!order) return problem(404, 'malformed', 'no such order');
        if (order.status !== 'ready') return problem(403, 'orderNotReady', `order is ${order.status}`);
        const csr = (v.payload as { csr?: string } | undefined)?.csr;
        if (!csr) return problem(400, 'badCSR', 'csr required');
        const csrPem = derToPem(Buffer.from(csr, 'base64url'), 'CERTIFICATE REQUEST');
        const names = order.record.identifiers.map((i) => i.value);
        const leaf = await issuingCa.issue({
          csrPem,
          commonName: names[0],
          sans: { dns: names },
          validitySeconds: order.validityDays * 86_400,
          extKeyUsages: ['serverAuth'],
        });
        const certId = String(certificates.size + 1);
        certificates.set(certId, `${leaf.certificatePem}${leaf.chainPem.join('')}`);
        issuedByAriId.set(ariCertificateId(leaf.certificatePem), {
          notBefore: leaf.notBefore,
          notAfter: leaf.notAfter,
        });
        order.status = 'valid';
        order.certId = certId;
        return ok(orderJson(request.params.id!));
      },
      'POST /cert/:id': async (request) => {
        const v = await verify(request, 'kid');
        if (isResponse(v)) return v;
        const pem = certificates.get(request.params.id!);
        if (!pem) return problem(404, 'malformed', 'no such certificate');
        return {
          status: 200,
          headers: { 'content-type': 'application/pem-certificate-chain', 'replay-nonce': nonce() },
          body: pem,
        };
      },
      'GET /renewal-info/:certId': (request) => {
        renewalInfoRequests.push(request.path);
        if (options.renewalInfo === false) return { status: 404 };
        const id = request.params.certId!;
        const override = renewalOverrides.get(id);
        if (override) {
          return {
            status: 200,
            headers: {
              'content-type': 'application/json',
              ...(override.retryAfter ? { 'retry-after': override.retryAfter } : {}),
            },
            body: JSON.stringify(override.body),
          };
        }
        const issued = issuedByAriId.get(id);
        if (!issued)
          return {
            status: 404,
            headers: { 'content-type': 'application/problem+json' },
            body: JSON.stringify({ type: `${ERR}malformed`, detail: 'unknown certificate', status: 404 }),
          };
        // Like Let's Encrypt: the middle third of the lifetime's last half.
        const life = issued.notAfter.getTime() - issued.notBefore.getTime();
        const start = new Date(issued.notBefore.getTime() + (life * 2) / 3);
        const end = new Date(start.getTime() + life / 6);
        return {
          status: 200,
          headers: { 'content-type': 'application/json', 'retry-after': '21600' },
          body: JSON.stringify({ suggestedWindow: { start: start.toISOString(), end: end.toISOString() } }),
        };
      },
    },
  });
  base = vendor.url;
  return {
    directoryUrl: `${base}/directory`,
    url: base,
    tlsCaPem: vendor.caPem!,
    issuingCa,
    orders: records,
    renewalInfoRequests,
    setRenewalInfo(certId, body, retryAfter) {
      renewalOverrides.set(certId, { body, retryAfter });
    },
    close: () => vendor.close(),
  };
}
