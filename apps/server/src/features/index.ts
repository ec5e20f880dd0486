import { acmeFeature } from './acme/acme-feature.js';
import { agentGroupsFeature } from './agent-groups/agent-groups-feature.js';
import { agentsFeature } from './agents/agents-feature.js';
import { certificatesFeature } from './certificates/certificates-feature.js';
import { crlOcspFeature } from './crl-ocsp/crl-ocsp-feature.js';
import { discoveryFeature } from './discovery/discovery-feature.js';
import { estFeature } from './est/est-feature.js';
import { issuanceFeature } from './issuance/issuance-feature.js';
import { issuersFeature } from './issuers/issuers-feature.js';
import { notificationsFeature } from './notifications/notifications-feature.js';
import { ownershipFeature } from './ownership/ownership-feature.js';
import { policiesFeature } from './policies/policies-feature.js';
import { policyRulesFeature } from './policy-rules/policy-rules-feature.js';
import { scepFeature } from './scep/scep-feature.js';
import type { ServerFeature } from './server-feature.js';
import { systemFeature } from './system/system-feature.js';
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
  agentGroupsFeature,
  discoveryFeature,
  notificationsFeature,
  acmeFeature,
  estFeature,
  scepFeature,
];
