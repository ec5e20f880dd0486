import { readFile } from 'node:fs/promises';

/** The connection settings the Azure Key Vault connectors share (their config keys). */
export interface AzureKeyVaultConnection {
  vault_url: string;
  credential_mode: 'client_secret' | 'managed_identity';
  tenant_id?: string;
  client_id?: string;
  client_secret?: string;
  /** PEM of extra CAs (a proxy or a local emulator). */
  ca_bundle_path?: string;
  /** Entra ID endpoint of sovereign clouds or a test double; turns instance discovery off. */
  authority_host?: string;
  max_retries: number;
  challenge_resource_verification: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the SDK's constructors, typed by the connector that imports them
type AnyConstructorArgs = any[];

/** The three Azure SDK modules, imported by the connector on first use (they stay its dependencies). */
export interface AzureKeyVaultSdk<CertificateClient, SecretClient> {
  identity: {
    ClientSecretCredential: new (...args: AnyConstructorArgs) => unknown;
    ManagedIdentityCredential: new (...args: AnyConstructorArgs) => unknown;
  };
  certificates: { CertificateClient: new (...args: AnyConstructorArgs) => CertificateClient };
  secrets: { SecretClient: new (...args: AnyConstructorArgs) => SecretClient };
}

/**
 * Key Vault certificate and secret clients sharing one credential, built on first use from the SDK
 * modules the connector imports lazily; a failed start (a missing SDK, an unreadable CA bundle) is
 * tried again on the next call.
 */
export function lazyAzureKeyVaultClients<CertificateClient, SecretClient>(
  config: AzureKeyVaultConnection,
  importSdk: () => Promise<AzureKeyVaultSdk<CertificateClient, SecretClient>>,
): () => Promise<{ certificates: CertificateClient; secrets: SecretClient }> {
  let loaded: Promise<{ certificates: CertificateClient; secrets: SecretClient }> | undefined;
  return () => {
    loaded ??= (async () => {
      const { identity, certificates, secrets } = await importSdk();
      const ca = config.ca_bundle_path ? await readFile(config.ca_bundle_path, 'utf8') : undefined;
      const transport = { ...(ca && { tlsOptions: { ca } }), retryOptions: { maxRetries: config.max_retries } };
      const authority = config.authority_host
        ? { authorityHost: config.authority_host, disableInstanceDiscovery: true }
        : {};
      const credential =
        config.credential_mode === 'client_secret'
          ? new identity.ClientSecretCredential(config.tenant_id!, config.client_id!, config.client_secret!, {
              ...transport,
              ...authority,
            })
          : new identity.ManagedIdentityCredential({
              ...(config.client_id && { clientId: config.client_id }),
              ...transport,
            });
      const clientOptions = {
        ...transport,
        disableChallengeResourceVerification: !config.challenge_resource_verification,
      };
      return {
        certificates: new certificates.CertificateClient(config.vault_url, credential, clientOptions),
        secrets: new secrets.SecretClient(config.vault_url, credential, clientOptions),
      };
    })();
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
}
