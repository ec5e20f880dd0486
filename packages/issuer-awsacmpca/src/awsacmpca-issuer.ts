/**
 * AWS Private CA as an issuer: IssueCertificate with the CSR, the signing algorithm, a validity capped
 * by the profile and an optional template; GetCertificate until it is ready (bounded polling, then a
 * pending order the platform follows with getOrder); RevokeCertificate; the CA certificate as the chain.
 */
import { createHash } from 'node:crypto';
import { checkedCsrKey, issuedCertificateFromBundle, pollUntil, validateArgument } from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  DeadlineExceededError,
  type IssuedCertificate,
  type IssueRequest,
  type IssueResult,
  type IssuerInstance,
  MalformedInputError,
  type OrderResult,
  type RevocationReason,
  type RevokeRequest,
  UnsupportedOperationError,
  VendorApiError,
} from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { type AcmPcaClient, createAcmPcaClient } from './acm-pca-client.js';
import { awsErrorType } from './acm-pca-errors.js';
import { type AwsAcmPcaIssuerConfig, TEMPLATE_ARN } from './awsacmpca-config.js';
import { CONNECTOR } from './connector-name.js';

export interface AwsAcmPcaIssuer
  extends Required<Pick<IssuerInstance, 'getOrder' | 'revoke' | 'caChain' | 'testConnection' | 'stop'>> {
  issue(request: IssueRequest): Promise<IssueResult>;
  renew(request: IssueRequest): Promise<IssueResult>;
}

/** Waits between GetCertificate calls: issuance usually completes within a second or two. */
const POLL_SCHEDULE_MS = [200, 500, 1000, 2000, 5000];

const REASONS: Partial<Record<RevocationReason, string>> = {
  unspecified: 'UNSPECIFIED',
  keyCompromise: 'KEY_COMPROMISE',
  caCompromise: 'CERTIFICATE_AUTHORITY_COMPROMISE',
  affiliationChanged: 'AFFILIATION_CHANGED',
  superseded: 'SUPERSEDED',
  cessationOfOperation: 'CESSATION_OF_OPERATION',
  privilegeWithdrawn: 'PRIVILEGE_WITHDRAWN',
  aaCompromise: 'A_A_COMPROMISE',
};

/** The Validity of IssueCertificate: the configured days, or an absolute end when the profile allows less. */
export function validityFor(
  validityDays: number,
  maxTtlSeconds: number | undefined,
  now: Date,
): { Type: 'DAYS' | 'ABSOLUTE'; Value: number } {
  if (maxTtlSeconds === undefined || maxTtlSeconds >= validityDays * 86_400)
    return { Type: 'DAYS', Value: validityDays };
  return { Type: 'ABSOLUTE', Value: Math.floor(now.getTime() / 1000) + Math.max(60, Math.floor(maxTtlSeconds)) };
}

/** `0a:1b:...`, the hexadecimal form RevokeCertificate documents (as openssl prints serials). */
export function acmPcaSerial(serial: string): string {
  let hex = validateArgument(serial, 'hex-serial', CONNECTOR)
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
  if (hex.length % 2) hex = `0${hex}`;
  return hex.match(/../g)!.join(':');
}

export function createAwsAcmPcaIssuer(
  config: AwsAcmPcaIssuerConfig,
  ctx: ConnectorContext,
  version: string,
  client: AcmPcaClient = createAcmPcaClient(config, ctx, version),
): AwsAcmPcaIssuer {
  const caArn = config.ca_arn;
  const certificatePrefix = `${caArn}/certificate/`;

  /** The certificate behind `arn`, or undefined while ACM PCA is still issuing it. */
  const fetchIssued = async (arn: string, csrSpki: Uint8Array | undefined, signal?: AbortSignal) => {
    let output: Record<string, unknown>;
    try {
      output = await client.send('GetCertificate', { CertificateAuthorityArn: caArn, CertificateArn: arn }, signal);
    } catch (error) {
      if (awsErrorType(error) === 'RequestInProgressException') return undefined;
      throw error;
    }
    if (typeof output.Certificate !== 'string') {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'acm-pca-response',
        message: `GetCertificate returned no certificate for ${arn}`,
      });
    }
    const chain = typeof output.CertificateChain === 'string' ? [output.CertificateChain] : [];
    return issuedCertificateFromBundle([output.Certificate, ...chain], {
      connector: CONNECTOR,
      source: 'GetCertificate',
      ...(csrSpki ? { csrSpki } : {}),
      orderId: arn,
    });
  };

  const issue = async (request: IssueRequest): Promise<IssueResult> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    // A request profile names the certificate template, in place of template_arn.
    if (request.profile !== undefined && !TEMPLATE_ARN.test(request.profile)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'profile',
        message: `profile "${request.profile.slice(0, 80)}" is not a certificate template ARN (arn:aws:acm-pca:::template/<name>/V<n>)`,
      });
    }
    const templateArn = request.profile ?? config.template_arn;
    const output = await client.send(
      'IssueCertificate',
      {
        CertificateAuthorityArn: caArn,
        Csr: new TextEncoder().encode(request.csrPem),
        SigningAlgorithm: config.signing_algorithm,
        Validity: validityFor(config.validity_days, request.maxTtlSeconds, ctx.clock.now()),
        // The same request retried within minutes gets the same certificate, not a second one.
        IdempotencyToken: createHash('sha256').update(request.requestId).digest('hex').slice(0, 32),
        ...(templateArn ? { TemplateArn: templateArn } : {}),
      },
      request.signal,
    );
    const arn = output.CertificateArn;
    if (typeof arn !== 'string' || !arn.startsWith(certificatePrefix)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'acm-pca-response',
        message: 'IssueCertificate returned no certificate ARN of the configured CA',
      });
    }
    ctx.metrics.increment('awsacmpca_certificates_requested_total');
    try {
      return await pollUntil<IssuedCertificate>({
        check: async () => {
          const issued = await fetchIssued(arn, spki, request.signal);
          return issued ? { done: true, value: issued } : { done: false };
        },
        description: `certificate ${arn}`,
        connector: CONNECTOR,
        schedule: POLL_SCHEDULE_MS,
        maxWaitMs: config.poll_max_wait_seconds * 1000,
        clock: ctx.clock,
        logger: ctx.logger,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      if (!DeadlineExceededError.isInstance(error) || request.signal?.aborted) throw error;
      ctx.logger.warn({ certificateArn: arn }, 'ACM PCA has not finished issuing; handing back a pending order');
      return { status: 'pending', orderId: arn, retryAfterSeconds: 30, detail: 'RequestInProgressException' };
    }
  };

  return {
    issue,
    renew: issue,
    async getOrder(orderId, options): Promise<OrderResult> {
      if (!orderId.startsWith(certificatePrefix) || !/^[0-9a-f]{32}$/.test(orderId.slice(certificatePrefix.length))) {
        return { status: 'failed', orderId, reason: `not a certificate ARN of ${caArn}` };
      }
      try {
        const issued = await fetchIssued(orderId, undefined, options?.signal);
        return issued ?? { status: 'pending', orderId, retryAfterSeconds: 5, detail: 'RequestInProgressException' };
      } catch (error) {
        const name = awsErrorType(error);
        if (name === 'ResourceNotFoundException' || name === 'RequestFailedException') {
          return { status: 'failed', orderId, reason: (error as Error).message };
        }
        throw error;
      }
    },
    async revoke(request: RevokeRequest) {
      const reason = REASONS[request.reason];
      if (!reason) {
        throw new UnsupportedOperationError({
          connector: CONNECTOR,
          operation: `revoke with reason ${request.reason}`,
          message: `AWS Private CA has no ${request.reason}; revoke with another reason (e.g. superseded)`,
        });
      }
      try {
        await client.send(
          'RevokeCertificate',
          { CertificateAuthorityArn: caArn, CertificateSerial: acmPcaSerial(request.serial), RevocationReason: reason },
          request.signal,
        );
      } catch (error) {
        if (awsErrorType(error) !== 'RequestAlreadyProcessedException') throw error;
        ctx.logger.info({ serial: request.serial }, 'ACM PCA had already revoked the certificate');
        return;
      }
      ctx.logger.info({ serial: request.serial, reason }, 'ACM PCA revoked the certificate');
    },
    async caChain(options) {
      const output = await client.send(
        'GetCertificateAuthorityCertificate',
        { CertificateAuthorityArn: caArn },
        options?.signal,
      );
      const text = [output.Certificate, output.CertificateChain].filter((p) => typeof p === 'string').join('\n');
      const chain = parseCertificateBundle(text).map((c) => c.pem);
      if (chain.length === 0) {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `${caArn} has no CA certificate yet; install one (the CA is pending certificate)`,
        });
      }
      return [...new Set(chain)];
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const output = await client.send(
        'GetCertificateAuthorityCertificate',
        { CertificateAuthorityArn: caArn },
        options?.signal,
      );
      const [ca] = typeof output.Certificate === 'string' ? parseCertificateBundle(output.Certificate) : [];
      if (!ca)
        throw new VendorApiError({
          connector: CONNECTOR,
          status: 200,
          retryable: false,
          message: `${caArn} returned no CA certificate`,
        });
      return { ok: true, detail: `CA ${caArn} reachable (${ca.subject}, valid until ${ca.notAfter.toISOString()})` };
    },
    async stop() {
      client.close();
    },
  };
}
