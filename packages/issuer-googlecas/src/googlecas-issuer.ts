/**
 * Google Certificate Authority Service as an issuer: CreateCertificate in a CA pool with the PEM CSR
 * and a lifetime capped by the profile, RevokeCertificate (found by serial), and the CA chain from
 * the pool (FetchCaCerts) or the configured CA (GetCertificateAuthority).
 */
import { createHash } from 'node:crypto';
import { checkedCsrKey, issuedCertificateFromBundle, validateArgument } from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type RevocationReason,
  type RevokeRequest,
  UnsupportedOperationError,
  VendorApiError,
} from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { type CasCertificate, type CasClient, createCasClient } from './cas-client.js';
import { grpcCode } from './cas-errors.js';
import { CONNECTOR } from './connector-name.js';
import { parseDuration } from './duration.js';
import { CERTIFICATE_TEMPLATE, type GoogleCasIssuerConfig } from './googlecas-config.js';

export interface GoogleCasIssuer
  extends Required<Pick<IssuerInstance, 'revoke' | 'caChain' | 'testConnection' | 'stop'>> {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
}

const REASONS: Partial<Record<RevocationReason, string>> = {
  unspecified: 'REVOCATION_REASON_UNSPECIFIED',
  keyCompromise: 'KEY_COMPROMISE',
  caCompromise: 'CERTIFICATE_AUTHORITY_COMPROMISE',
  affiliationChanged: 'AFFILIATION_CHANGED',
  superseded: 'SUPERSEDED',
  cessationOfOperation: 'CESSATION_OF_OPERATION',
  certificateHold: 'CERTIFICATE_HOLD',
  privilegeWithdrawn: 'PRIVILEGE_WITHDRAWN',
  aaCompromise: 'ATTRIBUTE_AUTHORITY_COMPROMISE',
};

/** A stable UUID for `seed`: CAS deduplicates requests by request_id, so a retry gets the same answer. */
export function requestUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function createGoogleCasIssuer(
  config: GoogleCasIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): GoogleCasIssuer {
  const client: CasClient = createCasClient(config, ctx, version);
  const pool = `projects/${config.project}/locations/${config.location}/caPools/${config.ca_pool}`;
  const ttlSeconds = parseDuration(config.ttl)!;

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    // A request profile names the certificate template, in place of certificate_template.
    if (request.profile !== undefined && !CERTIFICATE_TEMPLATE.test(request.profile)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'profile',
        message: `profile "${request.profile.slice(0, 80)}" is not a certificate template (projects/<project>/locations/<location>/certificateTemplates/<id>)`,
      });
    }
    const template = request.profile ?? config.certificate_template;
    const lifetime = Math.max(1, Math.floor(Math.min(ttlSeconds, request.maxTtlSeconds ?? Number.POSITIVE_INFINITY)));
    const certificateId = `certctl-${createHash('sha256').update(request.requestId).digest('hex').slice(0, 40)}`;
    let certificate: CasCertificate;
    try {
      certificate = await client.call(
        'CreateCertificate',
        pool,
        (calls) =>
          calls.createCertificate({
            parent: pool,
            certificateId,
            requestId: requestUuid(request.requestId),
            ...(config.certificate_authority_id
              ? { issuingCertificateAuthorityId: config.certificate_authority_id }
              : {}),
            certificate: {
              pemCsr: request.csrPem,
              lifetime: { seconds: lifetime },
              ...(template ? { certificateTemplate: template } : {}),
            },
          }),
        request.signal,
      );
    } catch (error) {
      // The same request id created it before (a retry after a lost answer): fetch what was issued.
      if (grpcCode(error) !== 6) throw error;
      const name = `${pool}/certificates/${certificateId}`;
      certificate = await client.call(
        'GetCertificate',
        name,
        (calls) => calls.getCertificate({ name }),
        request.signal,
      );
    }
    if (typeof certificate.pemCertificate !== 'string') {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'cas-response',
        message: `CreateCertificate in ${pool} returned no pemCertificate (is it a DevOps tier pool? certctl needs Enterprise tier to revoke)`,
      });
    }
    ctx.metrics.increment('googlecas_certificates_issued_total');
    return issuedCertificateFromBundle([certificate.pemCertificate, ...(certificate.pemCertificateChain ?? [])], {
      connector: CONNECTOR,
      source: 'CreateCertificate',
      csrSpki: spki,
      ...(certificate.name ? { orderId: certificate.name } : {}),
    });
  };

  return {
    issue,
    renew: issue,
    async revoke(request: RevokeRequest) {
      const reason = REASONS[request.reason];
      if (!reason) {
        throw new UnsupportedOperationError({
          connector: CONNECTOR,
          operation: `revoke with reason ${request.reason}`,
          message: 'Google CAS cannot take a certificate off hold with a revocation; revoke with another reason',
        });
      }
      const serial = validateArgument(request.serial, 'hex-serial', CONNECTOR).toLowerCase();
      const found = await client.call(
        'ListCertificates',
        pool,
        (calls) =>
          calls.listCertificates({
            parent: pool,
            filter: `certificate_description.subject_description.hex_serial_number="${serial}"`,
          }),
        request.signal,
      );
      const name = found.find((c) => c.name)?.name;
      if (!name) {
        throw new VendorApiError({
          connector: CONNECTOR,
          status: 404,
          retryable: false,
          message: `no certificate with serial ${serial} in ${pool}; was it issued from another pool?`,
        });
      }
      try {
        await client.call(
          'RevokeCertificate',
          name,
          (calls) =>
            calls.revokeCertificate({
              name,
              reason,
              requestId: requestUuid(`revoke:${name}:${request.reason}`),
            }),
          request.signal,
        );
      } catch (error) {
        if (grpcCode(error) !== 9 || !/already/i.test((error as Error).message)) throw error;
        ctx.logger.info({ serial, name }, 'CAS had already revoked the certificate');
        return;
      }
      ctx.logger.info({ serial, name, reason }, 'CAS revoked the certificate');
    },
    async caChain(options) {
      let pems: string[];
      if (config.certificate_authority_id) {
        const name = `${pool}/certificateAuthorities/${config.certificate_authority_id}`;
        const ca = await client.call(
          'GetCertificateAuthority',
          name,
          (calls) => calls.getCertificateAuthority({ name }),
          options?.signal,
        );
        pems = ca.pemCaCertificates ?? [];
      } else {
        const response = await client.call(
          'FetchCaCerts',
          pool,
          (calls) => calls.fetchCaCerts({ caPool: pool, requestId: requestUuid(`fetch:${pool}:${Date.now()}`) }),
          options?.signal,
        );
        // Several CAs in the pool: the first chain; set certificate_authority_id to choose.
        pems = response.caCerts?.[0]?.certificates ?? [];
      }
      const chain = parseCertificateBundle(pems.join('\n')).map((c) => c.pem);
      if (chain.length === 0) {
        throw new ConnectorError({ connector: CONNECTOR, message: `${pool} has no enabled CA with a certificate` });
      }
      return [...new Set(chain)];
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const found = await client.call('GetCaPool', pool, (calls) => calls.getCaPool({ name: pool }), options?.signal);
      return { ok: true, detail: `CA pool ${found.name ?? pool} reachable as ${client.principal}` };
    },
    async stop() {
      await client.close();
    },
  };
}
