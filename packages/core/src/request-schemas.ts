import { z } from 'zod';
import type { ContractMethod } from './contract-methods.js';
import type { IssueRequest, RevokeRequest } from './issuer.js';
import { isRevocationReason, type RevocationReason } from './revocation-reason.js';
import type { DeployRequest } from './target.js';

const strings = z.array(z.string());
const stringRecord = z.record(z.string(), z.string());

// Loose objects: the runtime checks what the contract promises a connector and passes the caller's
// object on unchanged (the signal and any extra fields included).
const issueRequest = z.looseObject({
  csrPem: z.string(),
  commonName: z.string(),
  sans: z.looseObject({ dns: strings, ip: strings, email: strings, uri: strings }),
  extKeyUsages: strings,
  maxTtlSeconds: z.number().optional(),
  mustStaple: z.boolean(),
  profile: z.string().optional(),
  requestId: z.string(),
  replacesCertificatePem: z.string().optional(),
  metadata: stringRecord,
});

const revokeRequest = z.looseObject({
  serial: z.string(),
  reason: z.custom<RevocationReason>(isRevocationReason, 'expected an RFC 5280 reason name'),
  certificatePem: z.string().optional(),
});

const deployRequest = z.looseObject({
  certPem: z.string(),
  chainPem: z.string(),
  keyPem: z.string(),
  serial: z.string(),
  fingerprintSha256: z.string(),
  metadata: stringRecord,
});

// The compiler keeps these in step with the contract: a field added to a request type without its
// schema entry fails here.
type Checks<S extends z.ZodType, T> = z.output<S> extends Omit<T, 'signal'> ? S : never;
const checkedIssue: Checks<typeof issueRequest, IssueRequest> = issueRequest;
const checkedRevoke: Checks<typeof revokeRequest, RevokeRequest> = revokeRequest;
const checkedDeploy: Checks<typeof deployRequest, DeployRequest> = deployRequest;

/** The request (first argument) the runtime validates before it calls a connector's method. */
export const REQUEST_SCHEMAS: Partial<Record<ContractMethod, { name: string; schema: z.ZodType }>> = {
  issue: { name: 'IssueRequest', schema: checkedIssue },
  renew: { name: 'IssueRequest', schema: checkedIssue },
  revoke: { name: 'RevokeRequest', schema: checkedRevoke },
  deploy: { name: 'DeployRequest', schema: checkedDeploy },
};

/** `undefined` when the request matches its contract type, else a line naming each wrong field. */
export function requestProblem(method: ContractMethod, request: unknown): string | undefined {
  const entry = REQUEST_SCHEMAS[method];
  if (!entry) return undefined;
  const parsed = entry.schema.safeParse(request);
  if (parsed.success) return undefined;
  const fields = parsed.error.issues.map((issue) => {
    const path = ['request', ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
  return `${method}: the ${entry.name} does not match the contract (${fields.join('; ')})`;
}
