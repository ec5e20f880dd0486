import { randomBytes } from 'node:crypto';

/** Prefixed random ids as in the reference (`mc-…` certificate, `job-…` job, `t-…` team ...). */
export const ID_PREFIX = {
  team: 't',
  owner: 'o',
  issuer: 'iss',
  profile: 'prof',
  renewalPolicy: 'rp',
  agent: 'agent',
  apiKey: 'key',
  target: 'tgt',
  certificate: 'mc',
  version: 'certver',
  job: 'job',
  approval: 'ar',
  revocation: 'rev',
  audit: 'aud',
  discoveryScan: 'dscan',
  discovered: 'disc',
  networkScanTarget: 'nst',
  networkScan: 'nscan',
  healthCheck: 'hc',
  healthHistory: 'hch',
  discovery: 'dsrc',
  discoverySourceRun: 'dsrun',
  scepProbe: 'sprobe',
  notifier: 'ntf',
  notification: 'ntfy',
  policyRule: 'pol',
  agentGroup: 'ag',
  policyViolation: 'viol',
  http01Challenge: 'h01',
} as const;

export function newId(kind: keyof typeof ID_PREFIX): string {
  return `${ID_PREFIX[kind]}-${randomBytes(10).toString('hex')}`;
}
