/** Test helper: a fake Google CAS, the service account key on disk, and issuer configs pointing at it. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type FakeGoogleCas, startFakeGoogleCas, type TempDir } from '@certctl/connector-testkit';

export interface CasSetup {
  cas: FakeGoogleCas;
  dir: TempDir;
  keyPath: string;
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export async function setUpCas(): Promise<CasSetup> {
  const cas = await startFakeGoogleCas();
  const dir = await createTempDir('issuer-googlecas-');
  const keyPath = join(dir.path, 'service-account.json');
  await writeFile(keyPath, cas.serviceAccountKeyJson, { mode: 0o600 });
  return {
    cas,
    dir,
    keyPath,
    config: (overrides = {}) => ({
      project: cas.project,
      location: cas.location,
      ca_pool: cas.caPool,
      credentials: keyPath,
      base_url: cas.endpoint,
      token_url: cas.tokenUrl,
      ...overrides,
    }),
    async close() {
      await cas.close();
      await dir.remove();
    },
  };
}
