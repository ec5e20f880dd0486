/**
 * The Entrust CA Gateway (`/v1/certificate-authorities/{caId}/...`): enrollments answered 200 with the
 * certificate or 201 with a tracking id when an administrator must approve, the enrollment looked up
 * by tracking id, revocation through a RevokeAction, and certificate events for import.
 */
import { ConfigValidationError, type IssueRequest, MalformedInputError, type RevocationReason } from '@certctl/core';
import { parseCertificateBundle } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { type EntrustApi, requestedLifetimeSeconds } from './entrust-api.js';
import type { EntrustIssuerConfig } from './entrust-config.js';
import type { EntrustHttp } from './entrust-http.js';
import type { EntrustOrder } from './entrust-order.js';

interface Enrollment {
  id?: string;
  trackingId?: string;
  status?: string;
  serialNumber?: string;
  body?: string;
  chain?: string[];
  statusMessage?: string;
}

const TRACKING_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const PROFILE_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** RFC 5280 names the Gateway's RevokeAction accepts. */
const GATEWAY_REASONS: Partial<Record<RevocationReason, string>> = {
  unspecified: 'unspecified',
  keyCompromise: 'keyCompromise',
  caCompromise: 'caCompromise',
  affiliationChanged: 'affiliationChanged',
  superseded: 'superseded',
  cessationOfOperation: 'cessationOfOperation',
  privilegeWithdrawn: 'privilegeWithdrawn',
};

/** The certificate a renewal replaces, when it parses (a renewal without it is still an enrollment). */
function renewedCertificate(pem: string | undefined): { serialNumber: string } | undefined {
  if (!pem) return undefined;
  try {
    return parseCertificateBundle(pem)[0];
  } catch {
    return undefined;
  }
}

export function createGatewayApi(config: EntrustIssuerConfig, http: EntrustHttp): EntrustApi {
  const caId = config.ca_id!;
  const base = `${config.api_url.replace(/\/+$/, '')}/v1/certificate-authorities/${encodeURIComponent(caId)}`;

  const toOrder = (enrollment: Enrollment | undefined, httpStatus: number, fallbackId?: string): EntrustOrder => {
    const orderId = enrollment?.trackingId ?? enrollment?.id ?? fallbackId;
    if (!orderId) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'entrust-response',
        message: 'the CA Gateway answered an enrollment without a tracking id',
      });
    }
    const status = (enrollment?.status ?? (httpStatus === 201 ? 'PENDING' : 'ISSUED')).toUpperCase();
    const metadata: Record<string, string> = { entrust_tracking_id: orderId, entrust_ca_id: caId };
    if (status === 'REJECTED' || status === 'DECLINED' || status === 'FAILED')
      return { orderId, state: 'declined', detail: enrollment?.statusMessage, chain: [], metadata };
    if (status === 'PENDING' || status === 'AWAITING_APPROVAL' || !enrollment?.body)
      return {
        orderId,
        state: 'pending',
        detail: 'awaiting approval by an Entrust administrator (CA Gateway)',
        chain: [],
        metadata,
      };
    return {
      orderId,
      state: status === 'REVOKED' ? 'revoked' : 'issued',
      certificate: enrollment.body,
      chain: enrollment.chain ?? [],
      metadata,
    };
  };

  const enroll = async (request: IssueRequest, renewal: boolean): Promise<EntrustOrder> => {
    const profileId = request.profile ?? config.profile_id;
    if (!profileId) {
      throw new ConfigValidationError({
        connector: CONNECTOR,
        issues: [{ path: 'profile_id', message: 'set profile_id (or a request profile) to enroll on the CA Gateway' }],
      });
    }
    if (!PROFILE_ID.test(profileId)) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'profile',
        message: `"${profileId.slice(0, 64)}" is not a CA Gateway profile id`,
      });
    }
    const lifetime = requestedLifetimeSeconds(request);
    // A renewal names the certificate it renews, as the Gateway documents for CAs that track renewals.
    const renewed = renewal ? renewedCertificate(request.replacesCertificatePem) : undefined;
    const response = await http.call(
      {
        method: 'POST',
        url: `${base}/enrollments`,
        body: {
          profileId,
          csr: request.csrPem,
          requiredFormat: { format: 'PEM' },
          includeCa: true,
          subjectAltNames: [
            ...request.sans.dns.map((value) => ({ type: 'dNSName', value })),
            ...request.sans.ip.map((value) => ({ type: 'iPAddress', value })),
          ],
          ...(renewed ? { renewal: true, properties: { RenewalSerialNumber: renewed.serialNumber } } : {}),
          ...(lifetime ? { optionalCertificateRequestDetails: { validityPeriod: `PT${lifetime}S` } } : {}),
        },
        signal: request.signal,
        idempotent: false,
      },
      { what: `enroll on CA ${caId} with profile ${profileId}`, permission: 'Enroll' },
    );
    return toOrder(response.json<{ enrollment?: Enrollment }>().enrollment, response.status);
  };

  const listProfiles = async (signal?: AbortSignal): Promise<{ id: string; name?: string }[]> => {
    const response = await http.call(
      { method: 'GET', url: `${base}/profiles`, signal },
      { what: `list the profiles of CA ${caId}`, permission: 'View Certificates' },
    );
    return (response.json<{ profiles?: { id?: string; name?: string }[] }>().profiles ?? [])
      .filter((p): p is { id: string; name?: string } => typeof p.id === 'string')
      .map((p) => ({ id: p.id, ...(p.name ? { name: p.name } : {}) }));
  };

  return {
    place: (request) => enroll(request, false),
    renew: (request) => enroll(request, request.replacesCertificatePem !== undefined),
    async lookup(orderId, signal) {
      if (!TRACKING_ID.test(orderId)) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'order-id',
          message: `"${orderId.slice(0, 64)}" is not a CA Gateway tracking id`,
        });
      }
      const response = await http.call(
        { method: 'GET', url: `${base}/enrollments/${encodeURIComponent(orderId)}`, signal },
        { what: `look up enrollment ${orderId} on CA ${caId}`, permission: 'View Certificates' },
      );
      return toOrder(response.json<{ enrollment?: Enrollment }>().enrollment, response.status, orderId);
    },
    async revoke(request) {
      const response = await http.call(
        {
          method: 'POST',
          url: `${base}/certificates/${encodeURIComponent(request.serial)}/actions`,
          body: {
            action: {
              type: 'RevokeAction',
              reason: GATEWAY_REASONS[request.reason] ?? 'unspecified',
              comment: `revoked by certctl (${request.reason})`,
              succeedIfAlreadyInRequestedState: true,
            },
          },
          signal: request.signal,
          // Revoking again is harmless (succeedIfAlreadyInRequestedState), so a lost answer may be retried.
          idempotent: true,
        },
        { what: `revoke certificate ${request.serial} on CA ${caId}`, permission: 'Revoke Certificates' },
      );
      const action = response.json<{ action?: { status?: string } }>().action;
      if (action?.status === 'REJECTED') {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'entrust-response',
          message: `the CA Gateway rejected revoking ${request.serial}`,
        });
      }
    },
    async *list(signal) {
      let next: string | undefined;
      // Events come in time order and a revocation may follow its issuance pages later, so the
      // list is read to the end before anything is yielded.
      const revoked = new Set<string>();
      const seen: EntrustOrder[] = [];
      for (let page = 0; page < 10_000; page++) {
        const query = next ? `nextPageIndex=${encodeURIComponent(next)}` : 'startDate=2000-01-01T00:00:00.000Z';
        const response = await http.call(
          { method: 'GET', url: `${base}/certificate-events?${query}`, signal },
          { what: `list certificate events of CA ${caId}`, permission: 'View Certificates' },
        );
        const body = response.json<{
          events?: { action?: string; serialNumber?: string; certificate?: string; eventDate?: string }[];
          morePages?: boolean;
          nextPageIndex?: string;
        }>();
        for (const event of body.events ?? []) {
          if (!event.serialNumber) continue;
          if (event.action === 'revoked') revoked.add(event.serialNumber);
          else if (event.action === 'issued' && event.certificate) {
            seen.push({
              orderId: event.serialNumber,
              state: 'issued',
              certificate: event.certificate,
              chain: [],
              metadata: { entrust_ca_id: caId, entrust_serial: event.serialNumber },
            });
          }
        }
        if (!body.morePages || !body.nextPageIndex) break;
        next = body.nextPageIndex;
      }
      for (const order of seen) yield revoked.has(order.orderId) ? { ...order, state: 'revoked' as const } : order;
    },
    async metadata(signal) {
      return { api_mode: 'ca_gateway', ca_id: caId, profiles: await listProfiles(signal) };
    },
    async test(signal) {
      const profiles = (await listProfiles(signal)).map((p) => p.id);
      if (config.profile_id && !profiles.includes(config.profile_id)) {
        throw new ConfigValidationError({
          connector: CONNECTOR,
          issues: [
            {
              path: 'profile_id',
              message: `profile ${config.profile_id} is not offered by CA ${caId} (it offers ${profiles.join(', ') || 'none'})`,
            },
          ],
        });
      }
      return `CA Gateway reachable with the client certificate, CA ${caId} offers ${profiles.length} profile(s)`;
    },
  };
}
