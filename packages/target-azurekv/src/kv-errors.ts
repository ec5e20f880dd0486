/** Azure SDK and Azure AD failures turned into certctl's typed errors, each saying what to grant or fix. */
import { AuthenticationError, type ConnectorError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

/** Which Key Vault permission an operation needs (access policy name, RBAC role). */
export interface KvCallFacts {
  operation: string;
  permission: 'certificates/get' | 'certificates/import' | 'certificates/update' | 'secrets/get';
  vaultUrl: string;
  certificateName: string;
  credentialMode: string;
}

interface AzureErrorShape {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  errorResponse?: { error?: string; errorDescription?: string };
  response?: { headers?: { get?(name: string): string | undefined } };
}

const KV_STATUS = Symbol('certctl.target-azurekv.status');

/** The HTTP status behind a typed error made by `toKvError` (404 tells "no certificate yet"). */
export function kvErrorStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as Record<symbol, unknown>)[KV_STATUS] as number | undefined)
    : undefined;
}

const ROLE = {
  'certificates/get': 'Key Vault Certificate User',
  'certificates/import': 'Key Vault Certificates Officer',
  'certificates/update': 'Key Vault Certificates Officer',
  'secrets/get': 'Key Vault Secrets User',
} as const;

/** A service message without identifiers a log should not keep: first line, bounded. */
const serviceText = (text: string | undefined) => (text ?? '').split(/\r?\n/)[0]!.slice(0, 300);
const aadCode = (text: string | undefined) => /AADSTS\d+/.exec(text ?? '')?.[0];

export function toKvError(error: unknown, facts: KvCallFacts): ConnectorError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as AzureErrorShape;
  const typed = describe(e, facts);
  if (e.statusCode !== undefined) Object.defineProperty(typed, KV_STATUS, { value: e.statusCode });
  return typed;
}

function describe(e: AzureErrorShape, facts: KvCallFacts): ConnectorError {
  const where = `${facts.operation} on ${facts.certificateName} in ${facts.vaultUrl}`;
  if (e.name === 'CredentialUnavailableError') {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${where}: no ${facts.credentialMode === 'managed_identity' ? 'managed identity' : 'credential'} is available on this host (${serviceText(e.message)}): assign a managed identity to the VM, App Service or pod (client_id for a user-assigned one), or use credential_mode client_secret`,
    });
  }
  if (
    e.name === 'AuthenticationError' ||
    e.name === 'AggregateAuthenticationError' ||
    e.name === 'AuthenticationRequiredError'
  ) {
    const code = aadCode(e.errorResponse?.errorDescription ?? e.message);
    const kind = e.errorResponse?.error ?? /^(\w+):/.exec(e.message ?? '')?.[1] ?? 'error';
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${where}: Azure AD refused the credential (${kind}${code ? ` ${code}` : ''}): check tenant_id, client_id and client_secret (an expired or wrong secret is AADSTS7000215), or the managed identity's assignment`,
    });
  }
  if (/challenge (resource|origin)|request URL must use HTTPS/i.test(e.message ?? '')) {
    return new VendorApiError({
      connector: CONNECTOR,
      retryable: false,
      message: `${where}: Key Vault's authentication challenge does not match vault_url (${serviceText(e.message)}): use the vault's https://<name>.vault.azure.net URL, or set challenge_resource_verification to false for a vault behind a custom domain`,
    });
  }
  const status = e.statusCode;
  if (status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${where}: Key Vault refused the token (401 ${serviceText(e.message)}): the vault may be in another tenant than tenant_id`,
    });
  }
  if (status === 403) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${where}: Key Vault refused (403): grant "${facts.permission.replace('/', ' ')}" in the vault's access policy, or the "${ROLE[facts.permission]}" role with Azure RBAC, to the ${facts.credentialMode === 'managed_identity' ? 'managed identity' : 'app registration (client_id)'}; a vault firewall can also answer 403`,
    });
  }
  if (status === 404) {
    return new VendorApiError({
      connector: CONNECTOR,
      status,
      retryable: false,
      message: `${where}: not found (${serviceText(e.message)})`,
    });
  }
  if (status === 409) {
    return new VendorApiError({
      connector: CONNECTOR,
      status,
      retryable: false,
      message: `${where}: the name belongs to a soft-deleted certificate (409 ${serviceText(e.message)}): recover it (az keyvault certificate recover) or purge it, or choose another certificate_name`,
    });
  }
  if (status === 429) {
    return new VendorApiError({
      connector: CONNECTOR,
      status,
      retryable: true,
      message: `${where}: Key Vault throttled the request (429) after the SDK's retries: retry later or deploy to fewer certificates in this vault at once`,
    });
  }
  if (status === 400) {
    return new VendorApiError({
      connector: CONNECTOR,
      status,
      retryable: false,
      message: `${where}: Key Vault refused the request (400 ${e.code ?? ''}: ${serviceText(e.message)}): check the certificate and key, and the tags (at most 15, values up to 256 characters)`,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status,
    message: `${where} failed (${e.name ?? 'Error'}${status ? ` ${status}` : ''}: ${serviceText(e.message)})`,
  });
}
