import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeKeyVault, SecretStoreCertificates } from '@certctl/connector-testkit';

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

/**
 * A typical vault: Key Vault certificates (their backing secrets hold the keys), certificates kept as
 * plain secrets in several shapes, and objects that must not be reported.
 */
export function seedVault(vault: FakeKeyVault, certs: SecretStoreCertificates): Record<string, string> {
  vault.addCertificate('web-cert', {
    certificatePem: certs.leafPem,
    keyPem: certs.leafKeyPem,
    chainPem: certs.caPem,
    tags: { team: 'web' },
  });
  vault.addCertificate('web-cert-disabled', {
    certificatePem: certs.leafPem,
    keyPem: certs.leafKeyPem,
    enabled: false,
  });
  const apiPem = vault.addSecret('api-pem', {
    value: certs.leafKeyPem + certs.otherPem,
    contentType: 'application/x-pem-file',
    tags: { team: 'api' },
  });
  const legacyPfx = vault.addSecret('legacy-pfx', {
    value: Buffer.from(certs.pkcs12NoPassword).toString('base64'),
    contentType: 'application/x-pkcs12',
    tags: { team: 'web' },
  });
  vault.addSecret('locked-pfx', {
    value: Buffer.from(certs.pkcs12WithPassword).toString('base64'),
    contentType: 'application/x-pkcs12',
  });
  vault.addSecret('db-password', { value: 'hunter2', tags: { team: 'web' } });
  return { 'web-cert': vault.latest('web-cert')!.version, 'api-pem': apiPem.version, 'legacy-pfx': legacyPfx.version };
}
