/**
 * ACME Renewal Information (RFC 9773), which acme-client does not implement: GET
 * `<renewalInfo>/<certID>` where certID is base64url(AKI keyIdentifier) "." base64url(serial).
 * A CA without ARI (no `renewalInfo` in its directory, or 404 for this certificate) yields
 * `undefined`, and the platform falls back to its renewal policy window.
 */
import type { RenewalInfo } from '@certctl/core';
import { VendorApiError } from '@certctl/core';
import { parseRetryAfter } from '@certctl/connector-utils';
import { ariCertificateId } from '@certctl/pki';
import type { AcmeHttpResponse } from './acme-transport.js';
import { CONNECTOR } from './connector-name.js';

export function renewalInfoUrl(renewalInfoBase: string, certificatePem: string): string {
  return `${renewalInfoBase.replace(/\/+$/, '')}/${ariCertificateId(certificatePem)}`;
}

/** Reads a renewalInfo response; a body that breaks RFC 9773 section 4.2 is a VendorApiError. */
export function parseRenewalInfo(response: AcmeHttpResponse, now: Date): RenewalInfo | undefined {
  if (response.status === 404) return undefined;
  const bodyText = typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
  if (response.status !== 200) {
    throw new VendorApiError({
      connector: CONNECTOR,
      status: response.status,
      body: bodyText,
      message: `renewalInfo answered ${response.status}`,
    });
  }
  const body = response.data as
    | { suggestedWindow?: { start?: unknown; end?: unknown }; explanationURL?: unknown }
    | undefined;
  const start = typeof body?.suggestedWindow?.start === 'string' ? new Date(body.suggestedWindow.start) : undefined;
  const end = typeof body?.suggestedWindow?.end === 'string' ? new Date(body.suggestedWindow.end) : undefined;
  if (
    !start ||
    !end ||
    Number.isNaN(start.getTime()) ||
    Number.isNaN(end.getTime()) ||
    end.getTime() <= start.getTime()
  ) {
    throw new VendorApiError({
      connector: CONNECTOR,
      status: response.status,
      body: bodyText,
      retryable: false,
      message: 'renewalInfo has no valid suggestedWindow (RFC 9773 requires start and end, start before end)',
    });
  }
  const info: RenewalInfo = { suggestedWindow: { start, end } };
  if (typeof body?.explanationURL === 'string') info.explanationUrl = body.explanationURL;
  const retryAfter = parseRetryAfter(response.headers['retry-after'], now);
  if (retryAfter !== undefined) info.retryAfterSeconds = retryAfter;
  return info;
}
