/** Secrets Manager's error names (`__type`) turned into certctl's typed errors, each saying what to grant or fix. */
import { AuthenticationError, ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface AwsSmCallFacts {
  operation: 'ListSecrets' | 'GetSecretValue';
  region: string;
  secretArn?: string;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
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
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
/** Errors about one secret: the scan skips it and goes on. */
export const PER_SECRET_ERRORS = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'DecryptionFailure']);

/** The vendor's error name, kept on the typed error for the scan's per-secret decisions. */
const AWS_CODE = Symbol('certctl.discovery-awssm.code');

export function awsSmErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as Record<symbol, unknown>)[AWS_CODE] as string | undefined)
    : undefined;
}

/** Secrets Manager's own message is about the request (never a secret value); bounded and single-line. */
const vendorText = (error: SdkErrorShape) => (error.message ?? '').replace(/\s+/g, ' ').slice(0, 300);

export function toAwsSmError(error: unknown, facts: AwsSmCallFacts): unknown {
  if (ConnectorError.isInstance(error)) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  // Cancellation is passed through as is: the caller asked for it.
  if (sdk.name === 'AbortError') return error;
  const typed = describe(sdk, facts);
  Object.defineProperty(typed, AWS_CODE, { value: sdk.name ?? 'Error' });
  return typed;
}

function describe(sdk: SdkErrorShape, facts: AwsSmCallFacts): ConnectorError {
  const name = sdk.name ?? 'Error';
  const status = sdk.$metadata?.httpStatusCode;
  const attempts = sdk.$metadata?.attempts ?? 1;
  const resource = facts.secretArn ?? `arn:aws:secretsmanager:${facts.region}:<account>:secret:*`;
  const what = `${facts.operation}${facts.secretArn ? ` on ${facts.secretArn}` : ''}`;
  if (name === 'AccessDeniedException') {
    const action =
      facts.operation === 'ListSecrets'
        ? 'secretsmanager:ListSecrets on *'
        : `secretsmanager:GetSecretValue on ${resource} (and kms:Decrypt on its KMS key)`;
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${what} was refused (AccessDeniedException): grant ${action} to the server's IAM role (docs/discovery-awssm.md has the policy)`,
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `AWS rejected the server's credentials for ${facts.operation} (${name}): check the default credential chain on the server host (instance profile, IRSA, AWS_PROFILE or SSO session, clock skew); certctl keeps no AWS keys in its config`,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      message: `${what}: the secret is gone or has no current version (ResourceNotFoundException)`,
    });
  }
  if (name === 'DecryptionFailure') {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${what}: Secrets Manager could not decrypt the secret (DecryptionFailure): grant kms:Decrypt on the secret's KMS key to the server's IAM role`,
    });
  }
  if (THROTTLING_ERRORS.has(name)) {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: true,
      message: `${what}: Secrets Manager throttled the call (${name}) after ${attempts} attempt(s): the next scheduled scan retries; raise max_attempts or narrow name_prefix/tag_filter`,
    });
  }
  if (name === 'InvalidNextTokenException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: true,
      message: `${what}: the page token expired mid-scan (InvalidNextTokenException): the next scan starts over`,
    });
  }
  const server = (status ?? 0) >= 500 || name === 'InternalServiceError';
  return new VendorApiError({
    connector: CONNECTOR,
    ...(status !== undefined && { status }),
    retryable: server || name === 'TimeoutError',
    message: `${what} failed (${name}${status ? `, HTTP ${status}` : ''}): ${vendorText(sdk) || 'no message'}`,
  });
}
