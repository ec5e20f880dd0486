/**
 * What the Windows targets share: where PowerShell runs (the agent's host, or a Windows host over
 * WinRM), their WinRM settings, the PFX handed to a certificate store, and the certificate store
 * operations as generated scripts (fixed bodies, validated values in the parameter table).
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { type ConnectorContext, secret } from '@certctl/core';
import { buildPkcs12 } from '@certctl/pki';
import { z } from 'zod';
import { describeLeaf } from './deployed-certificate.js';
import { createLocalPowerShellRunner, type PowerShellRunner, readPowerShellAnswer } from './powershell-runner.js';
import { hasControlCharacter, renderPowerShellScript } from './powershell-script.js';
import { createSsrfPolicy } from './ssrf-policy.js';
import type { TlsMaterial } from './tls-material.js';
import { createWinRmClient, createWinRmPowerShellRunner } from './winrm-client.js';

/** Text a Windows name may hold: no control characters, bounded. */
export const windowsText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !hasControlCharacter(v), 'may not contain control characters');

export const WINDOWS_STORE_LOCATIONS = ['LocalMachine', 'CurrentUser'] as const;
export const windowsStoreNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9 _-]{0,63}$/, 'a certificate store name such as My, WebHosting or Root');

/** `60s`, `5m`: the cap on each PowerShell run. */
export const execDeadlineSchema = z
  .string()
  .regex(/^([1-9]\d{0,4})(s|m)$/, 'a duration such as 60s or 5m')
  .default('60s');

export function execDeadlineMs(text: string): number {
  const m = /^(\d+)(s|m)$/.exec(text)!;
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

/** The WinRM settings (reference keys), used flat (wincertstore) or under `winrm` (iis). */
export const winrmSettingsShape = {
  winrm_host: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$|^\[[0-9a-fA-F:]+\]$/, 'a host name or IP address')
    .describe('Windows host to reach over WinRM (winrm mode)'),
  winrm_port: z.int().min(1).max(65535).default(5986).describe('WinRM HTTPS listener port'),
  winrm_username: windowsText(256).describe('Account with local administrator rights, DOMAIN\\user or user'),
  winrm_password: secret(windowsText(1024)).describe('Password of winrm_username'),
  winrm_https: z
    .literal(true, { error: 'must be true: certctl sends credentials and private keys over HTTPS only' })
    .default(true)
    .describe('Always true: WinRM over HTTPS (5986)'),
  winrm_insecure: z.boolean().default(false).describe('Skip verification of the listener certificate (lab only)'),
  winrm_auth: z.enum(['ntlm', 'basic']).default('ntlm').describe('NTLM (Negotiate) or Basic, both inside TLS'),
  winrm_ca_path: z
    .string()
    .max(4096)
    .refine((p) => isAbsolute(p) && !p.includes('\0'), 'must be an absolute path')
    .optional()
    .describe('PEM of the CA that signed the WinRM listener certificate; default the system trust store'),
};
export const winrmSettingsSchema = z.strictObject(winrmSettingsShape);
export type WinRmSettings = z.output<typeof winrmSettingsSchema>;

/** Where the scripts run: this host's powershell.exe, or the WinRM host. */
export async function createWindowsPowerShell(options: {
  connector: string;
  mode: 'local' | 'winrm';
  winrm: WinRmSettings | undefined;
  ctx: Pick<ConnectorContext, 'exec'>;
  timeoutMs: number;
  /** Deadline of each WinRM request; default timeoutMs. */
  requestTimeoutMs?: number;
}): Promise<PowerShellRunner & { close(): Promise<void> }> {
  if (options.mode === 'local' || !options.winrm) {
    return {
      ...createLocalPowerShellRunner({ exec: options.ctx.exec, connector: options.connector }),
      close: async () => undefined,
    };
  }
  const w = options.winrm;
  const endpoint = `https://${w.winrm_host}:${w.winrm_port}/wsman`;
  const client = createWinRmClient({
    connector: options.connector,
    endpoint,
    username: w.winrm_username,
    password: w.winrm_password,
    auth: w.winrm_auth,
    caPem: w.winrm_ca_path ? await readFile(w.winrm_ca_path, 'utf8') : undefined,
    insecure: w.winrm_insecure,
    timeoutMs: options.requestTimeoutMs ?? options.timeoutMs,
    // WinRM hosts sit on the LAN next to a proxy agent; cloud metadata stays refused.
    ssrfPolicy: createSsrfPolicy({ connector: options.connector, allowPrivate: true, allowLoopback: true }),
  });
  return { ...createWinRmPowerShellRunner(client, endpoint), close: () => client.close() };
}

/** The certificate as a certificate store sees it, and a PFX (random password) to import it with. */
export interface WindowsPfx {
  pfxBase64: string;
  password: string;
  /** SHA-1 of the leaf DER, upper-case hex, as Windows shows it. */
  thumbprint: string;
  serial: string;
  commonName: string;
}

export function windowsThumbprint(leafPem: string): string {
  const der = Buffer.from(leafPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

export function buildWindowsPfx(material: TlsMaterial, friendlyName?: string): WindowsPfx {
  const password = randomBytes(24).toString('base64url');
  const chain = material.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  const pfx = buildPkcs12({
    privateKey: material.keyPem,
    certificate: material.leafPem,
    chain,
    password,
    ...(friendlyName && { friendlyName }),
  });
  const leaf = describeLeaf(material.leafPem)!;
  const cn = /CN=([^,\n]+)/.exec(new X509Certificate(material.leafPem).subject)?.[1];
  return {
    pfxBase64: Buffer.from(pfx).toString('base64'),
    password,
    thumbprint: windowsThumbprint(material.leafPem),
    serial: leaf.serial,
    commonName: cn ?? '',
  };
}

// Certificate store operations. Each body reads only $certctl and prints one JSON line; any error
// becomes {"error": "..."} and exit code 1.
const STORE_OPEN = `
function Open-CertctlStore([string] $name, [string] $flags) {
  $location = [Enum]::Parse([System.Security.Cryptography.X509Certificates.StoreLocation], $certctl.StoreLocation)
  $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($name, $location)
  $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]$flags)
  return $store
}
function Write-CertctlAnswer($answer) { $answer | ConvertTo-Json -Compress -Depth 5 | Write-Output }`;

/** A fixed script body with the store helpers, the JSON answer and the error answer around it. */
export const wrapWindowsScriptBody = (body: string): string =>
  `${STORE_OPEN.trim()}
try {
${body.replace(/^\n+|\s+$/g, '')}
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}`;

export const CERT_STORE_BODIES = {
  'CertStore.Import': wrapWindowsScriptBody(`
  $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'PersistKeySet'
  if ($certctl.StoreLocation -eq 'LocalMachine') { $flags = $flags -bor [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'MachineKeySet' }
  $collection = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
  $collection.Import([Convert]::FromBase64String($certctl.PfxBase64), $certctl.PfxPassword, $flags)
  $leaf = $collection | Where-Object { $_.HasPrivateKey -and $_.Thumbprint -eq $certctl.Thumbprint } | Select-Object -First 1
  if ($null -eq $leaf) { throw ('the PFX does not hold certificate {0} with its key' -f $certctl.Thumbprint) }
  $store = Open-CertctlStore $certctl.StoreName 'ReadWrite, IncludeArchived'
  $found = $store.Certificates.Find('FindByThumbprint', $certctl.Thumbprint, $false)
  $imported = $found.Count -eq 0
  if ($imported) { $store.Add($leaf) }
  $cert = $store.Certificates.Find('FindByThumbprint', $certctl.Thumbprint, $false)[0]
  if ($null -ne $certctl.FriendlyName) { $cert.FriendlyName = $certctl.FriendlyName }
  $cert.Archived = $false
  $store.Close()
  $intermediates = Open-CertctlStore 'CA' 'ReadWrite'
  foreach ($c in $collection) { if (-not $c.HasPrivateKey) { $intermediates.Add($c) } }
  $intermediates.Close()
  Write-CertctlAnswer @{ thumbprint = $cert.Thumbprint; imported = $imported }`),
  'CertStore.List': wrapWindowsScriptBody(`
  $store = Open-CertctlStore $certctl.StoreName 'ReadOnly, IncludeArchived'
  $list = @($store.Certificates | ForEach-Object {
    @{ thumbprint = $_.Thumbprint; serial = $_.SerialNumber; subject = $_.Subject; notAfter = $_.NotAfter.ToUniversalTime().ToString('o');
       friendlyName = $_.FriendlyName; archived = $_.Archived; hasPrivateKey = $_.HasPrivateKey }
  })
  $store.Close()
  Write-CertctlAnswer @{ certificates = $list }`),
  'CertStore.SetArchived': wrapWindowsScriptBody(`
  $store = Open-CertctlStore $certctl.StoreName 'ReadWrite, IncludeArchived'
  $updated = 0
  foreach ($cert in $store.Certificates) {
    if ($certctl.Thumbprints -contains $cert.Thumbprint) { $cert.Archived = $certctl.Archived; $updated++ }
  }
  $store.Close()
  Write-CertctlAnswer @{ updated = $updated }`),
  'CertStore.Remove': wrapWindowsScriptBody(`
  $store = Open-CertctlStore $certctl.StoreName 'ReadWrite, IncludeArchived'
  $removed = 0
  foreach ($cert in @($store.Certificates)) {
    if ($certctl.Thumbprints -contains $cert.Thumbprint) { $store.Remove($cert); $removed++ }
  }
  $store.Close()
  Write-CertctlAnswer @{ removed = $removed }`),
  'CertStore.RemoveExpired': wrapWindowsScriptBody(`
  $store = Open-CertctlStore $certctl.StoreName 'ReadWrite, IncludeArchived'
  $now = [DateTime]::UtcNow
  $removed = @()
  foreach ($cert in @($store.Certificates)) {
    $cn = $cert.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false)
    if ($cn -eq $certctl.CommonName -and $cert.NotAfter.ToUniversalTime() -lt $now -and $cert.Thumbprint -ne $certctl.KeepThumbprint) {
      $store.Remove($cert); $removed += $cert.Thumbprint
    }
  }
  $store.Close()
  Write-CertctlAnswer @{ removed = $removed }`),
} as const;

export type CertStoreOperation = keyof typeof CERT_STORE_BODIES;

export interface CertStoreLocation {
  storeLocation: (typeof WINDOWS_STORE_LOCATIONS)[number];
  storeName: string;
}

export function certStoreScript(
  operation: CertStoreOperation,
  where: CertStoreLocation,
  parameters: Record<string, string | number | boolean | null | readonly string[]>,
): string {
  return renderPowerShellScript(
    { Operation: operation, StoreLocation: where.storeLocation, StoreName: where.storeName, ...parameters },
    CERT_STORE_BODIES[operation],
  );
}

export interface StoreCertificate {
  thumbprint: string;
  serial: string;
  subject: string;
  notAfter: string;
  friendlyName: string;
  archived: boolean;
  hasPrivateKey: boolean;
}

/** Runs one generated operation and reads its answer; a failure is a typed error with PowerShell's reason. */
export async function runWindowsOperation<T>(
  shell: PowerShellRunner,
  script: string,
  context: {
    connector: string;
    operation: string;
    timeoutMs: number;
    signal?: AbortSignal;
    advice?: (reason: string) => string | undefined;
  },
): Promise<T> {
  const result = await shell.run(script, { timeoutMs: context.timeoutMs, signal: context.signal });
  return readPowerShellAnswer<T>(result, {
    connector: context.connector,
    operation: context.operation,
    where: shell.where,
    advice: context.advice,
  });
}

/** What to tell the operator for the usual Windows refusals. */
export function windowsAdvice(reason: string): string | undefined {
  if (/access is denied|unauthorized/i.test(reason)) {
    return 'run the agent (or winrm_username) as a local administrator: LocalMachine stores and IIS need it';
  }
  if (/network password is not correct/i.test(reason)) return 'the PFX could not be read; redeploy';
  if (/Cannot find a web site/i.test(reason)) return 'check site_name against Get-Website on the host';
  if (/logon session does not exist|0x80070520/i.test(reason)) {
    return 'the certificate or its key is not in the store IIS reads: check cert_store (My or WebHosting)';
  }
  return undefined;
}
