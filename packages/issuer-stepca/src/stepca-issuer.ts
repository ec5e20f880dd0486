/**
 * step-ca as an issuer: `POST /1.0/sign` with the CSR and a one-time token signed by the JWK
 * provisioner key, validity capped by the profile, and `POST /1.0/revoke` (passive) with its own token.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { assertCertifiesCsrKey, checkedCsrKey, validateArgument } from '@certctl/connector-utils';
import {
  ConfigValidationError,
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type RevokeRequest,
  revocationReasonCode,
} from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { createOneTimeToken } from './one-time-token.js';
import { loadProvisionerKey, type ProvisionerKey } from './provisioner-key.js';
import { createStepcaClient, type StepcaClient } from './stepca-client.js';
import type { StepcaIssuerConfig } from './stepca-config.js';

/** `POST /1.0/sign` response (201). */
interface SignResponse {
  crt: string;
  ca?: string;
  certChain?: string[];
}

export interface StepcaIssuer extends Required<Pick<IssuerInstance, 'revoke' | 'testConnection' | 'start' | 'stop'>> {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
}

interface Loaded {
  key: ProvisionerKey;
  client: StepcaClient;
  rootFingerprint: string;
}

/** Decimal, as step-ca's revoke endpoint reads serials. */
export function decimalSerial(serial: string): string {
  return BigInt(`0x${validateArgument(serial, 'hex-serial', CONNECTOR)}`).toString(10);
}

export function createStepcaIssuer(config: StepcaIssuerConfig, ctx: ConnectorContext, version: string): StepcaIssuer {
  const caUrl = config.ca_url.replace(/\/+$/, '');
  let loading: Promise<Loaded> | undefined;

  const load = () => {
    loading ??= (async () => {
      const rootPem = await readRoot(config.root_cert_path);
      const key = await loadProvisionerKey(config.provisioner_key_path, config.provisioner_password);
      const client = createStepcaClient(
        { caUrl, rootPem, timeoutMs: config.request_timeout_seconds * 1000, version },
        ctx,
      );
      const rootFingerprint = createHash('sha256').update(new X509Certificate(rootPem).raw).digest('hex');
      ctx.logger.info({ provisioner: config.provisioner_name, kid: key.kid }, 'step-ca provisioner key loaded');
      return { key, client, rootFingerprint };
    })();
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    const { spki: csrSpki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const { key, client, rootFingerprint } = await load();
    const now = ctx.clock.now();
    const sans = [...request.sans.dns, ...request.sans.ip, ...request.sans.email, ...request.sans.uri];
    const ott = await createOneTimeToken({
      key,
      provisionerName: config.provisioner_name,
      audience: `${caUrl}/1.0/sign`,
      subject: request.commonName,
      sans: sans.length > 0 ? sans : [request.commonName],
      rootFingerprint,
      now,
    });
    const lifetimeSeconds = Math.min(
      config.validity_days === undefined ? Number.POSITIVE_INFINITY : config.validity_days * 86_400,
      request.maxTtlSeconds ?? Number.POSITIVE_INFINITY,
    );
    const body: Record<string, string> = { csr: request.csrPem, ott };
    if (Number.isFinite(lifetimeSeconds))
      body.notAfter = new Date(now.getTime() + Math.floor(lifetimeSeconds) * 1000).toISOString();

    const response = await client.post<SignResponse>('/1.0/sign', body, request.signal);
    let certificates: ReturnType<typeof parseCertificateBundle>;
    try {
      const chain =
        response.certChain && response.certChain.length > 0 ? response.certChain : [response.crt, response.ca ?? ''];
      certificates = parseCertificateBundle([response.crt, ...chain].join('\n'));
    } catch (cause) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'certificate',
        message: '/1.0/sign returned certificates that do not parse',
        cause,
      });
    }
    const [leaf, ...rest] = certificates;
    assertCertifiesCsrKey(leaf, csrSpki, {
      connector: CONNECTOR,
      message: "/1.0/sign returned a certificate that does not carry the CSR's public key",
    });
    if (
      Number.isFinite(lifetimeSeconds) &&
      leaf.notAfter.getTime() > now.getTime() + lifetimeSeconds * 1000 + 5 * 60_000
    ) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `step-ca issued serial ${leaf.serialNumber} valid until ${leaf.notAfter.toISOString()}, past the requested notAfter; revoke it and check the provisioner's claims`,
      });
    }
    ctx.metrics.increment('stepca_certificates_issued_total');
    const chainPem = [...new Set(rest.map((c) => c.pem))].filter((pem) => pem !== leaf.pem);
    return {
      status: 'issued',
      certificatePem: leaf.pem,
      chainPem,
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  };

  return {
    async start() {
      await load();
    },
    async stop() {
      const loaded = await loading?.catch(() => undefined);
      await loaded?.client.close();
    },
    issue,
    renew: issue,
    async revoke(request: RevokeRequest) {
      const serial = decimalSerial(request.serial);
      const reasonCode = revocationReasonCode(request.reason);
      const { key, client, rootFingerprint } = await load();
      const ott = await createOneTimeToken({
        key,
        provisionerName: config.provisioner_name,
        audience: `${caUrl}/1.0/revoke`,
        subject: serial,
        rootFingerprint,
        now: ctx.clock.now(),
      });
      await client.post(
        '/1.0/revoke',
        { serial, ott, reasonCode, reason: request.reason, passive: true },
        request.signal,
      );
      ctx.logger.info({ serial: request.serial, reason: request.reason }, 'step-ca revoked the certificate');
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const { client, key } = await load();
      const health = await client.get<{ status?: string }>('/health', options?.signal);
      if (health.status !== 'ok')
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `/health answered ${JSON.stringify(health).slice(0, 100)}`,
        });
      return {
        ok: true,
        detail: `step-ca healthy over TLS pinned to root_cert_path; provisioner ${config.provisioner_name} key ${key.kid} decrypted`,
      };
    },
  };
}

async function readRoot(path: string): Promise<string> {
  const refuse = (message: string): never => {
    throw new ConfigValidationError({ connector: CONNECTOR, issues: [{ path: 'root_cert_path', message }] });
  };
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    refuse(`cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const certs = parseCertificateBundle(text);
    if (certs.length === 0) refuse(`${path} holds no PEM certificate`);
    return certs.map((c) => c.pem).join('');
  } catch (cause) {
    if (ConfigValidationError.isInstance(cause)) throw cause;
    return refuse(`${path} is not a PEM certificate`);
  }
}
