$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$certctl = @{
  Operation = 'Iis.RemoveBinding'
  SiteName = 'Default Web Site'
  IPAddress = '*'
  Port = 443
  HostHeader = 'www.example.com'
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
  if ($null -ne $binding) {
    $binding.RemoveSslCertificate()
    Remove-WebBinding -Name $certctl.SiteName -Protocol 'https' -Port $certctl.Port -IPAddress $certctl.IPAddress -HostHeader $certctl.HostHeader
  }
  Write-CertctlAnswer @{ removed = $null -ne $binding }
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}
