/**
 * A fake of the Vault HTTP API endpoints this connector uses, after Vault's API documentation:
 * `X-Vault-Token` auth with policies (403 `{"errors":["permission denied"]}`), the response envelope
 * (`data`/`auth`/`warnings`), `auth/token/lookup-self` and `renew-self` (leases, max TTL truncation,
 * non-renewable tokens), `<mount>/sign/<role>` (role domains, TTL capped by the role's max_ttl,
 * `ca_chain`), `<mount>/revoke` and `<mount>/cert/ca_chain`. Time comes from `now`, so a test can
 * drive TTLs with a fake clock.
 */
import { randomUUID } from 'node:crypto';
import {
  createTestCa,
  type FakeRequest,
  type FakeResponse,
  type FakeVendor,
  normalizeSerial,
  startFakeVendor,
  type TestCa,
} from '@certctl/connector-testkit';
import { parseCsr } from '@certctl/pki';
import { parseVaultDuration } from '../vault-duration.js';

export interface FakeTokenOptions {
  /** `sign`, `revoke` stand for the PKI paths; lookup-self and renew-self come with the default policy. */
  policies?: string[];
  /** Seconds; 0 means a token that never expires (a root token). */
  ttlSeconds: number;
  renewable?: boolean;
  /** Seconds from creation after which renewals are truncated (explicit max TTL). */
  explicitMaxTtlSeconds?: number;
  /** Lease granted per renewal; default the initial TTL. */
  incrementSeconds?: number;
}

interface FakeToken {
  policies: string[];
  renewable: boolean;
  ttlSeconds: number;
  createdAt: number;
  expiresAt: number;
  maxExpiresAt: number | undefined;
  incrementSeconds: number;
  accessor: string;
}

export interface FakeRole {
  allowedDomains: string[];
  maxTtlSeconds: number;
}

export interface FakeVault {
  vendor: FakeVendor;
  url: string;
  /** PEM of the CA behind the fake's TLS certificate. */
  tlsCaPem: string;
  /** The PKI mount's issuing CA. */
  pkiCa: TestCa;
  addToken(token: string, options: FakeTokenOptions): void;
  /** Serial (normalized hex) → revoked. */
  readonly issued: Map<string, { revoked: boolean; commonName: string }>;
  renewals: number;
  /** The next this-many renew-self calls answer 503 `Vault is sealed`. */
  renewFailures: number;
  /** Forgets a token, as `vault token revoke` would. */
  revokeToken(token: string): void;
  close(): Promise<void>;
}

const envelope = (fields: { data?: unknown; auth?: unknown; warnings?: string[] }) => ({
  request_id: randomUUID(),
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data: fields.data ?? null,
  wrap_info: null,
  warnings: fields.warnings && fields.warnings.length > 0 ? fields.warnings : null,
  auth: fields.auth ?? null,
});

const errors = (status: number, ...messages: string[]): FakeResponse => ({ status, body: { errors: messages } });
const colonHex = (hex: string) => (hex.length % 2 ? `0${hex}` : hex).match(/../g)!.join(':');

export async function startFakeVault(
  options: { now?: () => number; mount?: string; roles?: Record<string, FakeRole> } = {},
): Promise<FakeVault> {
  const now = options.now ?? Date.now;
  const mount = options.mount ?? 'pki';
  const roles = options.roles ?? { servers: { allowedDomains: ['example.test'], maxTtlSeconds: 90 * 86_400 } };
  const tokens = new Map<string, FakeToken>();
  const issued = new Map<string, { revoked: boolean; commonName: string }>();
  const pkiCa = await createTestCa({ commonName: 'fake Vault PKI root' });
  let renewals = 0;
  let renewFailures = 0;

  /** The token behind the request, or the 403 Vault answers; `policy` is the capability the path needs. */
  const authorize = (request: FakeRequest, policy?: string): FakeToken | FakeResponse => {
    const token = tokens.get(request.headers['x-vault-token'] ?? '');
    if (!token) return errors(403, 'permission denied');
    if (token.ttlSeconds !== 0 && now() >= token.expiresAt) {
      tokens.delete(request.headers['x-vault-token']!);
      return errors(403, 'permission denied');
    }
    if (policy && !token.policies.includes(policy)) return errors(403, 'permission denied');
    return token;
  };
  const isResponse = (value: FakeToken | FakeResponse): value is FakeResponse => 'status' in value || 'body' in value;
  /** The JSON body's fields, or the 400 Vault answers to a body it cannot parse. */
  const body = (request: FakeRequest): { fields: Record<string, unknown>; refusal?: FakeResponse } => {
    if (request.body.length === 0) return { fields: {} };
    try {
      const parsed = request.json();
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return { fields: {}, refusal: errors(400, 'failed to parse JSON input: not an object') };
      }
      return { fields: parsed as Record<string, unknown> };
    } catch (error) {
      return { fields: {}, refusal: errors(400, `failed to parse JSON input: ${(error as Error).message}`) };
    }
  };
  const remaining = (token: FakeToken) =>
    token.ttlSeconds === 0 ? 0 : Math.max(0, Math.round((token.expiresAt - now()) / 1000));
  const allowedName = (role: FakeRole, name: string) =>
    role.allowedDomains.some((domain) => name === domain || name.endsWith(`.${domain}`));

  const vendor = await startFakeVendor({
    routes: {
      'GET /v1/auth/token/lookup-self': (request) => {
        const token = authorize(request);
        if (isResponse(token)) return token;
        return {
          body: envelope({
            data: {
              accessor: token.accessor,
              creation_time: Math.floor(token.createdAt / 1000),
              creation_ttl: token.ttlSeconds,
              display_name: 'token-certctl',
              expire_time: token.ttlSeconds === 0 ? null : new Date(token.expiresAt).toISOString(),
              explicit_max_ttl: token.maxExpiresAt ? Math.round((token.maxExpiresAt - token.createdAt) / 1000) : 0,
              id: request.headers['x-vault-token'],
              policies: ['default', ...token.policies],
              renewable: token.renewable,
              ttl: remaining(token),
              type: 'service',
            },
          }),
        };
      },
      'POST /v1/auth/token/renew-self': (request) => {
        const token = authorize(request);
        if (isResponse(token)) return token;
        const { refusal } = body(request);
        if (refusal) return refusal;
        if (renewFailures > 0) {
          renewFailures--;
          return errors(503, 'Vault is sealed');
        }
        if (!token.renewable) return errors(400, 'lease is not renewable');
        renewals++;
        const warnings: string[] = [];
        let expiresAt = now() + token.incrementSeconds * 1000;
        if (token.maxExpiresAt !== undefined && expiresAt > token.maxExpiresAt) {
          expiresAt = token.maxExpiresAt;
          warnings.push(
            `TTL of "${token.incrementSeconds}s" exceeded the effective max_ttl of "${Math.round((token.maxExpiresAt - now()) / 1000)}s"; TTL value is capped accordingly`,
          );
        }
        token.expiresAt = expiresAt;
        return {
          body: envelope({
            warnings,
            auth: {
              client_token: request.headers['x-vault-token'],
              accessor: token.accessor,
              policies: ['default', ...token.policies],
              token_policies: ['default', ...token.policies],
              metadata: null,
              lease_duration: remaining(token),
              renewable: true,
              entity_id: '',
              token_type: 'service',
              orphan: true,
            },
          }),
        };
      },
      [`POST /v1/${mount}/sign/:role`]: async (request) => {
        const token = authorize(request, 'sign');
        if (isResponse(token)) return token;
        const { fields: parsed, refusal } = body(request);
        if (refusal) return refusal;
        const role = roles[request.params.role!];
        if (!role) return errors(400, `unknown role: ${request.params.role}`);
        if (typeof parsed.csr !== 'string' || parsed.csr.length === 0) return errors(400, 'csr is empty');
        let commonName: string;
        try {
          const csr = parseCsr(parsed.csr);
          commonName =
            typeof parsed.common_name === 'string' && parsed.common_name ? parsed.common_name : (csr.commonName ?? '');
        } catch {
          return errors(400, 'certificate request could not be parsed');
        }
        if (parsed.format !== undefined && parsed.format !== 'pem')
          return errors(400, `unsupported format "${String(parsed.format)}"`);
        const split = (value: unknown) =>
          typeof value === 'string' && value ? value.split(',').map((s) => s.trim()) : [];
        const altNames = split(parsed.alt_names);
        const dns = altNames.filter((name) => !name.includes('@'));
        const email = altNames.filter((name) => name.includes('@'));
        if (!allowedName(role, commonName)) return errors(400, `common name ${commonName} not allowed by this role`);
        const denied = dns.find((name) => !allowedName(role, name));
        if (denied) return errors(400, `subject alternative name ${denied} not allowed by this role`);
        const warnings: string[] = [];
        let ttl = role.maxTtlSeconds;
        if (parsed.ttl !== undefined) {
          const requested = parseVaultDuration(String(parsed.ttl));
          if (requested === undefined) return errors(400, `error parsing ttl: invalid duration ${String(parsed.ttl)}`);
          ttl = requested;
        }
        if (ttl > role.maxTtlSeconds) {
          warnings.push(
            `TTL "${ttl}s" is longer than permitted maxTTL "${role.maxTtlSeconds}s", so maxTTL is being used`,
          );
          ttl = role.maxTtlSeconds;
        }
        const leaf = await pkiCa.issue({
          csrPem: parsed.csr,
          commonName,
          sans: {
            dns: dns.includes(commonName) ? dns : [commonName, ...dns],
            ip: split(parsed.ip_sans),
            email,
            uri: split(parsed.uri_sans),
          },
          notBefore: new Date(now() - 30_000),
          validitySeconds: ttl + 30,
        });
        issued.set(leaf.serial, { revoked: false, commonName });
        return {
          body: envelope({
            warnings,
            data: {
              certificate: leaf.certificatePem.trim(),
              issuing_ca: pkiCa.certificatePem.trim(),
              ca_chain: [pkiCa.certificatePem.trim()],
              serial_number: colonHex(leaf.serial),
              expiration: Math.floor(leaf.notAfter.getTime() / 1000),
            },
          }),
        };
      },
      [`POST /v1/${mount}/revoke`]: (request) => {
        const token = authorize(request, 'revoke');
        if (isResponse(token)) return token;
        const { fields: parsed, refusal } = body(request);
        if (refusal) return refusal;
        if (typeof parsed.serial_number !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(parsed.serial_number)) {
          return errors(400, 'serial_number must be colon-separated hex');
        }
        const serial = normalizeSerial(parsed.serial_number);
        const entry = issued.get(serial);
        if (!entry) return errors(400, `certificate with serial ${parsed.serial_number} not found.`);
        entry.revoked = true;
        const at = new Date(now());
        return {
          body: envelope({
            data: { revocation_time: Math.floor(at.getTime() / 1000), revocation_time_rfc3339: at.toISOString() },
          }),
        };
      },
      [`GET /v1/${mount}/cert/ca_chain`]: () => ({
        body: envelope({ data: { certificate: pkiCa.certificatePem, ca_chain: [pkiCa.certificatePem] } }),
      }),
    },
    handler: () => errors(404),
  });

  return {
    vendor,
    url: vendor.url,
    tlsCaPem: vendor.caPem!,
    pkiCa,
    issued,
    get renewals() {
      return renewals;
    },
    set renewals(value: number) {
      renewals = value;
    },
    get renewFailures() {
      return renewFailures;
    },
    set renewFailures(value: number) {
      renewFailures = value;
    },
    revokeToken(token) {
      tokens.delete(token);
    },
    addToken(token, tokenOptions) {
      const createdAt = now();
      tokens.set(token, {
        policies: tokenOptions.policies ?? ['sign', 'revoke'],
        renewable: tokenOptions.renewable ?? true,
        ttlSeconds: tokenOptions.ttlSeconds,
        createdAt,
        expiresAt: createdAt + tokenOptions.ttlSeconds * 1000,
        maxExpiresAt:
          tokenOptions.explicitMaxTtlSeconds === undefined
            ? undefined
            : createdAt + tokenOptions.explicitMaxTtlSeconds * 1000,
        incrementSeconds: tokenOptions.incrementSeconds ?? tokenOptions.ttlSeconds,
        accessor: randomUUID(),
      });
    },
    close: () => vendor.close(),
  };
}
