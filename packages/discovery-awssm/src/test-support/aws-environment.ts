import type { FakeSecretsManager, SecretStoreCertificates } from '@certctl/connector-testkit';
import { vi } from 'vitest';

/**
 * The SDK's default credential chain, fed the way an operator would (AWS_* variables on the server
 * host) with the fake's key pair; IMDS is switched off so nothing reaches for a metadata service.
 */
export function useFakeAwsCredentials(fake: FakeSecretsManager): void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', fake.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', fake.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/certctl-test-aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/certctl-test-aws-credentials');
}

/**
 * A typical account: certificates in several shapes under `certs/`, tagged type=certificate, plus
 * secrets that must not be reported (untagged, another prefix, a password, a locked PKCS#12).
 */
export function seedSecrets(fake: FakeSecretsManager, certs: SecretStoreCertificates): void {
  const tags = { type: 'certificate', team: 'web' };
  fake.addSecret({ name: 'certs/web-pem', secretString: certs.leafKeyPem + certs.leafPem + certs.caPem, tags });
  fake.addSecret({ name: 'certs/api-der', secretBinary: certs.otherDer, tags });
  fake.addSecret({ name: 'certs/legacy-p12', secretBinary: certs.pkcs12NoPassword, tags });
  fake.addSecret({ name: 'certs/locked-p12', secretBinary: certs.pkcs12WithPassword, tags });
  fake.addSecret({
    name: 'certs/json-bundle',
    secretString: JSON.stringify({ certificate: certs.otherPem, private_key: certs.leafKeyPem }),
    tags,
  });
  fake.addSecret({ name: 'certs/db-password', secretString: 'hunter2', tags });
  fake.addSecret({ name: 'certs/untagged', secretString: certs.leafPem });
  fake.addSecret({ name: 'certs/wrong-tag', secretString: certs.leafPem, tags: { type: 'certificate-old' } });
  fake.addSecret({ name: 'other/web', secretString: certs.leafPem, tags });
}
