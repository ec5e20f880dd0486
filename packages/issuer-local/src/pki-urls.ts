/**
 * The URLs relying parties use to check what this CA issued, served by the app's plain-HTTP PKI
 * listener: the CRL, the OCSP responder and the CA certificate (AIA caIssuers).
 */
import type { ConnectorEnvironment } from '@certctl/core';

export interface PkiUrls {
  crl: string;
  ocsp: string;
  caIssuers: string;
}

/**
 * `<base>/.well-known/pki/{crl,ocsp,ca}/<instanceId>`, where base is the plain-HTTP PKI URL (falling
 * back to the public URL). Undefined when the app knows neither or has not named the instance.
 */
export function pkiUrlsFor(environment: ConnectorEnvironment): PkiUrls | undefined {
  const base = (environment.pkiHttpBaseUrl ?? environment.publicBaseUrl)?.replace(/\/+$/, '');
  const instanceId = environment.instanceId;
  if (!base || !instanceId) return undefined;
  const id = encodeURIComponent(instanceId);
  return {
    crl: `${base}/.well-known/pki/crl/${id}`,
    ocsp: `${base}/.well-known/pki/ocsp/${id}`,
    caIssuers: `${base}/.well-known/pki/ca/${id}`,
  };
}
