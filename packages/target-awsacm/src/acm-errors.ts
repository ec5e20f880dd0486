/** ACM's error names turned into certctl's typed errors, each saying what the operator has to grant or fix. */
import { AuthenticationError, type ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface AcmCallFacts {
  operation: string;
  region: string;
  arn?: string;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: unknown;
}

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);
const INPUT_ERRORS = new Set([
  'InvalidArgsException',
  'ValidationException',
  'InvalidParameterException',
  'InvalidArnException',
  'InvalidDomainValidationOptionsException',
]);
const TAG_ERRORS = new Set(['TooManyTagsException', 'InvalidTagException', 'TagPolicyException']);
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

const ACM_CODE = Symbol('certctl.target-awsacm.code');

/** ACM's error name (`__type`) behind a typed error made by `toAcmError`, e.g. `ResourceNotFoundException`. */
export function acmErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as Record<symbol, unknown>)[ACM_CODE] as string | undefined)
    : undefined;
}

/** ACM's own message is about the request (never echoes the key); bounded and single-line. */
const vendorText = (error: SdkErrorShape) => (error.message ?? '').replace(/\s+/g, ' ').slice(0, 300);

export function toAcmError(error: unknown, facts: AcmCallFacts): ConnectorError {
  const typed = describeAcmError(error, facts);
  const name = (typeof error === 'object' && error !== null ? (error as SdkErrorShape).name : undefined) ?? 'Error';
  Object.defineProperty(typed, ACM_CODE, { value: name });
  return typed;
}

function describeAcmError(error: unknown, facts: AcmCallFacts): ConnectorError {
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = sdk.name ?? 'Error';
  const status = sdk.$metadata?.httpStatusCode;
  const attempts = sdk.$metadata?.attempts;
  const resource = facts.arn ?? `arn:aws:acm:${facts.region}:<account>:certificate/*`;
  const what = `${facts.operation}${facts.arn ? ` on ${facts.arn}` : ''}`;
  if (name === 'AccessDeniedException') {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${what} was refused (AccessDeniedException): grant acm:${facts.operation} on ${resource} to the agent's IAM role (the README lists the minimum policy)`,
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `AWS rejected the agent's credentials for ${facts.operation} (${name}): check the default credential chain on the agent host (instance profile, IRSA, AWS_PROFILE or SSO session, clock skew); certctl keeps no AWS keys in its config`,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      message: `${what}: ACM has no such certificate in ${facts.region} (ResourceNotFoundException): check region and certificate_arn (CloudFront certificates live in us-east-1), or clear certificate_arn to import a new certificate`,
    });
  }
  if (name === 'LimitExceededException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      message: `${what}: the account's ACM quota is exhausted (LimitExceededException: ${vendorText(sdk)}): request an increase of "Imported certificates in last 365 days" in Service Quotas or delete unused imported certificates`,
    });
  }
  if (TAG_ERRORS.has(name)) {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      message: `${what}: ACM refused the tags (${name}: ${vendorText(sdk)}): fix the tags in the target config or your organisation's tag policy (at most 50 per certificate)`,
    });
  }
  if (INPUT_ERRORS.has(name)) {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      message: `${what}: ACM refused the request (${name}: ${vendorText(sdk)}): a re-import must keep the key type and size and carry the issuer in the chain; check certificate_arn and the certificate profile`,
    });
  }
  if (THROTTLING_ERRORS.has(name)) {
    return new VendorApiError({
      connector: CONNECTOR,
      status: 429,
      retryable: true,
      message: `${what}: ACM throttled the call (${name}) after ${attempts ?? 1} attempt(s): retry later, deploy to fewer ACM targets at once, or raise max_attempts`,
    });
  }
  if (name === 'RequestInProgressException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: true,
      message: `${what}: ACM is still processing a previous request for this certificate (RequestInProgressException): retry shortly`,
    });
  }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new VendorApiError({
      connector: CONNECTOR,
      retryable: true,
      message: `${what}: no answer from ACM in ${facts.region} in time (${name}): check the agent's route to the ACM endpoint (proxy, VPC endpoint)`,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status,
    message: `${what} failed (${name}${status ? `, HTTP ${status}` : ''}: ${vendorText(sdk)})`,
  });
}
