$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$certctl = @{
  Operation = 'CertStore.SetArchived'
  StoreLocation = 'LocalMachine'
  StoreName = 'My'
  Thumbprints = @('3F2B8C1D9E0A4B5C6D7E8F901A2B3C4D5E6F7081')
  Archived = $true
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
  $updated = 0
  foreach ($cert in $store.Certificates) {
    if ($certctl.Thumbprints -contains $cert.Thumbprint) { $cert.Archived = $certctl.Archived; $updated++ }
  }
  $store.Close()
  Write-CertctlAnswer @{ updated = $updated }
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}
