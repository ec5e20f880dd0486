/**
 * EJBCA as an issuer: `POST /v1/certificate/pkcs10enroll` (the end entity is created or updated and
 * the certificate issued in one call), `PUT /v1/certificate/{issuer_dn}/{serial}/revoke`, the CA
 * chain from `/v1/ca/{subject_dn}/certificate/download`, and listExisting through `/v2/certificate/search`.
 */
import { randomBytes } from 'node:crypto';
import { checkedCsrKey, issuedCertificateFromBundle, validateArgument } from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  type ExistingCertificate,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type RevocationReason,
  type RevokeRequest,
  VendorApiError,
} from '@certctl/core';
import { derToPem, parseCertificateBundle } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { createEjbcaClient, type EjbcaClient } from './ejbca-client.js';
import type { EjbcaIssuerConfig } from './ejbca-config.js';

export interface EjbcaIssuer extends Required<Pick<IssuerInstance, 'revoke' | 'caChain' | 'testConnection' | 'stop'>> {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
  listExisting(options?: { signal?: AbortSignal }): AsyncGenerator<ExistingCertificate>;
}

interface EnrollResponse {
  certificate?: string;
  serial_number?: string;
  certificate_chain?: string[];
}

interface SearchResponse {
  certificates?: {
    certificate?: string;
    serial_number?: string;
    issuer_dn?: string;
    subject_dn?: string;
    username?: string;
  }[];
  pagination_summary?: { page_size?: number; current_page?: number; total_certs?: number };
}

const REASONS: Record<RevocationReason, string> = {
  unspecified: 'UNSPECIFIED',
  keyCompromise: 'KEY_COMPROMISE',
  caCompromise: 'CA_COMPROMISE',
  affiliationChanged: 'AFFILIATION_CHANGED',
  superseded: 'SUPERSEDED',
  cessationOfOperation: 'CESSATION_OF_OPERATION',
  certificateHold: 'CERTIFICATE_HOLD',
  removeFromCRL: 'REMOVE_FROM_CRL',
  privilegeWithdrawn: 'PRIVILEGES_WITHDRAWN',
  aaCompromise: 'AA_COMPROMISE',
};

const PAGE_SIZE = 100;
/** A bound on listExisting: 1000 pages of 100. */
const MAX_PAGES = 1000;

/** The end entity username for a request under the configured policy. */
export function endEntityUsername(
  config: Pick<EjbcaIssuerConfig, 'username_policy' | 'username_prefix'>,
  request: IssueRequest,
): string {
  const base =
    config.username_policy === 'request_id'
      ? `certctl-${request.requestId}`
      : request.commonName || request.sans.dns[0] || `certctl-${request.requestId}`;
  return `${config.username_prefix}${base}`.replace(/[^\w.@ -]/g, '_').slice(0, 250);
}

/** EJBCA's custom end time (ISO 8601 with an explicit UTC offset). */
export function ejbcaEndTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}

const pemOf = (base64Der: string) => derToPem(Buffer.from(base64Der, 'base64'), 'CERTIFICATE');

export function createEjbcaIssuer(config: EjbcaIssuerConfig, ctx: ConnectorContext, version: string): EjbcaIssuer {
  const client: EjbcaClient = createEjbcaClient(config, ctx, version);
  let caDn: Promise<string> | undefined;

  /** The subject DN of `ca_name` as EJBCA writes it (revocation and chain paths are keyed by it). */
  const caSubjectDn = (signal?: AbortSignal): Promise<string> => {
    caDn ??= (async () => {
      const response = await client.request('GET', '/v1/ca', undefined, signal);
      const list =
        response.json<{ certificate_authorities?: { name?: string; subject_dn?: string }[] }>()
          .certificate_authorities ?? [];
      const found = list.find((ca) => ca.name === config.ca_name);
      if (!found?.subject_dn) {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `EJBCA has no CA named "${config.ca_name}" visible to this client (it sees: ${list.map((ca) => ca.name).join(', ') || 'none'}); fix ca_name or the client's role`,
        });
      }
      return found.subject_dn;
    })();
    caDn.catch(() => {
      caDn = undefined;
    });
    return caDn;
  };

  const caChain = async (options?: { signal?: AbortSignal }): Promise<string[]> => {
    const dn = await caSubjectDn(options?.signal);
    const response = await client.request(
      'GET',
      `/v1/ca/${encodeURIComponent(dn)}/certificate/download`,
      undefined,
      options?.signal,
    );
    const chain = parseCertificateBundle(response.text()).map((c) => c.pem);
    if (chain.length === 0) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `EJBCA returned no certificate for CA ${config.ca_name}`,
      });
    }
    return [...new Set(chain)];
  };

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    const username = endEntityUsername(config, request);
    const response = await client.request(
      'POST',
      '/v1/certificate/pkcs10enroll',
      {
        certificate_request: request.csrPem,
        certificate_profile_name: request.profile ?? config.cert_profile,
        end_entity_profile_name: config.ee_profile,
        certificate_authority_name: config.ca_name,
        username,
        // A fresh enrollment code each time: certctl never enrolls with it again.
        password: randomBytes(18).toString('base64url'),
        include_chain: true,
        response_format: 'DER',
        ...(request.maxTtlSeconds !== undefined
          ? { end_time: ejbcaEndTime(new Date(ctx.clock.now().getTime() + request.maxTtlSeconds * 1000)) }
          : {}),
      },
      request.signal,
    );
    const body = response.json<EnrollResponse>();
    if (typeof body.certificate !== 'string') {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'ejbca-response',
        message: `pkcs10enroll answered ${response.status} without a certificate (approval pending?); check the end entity ${username} in EJBCA`,
      });
    }
    const issued = issuedCertificateFromBundle(
      [pemOf(body.certificate), ...(body.certificate_chain ?? []).map(pemOf)],
      {
        connector: CONNECTOR,
        source: 'pkcs10enroll',
        csrSpki: spki,
      },
    );
    if (body.serial_number && body.serial_number.toLowerCase().replace(/^(00)+(?=..)/, '') !== issued.serial) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `EJBCA reported serial ${body.serial_number} but the certificate has ${issued.serial}`,
      });
    }
    ctx.metrics.increment('ejbca_certificates_issued_total', { ca: config.ca_name });
    return issued;
  };

  return {
    issue,
    renew: issue,
    caChain,
    async revoke(request: RevokeRequest) {
      const serial = validateArgument(request.serial, 'hex-serial', CONNECTOR).toUpperCase();
      const dn = await caSubjectDn(request.signal);
      try {
        await client.request(
          'PUT',
          `/v1/certificate/${encodeURIComponent(dn)}/${serial}/revoke?reason=${REASONS[request.reason]}`,
          undefined,
          request.signal,
        );
      } catch (error) {
        if (!VendorApiError.isInstance(error) || error.status !== 409) throw error;
        ctx.logger.info({ serial }, 'EJBCA had already revoked the certificate');
        return;
      }
      ctx.logger.info({ serial, reason: REASONS[request.reason] }, 'EJBCA revoked the certificate');
    },
    async *listExisting(options) {
      const chain = await caChain(options);
      for (let page = 1; page <= MAX_PAGES; page++) {
        const response = await client.request(
          'POST',
          '/v2/certificate/search',
          {
            pagination: { page_size: PAGE_SIZE, current_page: page },
            criteria: [
              { property: 'CA', value: config.ca_name, operation: 'EQUAL' },
              { property: 'STATUS', value: 'CERT_ACTIVE', operation: 'EQUAL' },
            ],
          },
          options?.signal,
        );
        const body = response.json<SearchResponse>();
        const certificates = body.certificates ?? [];
        for (const found of certificates) {
          if (typeof found.certificate !== 'string') continue;
          let certificatePem: string;
          try {
            certificatePem = parseCertificateBundle(pemOf(found.certificate))[0]!.pem;
          } catch (cause) {
            ctx.logger.warn(
              { serial: found.serial_number, error: (cause as Error).message },
              'skipping a certificate EJBCA returned that does not parse',
            );
            continue;
          }
          yield {
            certificatePem,
            chainPem: chain,
            ...(found.issuer_dn && found.serial_number
              ? { orderId: `${found.issuer_dn}::${found.serial_number}` }
              : {}),
            metadata: {
              source: 'ejbca',
              ca_name: config.ca_name,
              ...(found.username ? { ejbca_username: found.username } : {}),
              ...(found.subject_dn ? { ejbca_subject_dn: found.subject_dn } : {}),
            },
          };
        }
        const total = body.pagination_summary?.total_certs;
        if (certificates.length < PAGE_SIZE || (total !== undefined && page * PAGE_SIZE >= total)) return;
      }
      ctx.logger.warn({ pages: MAX_PAGES }, 'listExisting stopped after the page limit');
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const dn = await caSubjectDn(options?.signal);
      return { ok: true, detail: `authenticated (${config.auth_mode}); CA "${config.ca_name}" is ${dn}` };
    },
    async stop() {
      await client.close();
    },
  };
}
