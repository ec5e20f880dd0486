import { acmeFeature } from './acme/acme-feature.js';
import { adminViewsFeature } from './admin-views/admin-views-feature.js';
import { agentGroupsFeature } from './agent-groups/agent-groups-feature.js';
import { agentHttp01Feature } from './agent-http01/agent-http01-feature.js';
import { agentsFeature } from './agents/agents-feature.js';
import { bulkOperationsFeature } from './bulk-operations/bulk-operations-feature.js';
import { certificatesFeature } from './certificates/certificates-feature.js';
import { cloudDiscoveryFeature } from './cloud-discovery/cloud-discovery-feature.js';
import { crlOcspFeature } from './crl-ocsp/crl-ocsp-feature.js';
import { deploymentsFeature } from './deployments/deployments-feature.js';
import { discoveryFeature } from './discovery/discovery-feature.js';
import { estFeature } from './est/est-feature.js';
import { healthChecksFeature } from './health-checks/health-checks-feature.js';
import { issuanceFeature } from './issuance/issuance-feature.js';
import { issuersFeature } from './issuers/issuers-feature.js';
import { networkScanFeature } from './network-scan/network-scan-feature.js';
import { notificationsFeature } from './notifications/notifications-feature.js';
import { ownershipFeature } from './ownership/ownership-feature.js';
import { policiesFeature } from './policies/policies-feature.js';
import { policyRulesFeature } from './policy-rules/policy-rules-feature.js';
import { scepFeature } from './scep/scep-feature.js';
import type { ServerFeature } from './server-feature.js';
import { serverTlsFeature } from './server-tls/server-tls-feature.js';
import { shortLivedFeature } from './short-lived/short-lived-feature.js';
import { systemFeature } from './system/system-feature.js';
import { webFeature } from './web/web-feature.js';
import { workflowFeature } from './workflow/workflow-feature.js';

/**
 * The server, feature by feature. A new feature is a folder under `features/` and one line here;
 * the order is the order of routes in the OpenAPI document and of loops at start.
 */
export const SERVER_FEATURES: readonly ServerFeature[] = [
  systemFeature,
  crlOcspFeature,
  ownershipFeature,
  policiesFeature,
  policyRulesFeature,
  issuersFeature,
  certificatesFeature,
  issuanceFeature,
  workflowFeature,
  agentsFeature,
  agentHttp01Feature,
  deploymentsFeature,
  bulkOperationsFeature,
  shortLivedFeature,
  serverTlsFeature,
  adminViewsFeature,
  agentGroupsFeature,
  discoveryFeature,
  networkScanFeature,
  cloudDiscoveryFeature,
  healthChecksFeature,
  notificationsFeature,
  acmeFeature,
  estFeature,
  scepFeature,
  webFeature,
];
