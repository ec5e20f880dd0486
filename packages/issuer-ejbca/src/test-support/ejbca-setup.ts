/** Test helper: a fake EJBCA, its TLS CA and client credentials on disk, and issuer configs pointing at it. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  type FakeEjbca,
  type StartFakeEjbcaOptions,
  startFakeEjbca,
  type TempDir,
} from '@certctl/connector-testkit';

export interface EjbcaSetup {
  ejbca: FakeEjbca;
  dir: TempDir;
  /** The wire config (mTLS with the administrator's certificate, or the bearer token). */
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  paths: { serverCa: string; adminCert: string; adminKey: string; strangerCert: string; strangerKey: string };
  close(): Promise<void>;
}

export async function setUpEjbca(options: StartFakeEjbcaOptions = {}): Promise<EjbcaSetup> {
  const ejbca = await startFakeEjbca(options);
  const dir = await createTempDir('issuer-ejbca-');
  const paths = {
    serverCa: join(dir.path, 'server-ca.pem'),
    adminCert: join(dir.path, 'admin.crt'),
    adminKey: join(dir.path, 'admin.key'),
    strangerCert: join(dir.path, 'stranger.crt'),
    strangerKey: join(dir.path, 'stranger.key'),
  };
  await writeFile(paths.serverCa, ejbca.tlsCaPem);
  if (ejbca.adminClient && ejbca.strangerClient) {
    await writeFile(paths.adminCert, ejbca.adminClient.certificatePem);
    await writeFile(paths.adminKey, ejbca.adminClient.privateKeyPem, { mode: 0o600 });
    await writeFile(paths.strangerCert, ejbca.strangerClient.certificatePem);
    await writeFile(paths.strangerKey, ejbca.strangerClient.privateKeyPem, { mode: 0o600 });
  }
  return {
    ejbca,
    dir,
    paths,
    config: (overrides = {}) => ({
      api_url: ejbca.apiUrl,
      ca_name: ejbca.caName,
      cert_profile: 'SERVER',
      ee_profile: 'certctl-tls',
      server_ca_path: paths.serverCa,
      ...(ejbca.token
        ? { auth_mode: 'oauth2', token: ejbca.token }
        : { auth_mode: 'mtls', client_cert_path: paths.adminCert, client_key_path: paths.adminKey }),
      ...overrides,
    }),
    async close() {
      await ejbca.close();
      await dir.remove();
    },
  };
}
