$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$certctl = @{
  Operation = 'CertStore.Import'
  StoreLocation = 'LocalMachine'
  StoreName = 'WebHosting'
  PfxBase64 = 'MIIJ...base64 of the PFX (stand-in)...'
  PfxPassword = 'random-per-deploy-password'
  Thumbprint = '3F2B8C1D9E0A4B5C6D7E8F901A2B3C4D5E6F7081'
  FriendlyName = 'certctl Default Web Site *:443:www.example.com'
}
function Open-CertctlStore([string] $name, [string] $flags) {
  $location = [Enum]::Parse([System.Security.Cryptography.X509Certificates.StoreLocation], $certctl.StoreLocation)
  $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($name, $location)
  $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]$flags)
  return $store
}
function Write-CertctlAnswer($answer) { $answer | ConvertTo-Json -Compress -Depth 5 | Write-Output }
try {
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
  Write-CertctlAnswer @{ thumbprint = $cert.Thumbprint; imported = $imported }
} catch {
  Write-CertctlAnswer @{ error = $_.Exception.Message }
  exit 1
}
