/** One example of each generated script, with fixed stand-in values, for review in `__fixtures__/`. */
import { type CertStoreOperation, certStoreScript } from '@certctl/connector-utils';

const where = { storeLocation: 'LocalMachine', storeName: 'My' } as const;
const thumbprint = '3F2B8C1D9E0A4B5C6D7E8F901A2B3C4D5E6F7081';

export const FIXTURE_SCRIPTS: Record<string, () => string> = {
  'import.ps1': () =>
    certStoreScript('CertStore.Import', where, {
      PfxBase64: 'MIIJ...base64 of the PFX (stand-in)...',
      PfxPassword: 'random-per-deploy-password',
      Thumbprint: thumbprint,
      FriendlyName: "O'Brien’s API certificate",
    }),
  'list.ps1': () => certStoreScript('CertStore.List', where, {}),
  'set-archived.ps1': () =>
    certStoreScript('CertStore.SetArchived', where, { Thumbprints: [thumbprint], Archived: true }),
  'remove.ps1': () => certStoreScript('CertStore.Remove', where, { Thumbprints: [thumbprint] }),
  'remove-expired.ps1': () =>
    certStoreScript('CertStore.RemoveExpired', where, { CommonName: 'api.example.com', KeepThumbprint: thumbprint }),
} satisfies Record<string, () => string>;

export const FIXTURE_OPERATIONS: CertStoreOperation[] = [
  'CertStore.Import',
  'CertStore.List',
  'CertStore.SetArchived',
  'CertStore.Remove',
  'CertStore.RemoveExpired',
];
