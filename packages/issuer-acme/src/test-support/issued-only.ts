import type { IssuedCertificate, IssueRequest, IssueResult } from '@certctl/core';
import type { AcmeIssuer } from '../acme-issuer.js';

/** An issuer whose orders complete within the call (http_served_by: issuer), typed so. */
export interface IssuingAcmeIssuer extends Omit<AcmeIssuer, 'issue' | 'renew'> {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
}

function issued(result: IssueResult): IssuedCertificate {
  if (result.status !== 'issued')
    throw new Error(`expected an issued certificate, got a pending order ${result.orderId}`);
  return result;
}

export function issuedOnly(issuer: AcmeIssuer): IssuingAcmeIssuer {
  return {
    ...issuer,
    issue: async (request) => issued(await issuer.issue(request)),
    renew: async (request) => issued(await issuer.renew(request)),
  };
}
