import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  type FakeGcpSecretManager,
  type SecretStoreCertificates,
  type TempDir,
} from '@certctl/connector-testkit';

/** The fake's service account key written as the key file an operator downloads. */
export async function writeServiceAccountKey(fake: FakeGcpSecretManager): Promise<{ path: string; dir: TempDir }> {
  const dir = await createTempDir('certctl-gcpsm-');
  const path = join(dir.path, 'service-account.json');
  await writeFile(path, JSON.stringify(fake.serviceAccount), { mode: 0o600 });
  return { path, dir };
}

/**
 * A typical project: certificates in several shapes labelled type=certificate, ids starting with
 * `tls-`, plus secrets that must not be reported (unlabelled, another prefix, a password, a locked
 * PKCS#12, a disabled latest version).
 */
export function seedSecrets(fake: FakeGcpSecretManager, certs: SecretStoreCertificates): void {
  const labels = { type: 'certificate', team: 'web' };
  fake.addSecret('tls-web-pem', { data: certs.leafKeyPem + certs.leafPem + certs.caPem, labels });
  fake.addSecret('tls-api-der', { data: certs.otherDer, labels });
  fake.addSecret('tls-legacy-p12', { data: certs.pkcs12NoPassword, labels });
  fake.addSecret('tls-locked-p12', { data: certs.pkcs12WithPassword, labels });
  fake.addSecret('tls-json-bundle', {
    data: JSON.stringify({ certificate: certs.otherPem, private_key: certs.leafKeyPem }),
    labels,
  });
  // Rotated: the latest version holds the other certificate, the first one the leaf.
  fake.addSecret('tls-rotated', { data: certs.leafPem, labels });
  fake.addVersion('tls-rotated', certs.otherPem);
  fake.addSecret('tls-disabled', { data: certs.leafPem, labels });
  fake.addVersion('tls-disabled', certs.otherPem, 'DISABLED');
  fake.addSecret('tls-db-password', { data: 'hunter2', labels });
  fake.addSecret('tls-unlabelled', { data: certs.leafPem });
  fake.addSecret('tls-old', { data: certs.leafPem, labels: { type: 'certificate-old' } });
  fake.addSecret('legacy-tls-web', { data: certs.leafPem, labels });
}
