import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeKeyVault } from '@certctl/connector-testkit';

/** A client_secret config for the fake: its CA trusted through ca_bundle_path, its authority, its vault. */
export async function fakeVaultConfig(
  vault: FakeKeyVault,
  dir: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const caPath = join(dir, 'fake-azure-ca.pem');
  await writeFile(caPath, vault.caPem);
  return {
    vault_url: vault.vaultUrl,
    certificate_name: 'api-example-test',
    credential_mode: 'client_secret',
    tenant_id: vault.tenantId,
    client_id: vault.clientId,
    client_secret: vault.clientSecret,
    authority_host: vault.authorityHost,
    ca_bundle_path: caPath,
    // The fake's challenge names https://vault.azure.net, as Azure does, but it listens on 127.0.0.1.
    challenge_resource_verification: false,
    ...extra,
  };
}
