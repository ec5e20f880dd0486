/** The IIS binding operations as generated PowerShell: fixed bodies, validated values in the parameter table. */
import { renderPowerShellScript, wrapWindowsScriptBody } from '@certctl/connector-utils';

const FIND_BINDING = `
  Import-Module WebAdministration
  if ($null -eq (Get-Website | Where-Object { $_.Name -eq $certctl.SiteName })) { throw ("Cannot find a web site named '{0}'." -f $certctl.SiteName) }
  $binding = Get-WebBinding -Name $certctl.SiteName -Protocol 'https' | Where-Object {
    $parts = $_.bindingInformation.Split(':')
    $parts[0] -eq $certctl.IPAddress -and [int]$parts[1] -eq $certctl.Port -and $parts[2] -eq $certctl.HostHeader
  } | Select-Object -First 1`;

export const IIS_BODIES = {
  'Iis.GetBinding': wrapWindowsScriptBody(`${FIND_BINDING}
  if ($null -eq $binding) { Write-CertctlAnswer @{ exists = $false; thumbprint = $null; storeName = $null; sslFlags = 0 } }
  else { Write-CertctlAnswer @{ exists = $true; thumbprint = $binding.certificateHash; storeName = $binding.certificateStoreName; sslFlags = [int]$binding.sslFlags } }`),
  'Iis.SetBinding': wrapWindowsScriptBody(`${FIND_BINDING}
  $sslFlags = 0
  if ($certctl.Sni) { $sslFlags = 1 }
  $created = $null -eq $binding
  if ($created) {
    New-WebBinding -Name $certctl.SiteName -Protocol 'https' -Port $certctl.Port -IPAddress $certctl.IPAddress -HostHeader $certctl.HostHeader -SslFlags $sslFlags
    $binding = Get-WebBinding -Name $certctl.SiteName -Protocol 'https' | Where-Object { $_.bindingInformation -eq ('{0}:{1}:{2}' -f $certctl.IPAddress, $certctl.Port, $certctl.HostHeader) } | Select-Object -First 1
  } elseif ([int]$binding.sslFlags -ne $sslFlags) {
    Set-WebConfigurationProperty -PSPath 'IIS:\\' -Filter ("system.applicationHost/sites/site[@name='{0}']/bindings/binding[@protocol='https' and @bindingInformation='{1}']" -f $certctl.SiteName, $binding.bindingInformation) -Name 'sslFlags' -Value $sslFlags
  }
  $binding.AddSslCertificate($certctl.Thumbprint, $certctl.StoreName)
  Write-CertctlAnswer @{ created = $created }`),
  'Iis.RemoveBinding': wrapWindowsScriptBody(`${FIND_BINDING}
  if ($null -ne $binding) {
    $binding.RemoveSslCertificate()
    Remove-WebBinding -Name $certctl.SiteName -Protocol 'https' -Port $certctl.Port -IPAddress $certctl.IPAddress -HostHeader $certctl.HostHeader
  }
  Write-CertctlAnswer @{ removed = $null -ne $binding }`),
} as const;

export type IisOperation = keyof typeof IIS_BODIES;

export interface IisBindingAddress {
  siteName: string;
  ipAddress: string;
  port: number;
  hostHeader: string;
}

export function iisScript(
  operation: IisOperation,
  binding: IisBindingAddress,
  parameters: Record<string, string | boolean | null> = {},
): string {
  return renderPowerShellScript(
    {
      Operation: operation,
      SiteName: binding.siteName,
      IPAddress: binding.ipAddress,
      Port: binding.port,
      HostHeader: binding.hostHeader,
      ...parameters,
    },
    IIS_BODIES[operation],
  );
}
