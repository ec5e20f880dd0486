/**
 * Vault PKI as an issuer: `POST /v1/<mount>/sign/<role>` with the CSR, a TTL capped by the profile,
 * `POST /v1/<mount>/revoke`, the CA chain, and the token kept alive by token-renewal.
 */
import { assertCertifiesCsrKey, checkedCsrKey, validateArgument } from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type RevokeRequest,
} from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { createTokenRenewal, lookupSelf, type TokenRenewal } from './token-renewal.js';
import { createVaultClient, type VaultClient, type VaultResponse } from './vault-client.js';
import { ROLE_NAME, type VaultIssuerConfig } from './vault-config.js';
import { parseVaultDuration } from './vault-duration.js';

/** `data` of a sign response. */
interface SignData {
  certificate: string;
  issuing_ca?: string;
  ca_chain?: string[] | null;
  serial_number: string;
  expiration?: number;
}

export interface VaultIssuer
  extends Required<Pick<IssuerInstance, 'revoke' | 'caChain' | 'testConnection' | 'start' | 'stop'>> {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
  /** The renewal loop's state, for the operator and tests. */
  readonly tokenRenewal: TokenRenewal;
}

/** `39:dd:2e:...`, the form Vault's revoke endpoint takes. */
export function vaultSerial(serial: string): string {
  let hex = validateArgument(serial, 'hex-serial', CONNECTOR).replace(/^0+(?=.)/, '');
  if (hex.length % 2) hex = `0${hex}`;
  return hex.match(/../g)!.join(':');
}

export function createVaultIssuer(config: VaultIssuerConfig, ctx: ConnectorContext, version: string): VaultIssuer {
  const client: VaultClient = createVaultClient(config, ctx, version);
  const renewal = createTokenRenewal(client, ctx);
  const configuredTtl = parseVaultDuration(config.ttl)!;
  const mount = config.mount;

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    const { spki: csrSpki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const role = request.profile ?? config.role;
    if (!ROLE_NAME.test(role)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'profile',
        message: `"${role.slice(0, 64)}" is not a Vault role name`,
      });
    }
    const ttl = Math.max(1, Math.floor(Math.min(configuredTtl, request.maxTtlSeconds ?? Number.POSITIVE_INFINITY)));
    const response = await client.post<VaultResponse<SignData>>(
      `${mount}/sign/${role}`,
      {
        csr: request.csrPem,
        common_name: request.commonName,
        alt_names: [...request.sans.dns, ...request.sans.email].join(','),
        ip_sans: request.sans.ip.join(','),
        uri_sans: request.sans.uri.join(','),
        ttl: `${ttl}s`,
        format: 'pem',
      },
      request.signal,
    );
    const data = response.data;
    if (!data || typeof data.certificate !== 'string') {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'vault-response',
        message: `sign/${role} returned no certificate`,
      });
    }
    let leafAndChain: ReturnType<typeof parseCertificateBundle>;
    let chain: ReturnType<typeof parseCertificateBundle>;
    try {
      leafAndChain = parseCertificateBundle(data.certificate);
      const chainPem = data.ca_chain && data.ca_chain.length > 0 ? data.ca_chain.join('\n') : (data.issuing_ca ?? '');
      chain = chainPem ? parseCertificateBundle(chainPem) : [];
    } catch (cause) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'certificate',
        message: `sign/${role} returned certificates that do not parse`,
        cause,
      });
    }
    const [leaf] = leafAndChain;
    assertCertifiesCsrKey(leaf, csrSpki, {
      connector: CONNECTOR,
      message: `sign/${role} returned a certificate that does not carry the CSR's public key`,
    });
    const reported = data.serial_number
      .replace(/:/g, '')
      .toLowerCase()
      .replace(/^(00)+(?=..)/, '');
    if (reported !== leaf.serialNumber) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `Vault reported serial ${data.serial_number} but the certificate has ${leaf.serialNumber}`,
      });
    }
    if (request.maxTtlSeconds !== undefined && response.warnings?.length) {
      ctx.logger.warn(
        { warnings: response.warnings, role },
        'Vault signed with warnings (a role max_ttl may have shortened the TTL)',
      );
    }
    ctx.metrics.increment('vault_certificates_issued_total', { role });
    return {
      status: 'issued',
      certificatePem: leaf.pem,
      chainPem: dedupe([...leafAndChain.slice(1), ...chain].map((c) => c.pem)),
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  };

  return {
    tokenRenewal: renewal,
    async start() {
      if (config.renew_token) await renewal.start();
      else await lookupSelf(client, ctx.signal);
    },
    async stop() {
      await renewal.stop();
      await client.close();
    },
    issue,
    renew: issue,
    async revoke(request: RevokeRequest) {
      const serial = vaultSerial(request.serial);
      await client.post(`${mount}/revoke`, { serial_number: serial }, request.signal);
      ctx.logger.info(
        { serial, reason: request.reason },
        'Vault revoked the certificate (Vault records no reason code)',
      );
    },
    async caChain(options) {
      const response = await client.get<VaultResponse<{ certificate?: string; ca_chain?: string[] }>>(
        `${mount}/cert/ca_chain`,
        options?.signal,
      );
      const text = response.data?.ca_chain?.length
        ? response.data.ca_chain.join('\n')
        : (response.data?.certificate ?? '');
      const chain = parseCertificateBundle(text).map((c) => c.pem);
      if (chain.length === 0) {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `${mount}/cert/ca_chain is empty; is the PKI mount configured with an issuer?`,
        });
      }
      return dedupe(chain);
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const lookup = await lookupSelf(client, options?.signal);
      return {
        ok: true,
        detail: `token valid (${lookup.ttl === 0 ? 'no expiry' : `TTL ${lookup.ttl} s, ${lookup.renewable ? 'renewable' : 'not renewable'}`}; policies ${(lookup.policies ?? []).join(', ') || 'none'}), mount ${mount}, role ${config.role}`,
      };
    },
  };
}

function dedupe(pems: string[]): string[] {
  return [...new Set(pems)];
}
