/**
 * AWS SDK errors as certctl's typed errors. The SDK names the error type (`AccessDeniedException`,
 * `ResourceNotFoundException`, ...) in `name`; the action certctl called is known here, so a denial
 * says exactly which IAM action to grant.
 */
import { AuthenticationError, ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export type AcmPcaAction =
  | 'IssueCertificate'
  | 'GetCertificate'
  | 'RevokeCertificate'
  | 'GetCertificateAuthorityCertificate';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);
const CALLER_ERRORS = new Set([
  'InvalidArgsException',
  'InvalidArnException',
  'InvalidRequestException',
  'InvalidStateException',
  'MalformedCSRException',
  'ValidationException',
  'RequestFailedException',
  'LimitExceededException',
]);

/** Maps an error from `client.send` for `action` on `caArn`; a typed error passes through. */
export function acmPcaError(error: unknown, action: AcmPcaAction, caArn: string): ConnectorError {
  if (ConnectorError.isInstance(error)) return error;
  const sdk = (error ?? {}) as SdkError;
  const name = sdk.name ?? 'Error';
  const said = (sdk.message ?? '').slice(0, 300);
  const status = sdk.$metadata?.httpStatusCode;
  if (name === 'AccessDeniedException') {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `acm-pca:${action} was denied (${said}); allow "acm-pca:${action}" on ${caArn} for the IAM principal certctl runs as (docs/issuer-awsacmpca.md has the policy)`,
      cause: error,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new AuthenticationError({
      connector: CONNECTOR,
      message:
        'no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE for the certctl process, or give its host an IAM role (instance profile, ECS task role, EKS IRSA)',
      cause: error,
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `AWS refused the credentials for acm-pca:${action} (${name}: ${said}); check the access key, its secret and session token, or the role certctl assumes`,
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      body: said,
      message: `acm-pca:${action}: ${said || 'resource not found'}; check that ca_arn names an existing CA in the configured region (aws acm-pca describe-certificate-authority --certificate-authority-arn <arn>)`,
      cause: error,
    });
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    return new VendorApiError({
      connector: CONNECTOR,
      status: 429,
      body: said,
      message: `acm-pca:${action} was throttled after the SDK's retries (${said}); certctl retries later`,
      cause: error,
    });
  }
  if (CALLER_ERRORS.has(name)) {
    return new VendorApiError({
      connector: CONNECTOR,
      status: status ?? 400,
      retryable: false,
      body: said,
      message: `acm-pca:${action} was refused (${name}: ${said})`,
      cause: error,
    });
  }
  if (status === undefined) {
    return new VendorApiError({
      connector: CONNECTOR,
      message: `acm-pca:${action} failed before AWS answered (${name}: ${said}); check the network path to the ACM PCA endpoint`,
      cause: error,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status,
    body: said,
    message: `acm-pca:${action} failed (${status} ${name}: ${said})`,
    cause: error,
  });
}

/** The AWS error type (`RequestInProgressException`, ...) behind an error acmPcaError mapped. */
export function awsErrorType(error: unknown): string | undefined {
  const cause = (error as { cause?: { name?: unknown } } | undefined)?.cause;
  return typeof cause?.name === 'string' ? cause.name : undefined;
}
