/** One example of each script the IIS target generates, with fixed stand-in values, for review in `__fixtures__/`. */
import { certStoreScript } from '@certctl/connector-utils';
import { iisScript } from './iis-scripts.js';

const binding = { siteName: 'Default Web Site', ipAddress: '*', port: 443, hostHeader: 'www.example.com' };
const store = { storeLocation: 'LocalMachine', storeName: 'WebHosting' } as const;
const thumbprint = '3F2B8C1D9E0A4B5C6D7E8F901A2B3C4D5E6F7081';

export const FIXTURE_SCRIPTS: Record<string, () => string> = {
  'get-binding.ps1': () => iisScript('Iis.GetBinding', binding),
  'set-binding.ps1': () =>
    iisScript('Iis.SetBinding', binding, { Thumbprint: thumbprint, StoreName: 'WebHosting', Sni: true }),
  'remove-binding.ps1': () => iisScript('Iis.RemoveBinding', binding),
  'import.ps1': () =>
    certStoreScript('CertStore.Import', store, {
      PfxBase64: 'MIIJ...base64 of the PFX (stand-in)...',
      PfxPassword: 'random-per-deploy-password',
      Thumbprint: thumbprint,
      FriendlyName: 'certctl Default Web Site *:443:www.example.com',
    }),
  'list.ps1': () => certStoreScript('CertStore.List', store, {}),
  'remove.ps1': () => certStoreScript('CertStore.Remove', store, { Thumbprints: [thumbprint] }),
};
