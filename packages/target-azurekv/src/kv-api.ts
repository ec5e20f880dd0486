/** The Key Vault calls the target makes, on lazily imported Azure SDK packages (no SDK type leaves this file). */
import { lazyAzureKeyVaultClients } from '@certctl/connector-utils';
import type { AzureKvTargetConfig } from './azurekv-config.js';
import { type KvCallFacts, kvErrorStatus, toKvError } from './kv-errors.js';

export type KvContentType = 'application/x-pkcs12' | 'application/x-pem-file';

export interface KvVersion {
  version: string;
  /** DER of the leaf. */
  cer: Uint8Array;
  tags: Record<string, string>;
  enabled: boolean;
}

export interface KvSecretValue {
  /** As Key Vault keeps it: PEM text, or base64 PFX. */
  value: string;
  contentType: KvContentType;
}

export interface KvImport {
  /** PEM text, or PFX bytes. */
  bytes: Uint8Array;
  contentType: KvContentType;
  password?: string;
  tags: Record<string, string>;
}

export interface KeyVaultApi {
  /** The newest version, or undefined when the certificate does not exist yet. */
  latest(signal?: AbortSignal): Promise<KvVersion | undefined>;
  secret(version: string, signal?: AbortSignal): Promise<KvSecretValue>;
  importVersion(input: KvImport, signal?: AbortSignal): Promise<KvVersion>;
  disable(version: string, signal?: AbortSignal): Promise<void>;
}

/** The SDK clients are created on first use (lazy import) with the configured credential. */
export function createKeyVaultApi(config: AzureKvTargetConfig): KeyVaultApi {
  type Clients = {
    certificates: import('@azure/keyvault-certificates').CertificateClient;
    secrets: import('@azure/keyvault-secrets').SecretClient;
  };
  // The SDKs are imported on first use; the credential is built once and shared by both clients.
  const load = lazyAzureKeyVaultClients(config, async () => {
    const [identity, certificates, secrets] = await Promise.all([
      import('@azure/identity'),
      import('@azure/keyvault-certificates'),
      import('@azure/keyvault-secrets'),
    ]);
    return { identity, certificates, secrets };
  });
  const facts = (operation: string, permission: KvCallFacts['permission']): KvCallFacts => ({
    operation,
    permission,
    vaultUrl: config.vault_url,
    certificateName: config.certificate_name,
    credentialMode: config.credential_mode,
  });
  const call = async <T>(f: KvCallFacts, run: (clients: Clients) => Promise<T>): Promise<T> => {
    try {
      return await run(await load());
    } catch (error) {
      throw toKvError(error, f);
    }
  };
  const requestOptions = (signal?: AbortSignal) => ({
    abortSignal: signal,
    requestOptions: { timeout: config.request_timeout_seconds * 1000 },
  });
  const toVersion = (certificate: {
    cer?: Uint8Array;
    properties: { version?: string; tags?: Record<string, string>; enabled?: boolean };
  }): KvVersion => ({
    version: certificate.properties.version ?? '',
    cer: certificate.cer ?? new Uint8Array(),
    tags: { ...(certificate.properties.tags ?? {}) },
    enabled: certificate.properties.enabled !== false,
  });

  return {
    async latest(signal) {
      try {
        return await call(facts('GetCertificate', 'certificates/get'), async ({ certificates }) =>
          toVersion(await certificates.getCertificate(config.certificate_name, requestOptions(signal))),
        );
      } catch (error) {
        if (kvErrorStatus(error) === 404) return undefined;
        throw error;
      }
    },
    secret: (version, signal) =>
      call(facts('GetSecret', 'secrets/get'), async ({ secrets }) => {
        const found = await secrets.getSecret(config.certificate_name, { version, ...requestOptions(signal) });
        return {
          value: found.value ?? '',
          contentType: (found.properties.contentType ?? 'application/x-pkcs12') as KvContentType,
        };
      }),
    importVersion: (input, signal) =>
      call(facts('ImportCertificate', 'certificates/import'), async ({ certificates }) =>
        toVersion(
          await certificates.importCertificate(config.certificate_name, input.bytes, {
            policy: { contentType: input.contentType, exportable: true },
            // 4.10.3 spreads these options into the wire parameters but drops `policy` and `enabled`:
            // the wire names make Key Vault read a PEM as PEM (else it parses it as PKCS#12 and refuses).
            ...({
              certificatePolicy: {
                secretProperties: { contentType: input.contentType },
                keyProperties: { exportable: true },
              },
              certificateAttributes: { enabled: true },
            } as object),
            ...(input.password && { password: input.password }),
            tags: input.tags,
            enabled: true,
            ...requestOptions(signal),
          }),
        ),
      ),
    disable: (version, signal) =>
      call(facts('UpdateCertificate', 'certificates/update'), async ({ certificates }) => {
        await certificates.updateCertificateProperties(config.certificate_name, version, {
          enabled: false,
          ...requestOptions(signal),
        });
      }),
  };
}
