$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$certctl = @{
  Operation = 'CertStore.RemoveExpired'
  StoreLocation = 'LocalMachine'
  StoreName = 'My'
  CommonName = 'api.example.com'
  KeepThumbprint = '3F2B8C1D9E0A4B5C6D7E8F901A2B3C4D5E6F7081'
}
function Open-CertctlStore([string] $name, [string] $flags) {
  $location = [Enum]::Parse([System.Security.Cryptography.X509Certificates.StoreLocation], $certctl.StoreLocation)
  $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($name, $location)
  $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]$flags)
  return $store
}
function Write-CertctlAnswer($answer) { $answer | ConvertTo-Json -Compress -Depth 5 | Write-Output }
try {
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
  Write-CertctlAnswer @{ removed = $removed }
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}
