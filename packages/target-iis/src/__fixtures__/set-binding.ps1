$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$certctl = @{
  Operation = 'Iis.SetBinding'
  SiteName = 'Default Web Site'
  IPAddress = '*'
  Port = 443
  HostHeader = 'www.example.com'
  Thumbprint = '3F2B8C1D9E0A4B5C6D7E8F901A2B3C4D5E6F7081'
  StoreName = 'WebHosting'
  Sni = $true
}
function Open-CertctlStore([string] $name, [string] $flags) {
  $location = [Enum]::Parse([System.Security.Cryptography.X509Certificates.StoreLocation], $certctl.StoreLocation)
  $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($name, $location)
  $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]$flags)
  return $store
}
function Write-CertctlAnswer($answer) { $answer | ConvertTo-Json -Compress -Depth 5 | Write-Output }
try {
  Import-Module WebAdministration
  if ($null -eq (Get-Website | Where-Object { $_.Name -eq $certctl.SiteName })) { throw ("Cannot find a web site named '{0}'." -f $certctl.SiteName) }
  $binding = Get-WebBinding -Name $certctl.SiteName -Protocol 'https' | Where-Object {
    $parts = $_.bindingInformation.Split(':')
    $parts[0] -eq $certctl.IPAddress -and [int]$parts[1] -eq $certctl.Port -and $parts[2] -eq $certctl.HostHeader
  } | Select-Object -First 1
  $sslFlags = 0
  if ($certctl.Sni) { $sslFlags = 1 }
  $created = $null -eq $binding
  if ($created) {
    New-WebBinding -Name $certctl.SiteName -Protocol 'https' -Port $certctl.Port -IPAddress $certctl.IPAddress -HostHeader $certctl.HostHeader -SslFlags $sslFlags
    $binding = Get-WebBinding -Name $certctl.SiteName -Protocol 'https' | Where-Object { $_.bindingInformation -eq ('{0}:{1}:{2}' -f $certctl.IPAddress, $certctl.Port, $certctl.HostHeader) } | Select-Object -First 1
  } elseif ([int]$binding.sslFlags -ne $sslFlags) {
    Set-WebConfigurationProperty -PSPath 'IIS:\' -Filter ("system.applicationHost/sites/site[@name='{0}']/bindings/binding[@protocol='https' and @bindingInformation='{1}']" -f $certctl.SiteName, $binding.bindingInformation) -Name 'sslFlags' -Value $sslFlags
  }
  $binding.AddSslCertificate($certctl.Thumbprint, $certctl.StoreName)
  Write-CertctlAnswer @{ created = $created }
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}
