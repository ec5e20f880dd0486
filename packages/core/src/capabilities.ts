/** Explicit capability flags; core fills defaults so a flag added later never breaks an older connector. */
export interface IssuerCapabilities {
  revoke: boolean;
  crl: boolean;
  ocsp: boolean;
  asyncOrders: boolean;
  renewalInfo: boolean;
  caChain: boolean;
  listExisting: boolean;
  testConnection: boolean;
  /** The issuer can generate the key itself (server-side keygen); the default is CSR only. */
  serverKeygen: boolean;
  /** The issuer manages a tree of CAs (listCas, createCa, setIssuingCa, retireCa). */
  caHierarchy: boolean;
}

export interface TargetCapabilities {
  dryRun: boolean;
  validate: boolean;
  /** Deploys to a remote host or API rather than local files (proxy agents). */
  remote: boolean;
  testConnection: boolean;
}

export interface NotifierCapabilities {
  /** Can close what it opened (PagerDuty, OpsGenie) through `resolve(dedupKey)`. */
  resolve: boolean;
  html: boolean;
  testConnection: boolean;
}

export interface DiscoveryCapabilities {
  testConnection: boolean;
}

export const DEFAULT_ISSUER_CAPABILITIES: IssuerCapabilities = Object.freeze({
  revoke: false,
  crl: false,
  ocsp: false,
  asyncOrders: false,
  renewalInfo: false,
  caChain: false,
  listExisting: false,
  testConnection: false,
  serverKeygen: false,
  caHierarchy: false,
});

export const DEFAULT_TARGET_CAPABILITIES: TargetCapabilities = Object.freeze({
  dryRun: false,
  validate: false,
  remote: false,
  testConnection: false,
});

export const DEFAULT_NOTIFIER_CAPABILITIES: NotifierCapabilities = Object.freeze({
  resolve: false,
  html: false,
  testConnection: false,
});

export const DEFAULT_DISCOVERY_CAPABILITIES: DiscoveryCapabilities = Object.freeze({
  testConnection: false,
});
