/** Key Vault and Azure AD errors turned into certctl's typed errors, each saying what to grant or fix. */
import { AuthenticationError, ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface AzureKvCallFacts {
  operation: string;
  /** `certificates/list`, `secrets/get`, ...: the access-policy permission (or RBAC data action) the call needs. */
  permission: string;
  vaultUrl: string;
  name?: string;
}

interface AzureErrorShape {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  errorResponse?: { error?: string; errorDescription?: string };
}

/** What @azure/identity throws when it cannot get a token. */
const AAD_ERRORS = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError']);
const AZ_STATUS = Symbol('certctl.discovery-azurekv.status');

/** The HTTP status behind a typed error made by `toAzureKvError` (401, 403, 404, 429, ...). */
export function azureKvErrorStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as Record<symbol, unknown>)[AZ_STATUS] as number | undefined)
    : undefined;
}

/** Errors about one object: the scan skips it and goes on. */
export function isPerObjectError(error: unknown): boolean {
  const status = azureKvErrorStatus(error);
  return status === 403 || status === 404;
}

/** Azure's messages name principals and vaults, never secret values; bounded and single-line. */
const vendorText = (error: AzureErrorShape) => (error.message ?? '').replace(/\s+/g, ' ').slice(0, 300);

export function toAzureKvError(error: unknown, facts: AzureKvCallFacts): unknown {
  if (ConnectorError.isInstance(error)) return error;
  const azure = (typeof error === 'object' && error !== null ? error : {}) as AzureErrorShape;
  if (azure.name === 'AbortError') return error;
  const typed = describe(azure, facts);
  Object.defineProperty(typed, AZ_STATUS, { value: azure.statusCode });
  return typed;
}

function describe(azure: AzureErrorShape, facts: AzureKvCallFacts): ConnectorError {
  const what = `${facts.operation}${facts.name ? ` of ${facts.name}` : ''} on ${facts.vaultUrl}`;
  if (AAD_ERRORS.has(azure.name ?? '')) {
    // Azure AD's error code (`invalid_client`), never its full text, which may echo request details.
    const code = azure.errorResponse?.error ?? /^([a-z_]+):/.exec(azure.message ?? '')?.[1];
    const aad = code ? ` (${code})` : '';
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `Azure AD refused a token for ${facts.operation}${aad}: check tenant_id, client_id and client_secret (not expired) or the host's managed identity`,
    });
  }
  const status = azure.statusCode;
  if (status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${what} was refused (401 ${azure.code ?? 'Unauthorized'}): the token was not accepted; check the tenant of the app registration and the vault`,
    });
  }
  if (status === 403) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${what} was refused (403 ${azure.code ?? 'Forbidden'}): grant ${facts.permission} to the principal (access policy, or the Key Vault Certificate User / Secrets User role with RBAC; docs/discovery-azurekv.md), or allow the host through the vault firewall`,
    });
  }
  if (status === 404) {
    return new VendorApiError({
      connector: CONNECTOR,
      status,
      retryable: false,
      message: `${what}: not found (${azure.code ?? 'NotFound'}); it was deleted during the scan`,
    });
  }
  if (status === 429) {
    return new VendorApiError({
      connector: CONNECTOR,
      status,
      retryable: true,
      message: `${what}: Key Vault throttled the requests (429) past max_retries: the next scheduled scan retries; raise max_retries or narrow name_prefix/tag_filter`,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    ...(status !== undefined && { status }),
    retryable: status === undefined || status >= 500,
    message: `${what} failed (${azure.code ?? azure.name ?? 'Error'}${status ? `, HTTP ${status}` : ''}): ${vendorText(azure) || 'no message'}`,
  });
}
