import type { AcmeServerConfig } from './acme-server-config.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

/** What every ACME handler runs with. */
export interface AcmeContext {
  deps: ServiceDeps;
  config: AcmeServerConfig;
  /** Queues challenge validation (bounded concurrency); set by the routes plugin. */
  scheduleValidation(challengeId: string): void;
}

/** The absolute URLs of one profile's ACME resources (RFC 8555 7.1). */
export function acmeUrls(base: string, profileId: string) {
  const root = `${base}/acme/profile/${encodeURIComponent(profileId)}`;
  return {
    root,
    directory: `${root}/directory`,
    newNonce: `${root}/new-nonce`,
    newAccount: `${root}/new-account`,
    newOrder: `${root}/new-order`,
    revokeCert: `${root}/revoke-cert`,
    keyChange: `${root}/key-change`,
    renewalInfo: `${root}/renewal-info`,
    account: (id: string) => `${root}/account/${id}`,
    accountOrders: (id: string) => `${root}/account/${id}/orders`,
    order: (id: string) => `${root}/order/${id}`,
    finalize: (id: string) => `${root}/order/${id}/finalize`,
    authz: (id: string) => `${root}/authz/${id}`,
    challenge: (id: string) => `${root}/challenge/${id}`,
    certificate: (id: string) => `${root}/cert/${id}`,
  };
}

export type AcmeUrls = ReturnType<typeof acmeUrls>;
