$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$certctl = @{
  Operation = 'CertStore.List'
  StoreLocation = 'LocalMachine'
  StoreName = 'My'
}
function Open-CertctlStore([string] $name, [string] $flags) {
  $location = [Enum]::Parse([System.Security.Cryptography.X509Certificates.StoreLocation], $certctl.StoreLocation)
  $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($name, $location)
  $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]$flags)
  return $store
}
function Write-CertctlAnswer($answer) { $answer | ConvertTo-Json -Compress -Depth 5 | Write-Output }
try {
  $store = Open-CertctlStore $certctl.StoreName 'ReadOnly, IncludeArchived'
  $list = @($store.Certificates | ForEach-Object {
    @{ thumbprint = $_.Thumbprint; serial = $_.SerialNumber; subject = $_.Subject; notAfter = $_.NotAfter.ToUniversalTime().ToString('o');
       friendlyName = $_.FriendlyName; archived = $_.Archived; hasPrivateKey = $_.HasPrivateKey }
  })
  $store.Close()
  Write-CertctlAnswer @{ certificates = $list }
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}
