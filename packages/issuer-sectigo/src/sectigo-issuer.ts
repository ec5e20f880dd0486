/**
 * Sectigo Certificate Manager as an issuer: `POST /ssl/v1/enroll`, then the certificate's status
 * (`GET /ssl/v1/{sslId}`) and `GET /ssl/v1/collect/{sslId}/x509`, which answers "not collectable"
 * (400, code -183) until Sectigo has validated, approved and generated it. issue polls that for a
 * bounded while, then hands the enrollment to the server as a pending order followed by getOrder.
 */
import {
  checkedCsrKey,
  issuedCertificateFromBundle,
  pollUntil,
  splitCertificates,
  validateArgument,
} from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  DeadlineExceededError,
  type ExistingCertificate,
  type IssueRequest,
  type IssueResult,
  type IssuerInstance,
  MalformedInputError,
  type OrderResult,
  type PendingOrder,
  type RevocationReason,
  type RevokeRequest,
  VendorApiError,
} from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import { createSectigoClient, NOT_COLLECTABLE_CODE, sectigoError } from './sectigo-client.js';
import type { SectigoIssuerConfig } from './sectigo-config.js';

/** `GET /ssl/v1/{sslId}`: only what we read. */
export interface SectigoCertificateDetails {
  sslId: number;
  status: string;
  commonName?: string;
  serialNumber?: string;
  certType?: { id?: number; name?: string };
  orgId?: number;
  term?: number;
  comments?: string;
  rejectReason?: string;
  expires?: string;
}

/** Statuses in which Sectigo is still working on the enrollment. */
const WAITING = new Set([
  'requested',
  'applied',
  'approved',
  'awaiting approval',
  'enrolled - pending validation',
  'pending',
  'any',
]);

/** SCM's revocation reason texts. */
const REVOKE_REASON: Partial<Record<RevocationReason, string>> = {
  keyCompromise: 'Compromised',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation of Operation',
};

export type SectigoIssuer = Required<
  Pick<IssuerInstance, 'issue' | 'renew' | 'getOrder' | 'revoke' | 'listExisting' | 'testConnection' | 'stop'>
>;

function sslIdOf(orderId: string): string {
  if (!/^\d{1,12}$/.test(orderId))
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'order-id',
      message: `"${orderId.slice(0, 40)}" is not a Sectigo sslId (digits)`,
    });
  return orderId;
}

export function createSectigoIssuer(
  config: SectigoIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): SectigoIssuer {
  const client = createSectigoClient(config, ctx, version);

  /** The PEM bundle, or undefined while SCM answers "not collectable". */
  const collect = async (sslId: string, signal?: AbortSignal): Promise<string[] | undefined> => {
    try {
      const response = await client.call({
        method: 'GET',
        path: `ssl/v1/collect/${sslId}/x509`,
        signal,
        privilege: 'collect SSL certificates',
      });
      return splitCertificates(response.text());
    } catch (error) {
      if (
        VendorApiError.isInstance(error) &&
        error.status === 400 &&
        sectigoError(error.body)?.code === NOT_COLLECTABLE_CODE
      )
        return undefined;
      throw error;
    }
  };

  const details = (sslId: string, signal?: AbortSignal) =>
    client.json<SectigoCertificateDetails>({
      method: 'GET',
      path: `ssl/v1/${sslId}`,
      signal,
      privilege: 'view SSL certificates',
    });

  /** One look at an enrollment: issued and collected, still pending, or failed with Sectigo's reason. */
  const look = async (orderId: string, csrSpki: Uint8Array | undefined, signal?: AbortSignal): Promise<OrderResult> => {
    const sslId = sslIdOf(orderId);
    const info = await details(sslId, signal);
    const status = (info.status ?? '').toLowerCase();
    if (status === 'issued') {
      const pems = await collect(sslId, signal);
      if (!pems)
        return {
          status: 'pending',
          orderId,
          retryAfterSeconds: 15,
          detail: `Sectigo issued ${sslId} but it is not collectable yet`,
        };
      return issuedCertificateFromBundle(pems, {
        connector: CONNECTOR,
        source: `Sectigo sslId ${sslId}`,
        csrSpki,
        orderId,
      });
    }
    if (WAITING.has(status))
      return {
        status: 'pending',
        orderId,
        retryAfterSeconds: 60,
        detail: `Sectigo enrollment ${sslId} is ${info.status} (validation or approval at Sectigo)`,
      };
    if (status === 'rejected' || status === 'declined') {
      const why = info.rejectReason ?? '';
      return {
        status: 'failed',
        orderId,
        reason: `Sectigo ${info.status.toLowerCase()} enrollment ${sslId}${why ? `: ${why.slice(0, 300)}` : ''}`,
      };
    }
    return { status: 'failed', orderId, reason: `Sectigo enrollment ${sslId} is ${info.status}` };
  };

  /** After enrolling: poll up to issue_wait_seconds; the sslId is never lost to an error here. */
  const waitBriefly = async (orderId: string, csrSpki: Uint8Array, signal?: AbortSignal): Promise<IssueResult> => {
    let last: OrderResult | undefined;
    try {
      const done = await pollUntil<OrderResult>({
        check: async () => {
          last = await look(orderId, csrSpki, signal);
          return last.status === 'pending'
            ? { done: false, retryAfterSeconds: undefined }
            : { done: true, value: last };
        },
        description: `Sectigo enrollment ${orderId}`,
        connector: CONNECTOR,
        schedule: [2_000, 5_000, 10_000],
        maxWaitMs: config.issue_wait_seconds * 1000,
        signal,
        clock: ctx.clock,
        logger: ctx.logger,
      });
      if (done.status === 'failed')
        throw new ConnectorError({ connector: CONNECTOR, message: done.reason, retryable: false });
      return done;
    } catch (error) {
      if (
        ConnectorError.isInstance(error) &&
        !DeadlineExceededError.isInstance(error) &&
        !VendorApiError.isInstance(error)
      )
        throw error;
      if (!DeadlineExceededError.isInstance(error))
        ctx.logger.warn(
          { ssl_id: orderId, error: (error as Error).message },
          'checking the new Sectigo enrollment failed; it stays pending',
        );
      const pending: PendingOrder =
        last?.status === 'pending'
          ? last
          : { status: 'pending', orderId, retryAfterSeconds: 60, detail: `Sectigo enrollment ${orderId} submitted` };
      return pending;
    }
  };

  const enroll = async (request: IssueRequest, renewalOf?: string): Promise<IssueResult> => {
    const { spki } = await checkedCsrKey(request.csrPem, { connector: CONNECTOR });
    // SCM has no validity field: the term is the validity, and a profile's max TTL cannot shorten it.
    if (request.maxTtlSeconds !== undefined && request.maxTtlSeconds < config.term * 86_400)
      throw new ConnectorError({
        connector: CONNECTOR,
        retryable: false,
        message: `the profile allows at most ${Math.floor(request.maxTtlSeconds / 86_400)} days but term is ${config.term} days; set term to a shorter one the cert type allows, or raise the profile's max TTL`,
      });
    const sans = [...new Set([request.commonName, ...request.sans.dns])];
    const enrolled = await client.json<{ sslId?: number; renewId?: string }>({
      method: 'POST',
      path: 'ssl/v1/enroll',
      privilege: 'enroll SSL certificates',
      signal: request.signal,
      body: {
        orgId: config.org_id,
        csr: request.csrPem,
        certType: config.cert_type,
        term: config.term,
        subjAltNames: sans.join(','),
        comments: renewalOf
          ? `certctl renewal of sslId ${renewalOf} (${request.requestId})`
          : `certctl request ${request.requestId}`,
        externalRequester: '',
      },
    });
    if (typeof enrolled?.sslId !== 'number')
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'sectigo-response',
        message: 'enroll returned no sslId',
      });
    const orderId = String(enrolled.sslId);
    ctx.logger.info(
      { ssl_id: orderId, cert_type: config.cert_type, renewal_of: renewalOf },
      'Sectigo enrollment submitted',
    );
    ctx.metrics.increment('sectigo_enrollments_total', { cert_type: String(config.cert_type) });
    return waitBriefly(orderId, spki, request.signal);
  };

  return {
    issue: (request) => enroll(request),
    renew: (request) =>
      enroll(
        request,
        /^\d{1,12}$/.test(request.metadata.previous_order_id ?? '') ? request.metadata.previous_order_id : undefined,
      ),
    getOrder: (orderId, options) => look(orderId, undefined, options?.signal),
    async revoke(request: RevokeRequest) {
      const serial = validateArgument(request.serial, 'hex-serial', CONNECTOR).toUpperCase();
      try {
        await client.call({
          method: 'POST',
          path: `ssl/v1/revoke/serial/${serial}`,
          privilege: 'revoke SSL certificates',
          signal: request.signal,
          body: { reason: REVOKE_REASON[request.reason] ?? 'Unspecified' },
        });
      } catch (error) {
        if (VendorApiError.isInstance(error) && error.status === 404)
          throw new ConnectorError({
            connector: CONNECTOR,
            retryable: false,
            message: `Sectigo holds no certificate with serial ${serial.toLowerCase()}; revoke it where it was issued`,
            cause: error,
          });
        throw error;
      }
      ctx.logger.info({ serial: request.serial, reason: request.reason }, 'Sectigo revoked the certificate');
    },
    async *listExisting(options) {
      const size = 200;
      for (let position = 0; ; position += size) {
        const page = await client.json<{ sslId?: number }[]>({
          method: 'GET',
          path: 'ssl/v1',
          query: { position: String(position), size: String(size) },
          signal: options?.signal,
          privilege: 'view SSL certificates',
        });
        for (const entry of page) {
          if (typeof entry.sslId !== 'number') continue;
          const sslId = String(entry.sslId);
          const info = await details(sslId, options?.signal);
          const status = (info.status ?? '').toLowerCase();
          if (status !== 'issued' && status !== 'expired') continue;
          const pems = await collect(sslId, options?.signal);
          if (!pems) continue;
          const issued = issuedCertificateFromBundle(pems, {
            connector: CONNECTOR,
            source: `Sectigo sslId ${sslId}`,
            orderId: sslId,
          });
          const item: ExistingCertificate = {
            certificatePem: issued.certificatePem,
            chainPem: issued.chainPem,
            orderId: sslId,
            metadata: {
              product: String(info.certType?.id ?? ''),
              product_name: info.certType?.name ?? '',
              status: info.status,
              common_name: info.commonName ?? '',
              organization_id: String(info.orgId ?? ''),
            },
          };
          yield item;
        }
        if (page.length < size) return;
      }
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      const types = await client.json<{ id?: number; name?: string; terms?: number[] }[]>({
        method: 'GET',
        path: 'ssl/v1/types',
        signal: options?.signal,
        privilege: 'list SSL certificate types',
      });
      const type = types.find((t) => t.id === config.cert_type);
      if (!type)
        throw new ConnectorError({
          connector: CONNECTOR,
          retryable: false,
          message: `cert_type ${config.cert_type} is not one of this account's SSL types (${types.map((t) => `${t.id} ${t.name}`).join(', ') || 'none'}); set cert_type to one of them`,
        });
      if (type.terms && !type.terms.includes(config.term))
        throw new ConnectorError({
          connector: CONNECTOR,
          retryable: false,
          message: `term ${config.term} is not allowed for ${type.name}; allowed: ${type.terms.join(', ')}`,
        });
      return {
        ok: true,
        detail: `credentials valid for ${config.customer_uri}; cert type ${type.id} (${type.name}), term ${config.term} days`,
      };
    },
    stop: () => client.close(),
  };
}
