# verify.ps1: checks every SHA256 of a bootpack proofpack. Written by
# "bootpack proofpack export"; do not edit (SHA256SUMS.txt covers this file).
# Windows PowerShell 5.1 or later; nothing to install.
#
#   powershell -NoProfile -ExecutionPolicy Bypass -File verify.ps1 [-Pack DIR] [-Root HEX] [-PubKey PUB.pem]
#
# Reads SHA256SUMS.txt (strict UTF-8 without BOM), applies export's name rules, walks the pack
# without following links (a reparse point, a special file, an extra file or an extra folder
# fails), then hashes every listed file. Names are compared ordinally (case matters).
# -Root HEX: the root digest recorded at export (SHA256 of SHA256SUMS.txt) must match.
# -PubKey PUB.pem: the DSSE envelope statement.intoto.dsse.json must be signed by this key
# (PowerShell 7 only: on Windows PowerShell 5.1 the signature cannot be checked and this fails).
# Then checks that MANIFEST.json lists the same files, SHA256 and sizes (it does not check the
# statement or the gate record: bootpack proofpack verify does).
# Prints one line per problem: UNSAFE, SYMLINK, SPECIAL, MISSING, MODIFIED, EXTRA, INVALID.
# Exit: 0 every listed file is present and matches and nothing is extra; 1 otherwise.
[CmdletBinding()]
param(
  [string]$Pack = '',
  [string]$Root = '',
  [string]$PubKey = ''
)
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

function Fail([string]$message) {
  Write-Output $message
  Write-Output '[FAIL] proves nothing'
  exit 1
}

if ($Pack -eq '') {
  $Pack = Split-Path -Parent $MyInvocation.MyCommand.Path
}
$Pack = (Resolve-Path -LiteralPath $Pack).ProviderPath
if ($Root -ne '' -and $Root -notmatch '^[0-9A-Fa-f]{64}$') {
  Fail 'INVALID: -Root needs 64 hex digits'
}
$sumsName = 'SHA256SUMS.txt'
$dsseName = 'statement.intoto.dsse.json'
$sumsPath = [System.IO.Path]::Combine($Pack, $sumsName)
$bad = 0

# 0. The sums file: a regular file, strict UTF-8 without BOM, LF-terminated.
if (-not (Test-Path -LiteralPath $sumsPath -PathType Leaf)) {
  Fail ('MISSING: ' + $sumsName)
}
$sumsItem = Get-Item -LiteralPath $sumsPath -Force
if (($sumsItem.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
  Fail ('SYMLINK: ' + $sumsName)
}
$bytes = [System.IO.File]::ReadAllBytes($sumsPath)
if ($bytes.Length -eq 0) {
  Fail ('INVALID: ' + $sumsName + ' is empty')
}
if ($bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF) {
  Fail ('INVALID: ' + $sumsName + ' starts with a BOM')
}
$utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList @($false, $true)
try {
  $text = $utf8.GetString($bytes)
} catch {
  Fail ('INVALID: ' + $sumsName + ' is not valid UTF-8')
}
if ($bytes[$bytes.Length - 1] -ne 10) {
  Fail ('INVALID: ' + $sumsName + ' last line has no line feed (truncated?)')
}
$sha = [System.Security.Cryptography.SHA256]::Create()
$rootHex = [System.BitConverter]::ToString($sha.ComputeHash($bytes)).Replace('-', '')
if ($Root -ne '' -and -not [string]::Equals($rootHex, $Root, [System.StringComparison]::OrdinalIgnoreCase)) {
  Fail ('INVALID: root digest ' + $rootHex + ' is not the expected ' + $Root.ToUpperInvariant())
}

# Export's name rules (lib/proofpack/pack_path.ts), applied to every name.
$controlRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]')
$charRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('^/|\\|:|[<>"|?*]|^[A-Za-z]:')
$reservedRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3]|CONIN\$|CONOUT\$)$', [System.Text.RegularExpressions.RegexOptions]::IgnoreCase)
function Test-UnsafeName([string]$path) {
  if ($path.Length -eq 0 -or $path.Length -gt 200) { return $true }
  if ($controlRe.IsMatch($path) -or $charRe.IsMatch($path)) { return $true }
  try {
    if (-not $path.IsNormalized([System.Text.NormalizationForm]::FormC)) { return $true }
  } catch {
    return $true
  }
  foreach ($part in $path.Split([char]47)) {
    if ($part.Length -eq 0 -or $part -eq '.' -or $part -eq '..' -or $part.Length -gt 100) { return $true }
    if ($part.EndsWith('.') -or $part.EndsWith(' ') -or $part.StartsWith(' ')) { return $true }
    if ($reservedRe.IsMatch($part.Split([char]46)[0].TrimEnd())) { return $true }
    if ($part -match '~[0-9]') { return $true }
  }
  return $false
}
function Get-ClashKey([string]$path) {
  return $path.Normalize([System.Text.NormalizationForm]::FormC).ToUpperInvariant().ToLowerInvariant().Normalize([System.Text.NormalizationForm]::FormC)
}

# 1. The list: well-formed lines, safe names, no duplicates or clashes; names compared ordinally.
$lineRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('^([0-9A-Fa-f]{64}) [ *](.+)$')
$expected = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList @([System.StringComparer]::Ordinal)
$keys = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList @([System.StringComparer]::Ordinal)
$needed = New-Object -TypeName 'System.Collections.Generic.HashSet[string]' -ArgumentList @([System.StringComparer]::Ordinal)
$order = New-Object -TypeName 'System.Collections.Generic.List[string]'
$lines = $text.Substring(0, $text.Length - 1).Split([char]10)
$lineNo = 0
foreach ($line in $lines) {
  $lineNo = $lineNo + 1
  $m = $lineRe.Match($line)
  if (-not $m.Success) {
    Write-Output ('INVALID: ' + $sumsName + ' line ' + $lineNo)
    $bad = $bad + 1
    continue
  }
  $rel = $m.Groups[2].Value
  if ((Test-UnsafeName $rel) -or [string]::Equals($rel, $sumsName, [System.StringComparison]::Ordinal)) {
    Write-Output ('UNSAFE: ' + $sumsName + ' line ' + $lineNo)
    $bad = $bad + 1
    continue
  }
  $key = Get-ClashKey $rel
  if ($keys.ContainsKey($key)) {
    Write-Output ('INVALID: ' + $sumsName + ' lists twice (or twice but for case): ' + $rel)
    $bad = $bad + 1
    continue
  }
  $keys.Add($key, $rel)
  $expected.Add($rel, $m.Groups[1].Value)
  $order.Add($rel)
  $cut = $rel.LastIndexOf([char]47)
  while ($cut -gt 0) {
    [void]$needed.Add($rel.Substring(0, $cut))
    $cut = $rel.LastIndexOf([char]47, $cut - 1)
  }
}
if ($bad -gt 0) {
  Fail ('FAIL: ' + $bad + ' problem(s) in ' + $sumsName)
}

# 2. The tree, walked by hand so links are never followed: nothing special, nothing extra.
$queue = New-Object -TypeName System.Collections.Queue
$queue.Enqueue($Pack)
$present = New-Object -TypeName 'System.Collections.Generic.HashSet[string]' -ArgumentList @([System.StringComparer]::Ordinal)
while ($queue.Count -gt 0) {
  $dir = [string]$queue.Dequeue()
  try {
    $items = @(Get-ChildItem -LiteralPath $dir -Force -ErrorAction Stop)
  } catch {
    Write-Output ('INVALID: cannot list ' + $dir)
    $bad = $bad + 1
    continue
  }
  foreach ($item in $items) {
    $rel = $item.FullName.Substring($Pack.Length).TrimStart([char]92, [char]47).Replace([char]92, [char]47)
    if (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
      Write-Output ('SYMLINK: ' + $rel)
      $bad = $bad + 1
      continue
    }
    $mode = $item.PSObject.Properties['UnixMode']
    if ($null -ne $mode -and $null -ne $mode.Value) {
      $kind = ([string]$mode.Value).Substring(0, 1)
      if ($kind -ne '-' -and $kind -ne 'd') {
        Write-Output ('SPECIAL: ' + $rel)
        $bad = $bad + 1
        continue
      }
    }
    if (($item.Attributes -band [System.IO.FileAttributes]::Device) -ne 0) {
      Write-Output ('SPECIAL: ' + $rel)
      $bad = $bad + 1
      continue
    }
    if (Test-UnsafeName $rel) {
      Write-Output ('UNSAFE: ' + $rel)
      $bad = $bad + 1
      continue
    }
    if ($item.PSIsContainer) {
      if (-not $needed.Contains($rel)) {
        Write-Output ('EXTRA: ' + $rel + '/')
        $bad = $bad + 1
      }
      $queue.Enqueue($item.FullName)
      continue
    }
    if ($rel -ceq $sumsName -or $rel -ceq $dsseName) {
      continue
    }
    [void]$present.Add($rel)
    if (-not $expected.ContainsKey($rel)) {
      Write-Output ('EXTRA: ' + $rel)
      $bad = $bad + 1
    }
  }
}
foreach ($rel in $order) {
  if (-not $present.Contains($rel)) {
    Write-Output ('MISSING: ' + $rel)
    $bad = $bad + 1
  }
}
if ($bad -gt 0) {
  Fail ('FAIL: ' + $bad + ' problem(s) in the pack' + [char]39 + 's files')
}

# 3. Every SHA256, each file opened once, read-only.
$sep = [string][System.IO.Path]::DirectorySeparatorChar
$ok = 0
foreach ($rel in $order) {
  $full = [System.IO.Path]::Combine($Pack, $rel.Replace('/', $sep))
  try {
    $stream = [System.IO.File]::Open($full, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
    try {
      $hash = [System.BitConverter]::ToString($sha.ComputeHash($stream)).Replace('-', '')
    } finally {
      $stream.Dispose()
    }
  } catch {
    Write-Output ('INVALID: cannot read ' + $rel)
    $bad = $bad + 1
    continue
  }
  if ([string]::Equals($hash, $expected[$rel], [System.StringComparison]::OrdinalIgnoreCase)) {
    $ok = $ok + 1
  } else {
    Write-Output ('MODIFIED: ' + $rel)
    $bad = $bad + 1
  }
}
if ($bad -gt 0) {
  Fail ('FAIL: ' + $bad + ' problem(s); ' + $ok + ' file(s) match')
}

# 4. MANIFEST.json lists the same files as SHA256SUMS.txt (but the pack's own), same SHA256 and size.
$own = @('MANIFEST.json', 'statement.intoto.UNSIGNED.json', $dsseName)
if (-not $expected.ContainsKey('MANIFEST.json')) {
  Fail ('INVALID: MANIFEST.json is not listed in ' + $sumsName)
}
try {
  $manifest = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($Pack, 'MANIFEST.json'), $utf8) | ConvertFrom-Json
  $claimed = @($manifest.files)
} catch {
  Fail 'INVALID: MANIFEST.json is not valid JSON'
}
$seen = New-Object -TypeName 'System.Collections.Generic.HashSet[string]' -ArgumentList @([System.StringComparer]::Ordinal)
foreach ($entry in $claimed) {
  $rel = [string]$entry.path
  if (-not $expected.ContainsKey($rel) -or ($own -ccontains $rel) -or -not $seen.Add($rel)) {
    Write-Output ('INVALID: MANIFEST.json lists ' + $rel + ', which ' + $sumsName + ' does not')
    $bad = $bad + 1
    continue
  }
  $full = [System.IO.Path]::Combine($Pack, $rel.Replace('/', $sep))
  $size = (Get-Item -LiteralPath $full -Force).Length
  if (-not [string]::Equals([string]$entry.sha256, $expected[$rel], [System.StringComparison]::OrdinalIgnoreCase) -or [string]$entry.size -ne [string]$size) {
    Write-Output ('INVALID: MANIFEST.json gives ' + $rel + ' another SHA256 or size')
    $bad = $bad + 1
  }
}
foreach ($rel in $order) {
  if (-not ($own -ccontains $rel) -and -not $seen.Contains($rel)) {
    Write-Output ('INVALID: MANIFEST.json does not list ' + $rel)
    $bad = $bad + 1
  }
}
if ($bad -gt 0) {
  Fail ('FAIL: ' + $bad + ' problem(s) in MANIFEST.json')
}

# 5. What was proven.
$proven = 'self-consistent only (does not prove against anyone who can rewrite the sums)'
if ($Root -ne '') {
  $proven = 'matches root digest ' + $rootHex
}
if ($PubKey -ne '') {
  if ($PSVersionTable.PSVersion.Major -lt 7) {
    Fail 'INVALID: -PubKey needs PowerShell 7 (ECDsa.ImportFromPem); Windows PowerShell 5.1 cannot check the signature'
  }
  $dssePath = [System.IO.Path]::Combine($Pack, $dsseName)
  if (-not (Test-Path -LiteralPath $dssePath -PathType Leaf)) {
    Fail ('MISSING: ' + $dsseName + ' (the pack is not signed)')
  }
  try {
    $envelope = [System.IO.File]::ReadAllText($dssePath, $utf8) | ConvertFrom-Json
    $type = [string]$envelope.payloadType
    $payload = [System.Convert]::FromBase64String([string]$envelope.payload)
    $signature = @($envelope.signatures)[0]
    $sig = [System.Convert]::FromBase64String([string]$signature.sig)
    $typeBytes = $utf8.GetBytes($type)
    $head = $utf8.GetBytes('DSSEv1 ' + $typeBytes.Length + ' ' + $type + ' ' + $payload.Length + ' ')
    $pae = New-Object -TypeName 'byte[]' -ArgumentList @($head.Length + $payload.Length)
    [System.Array]::Copy($head, 0, $pae, 0, $head.Length)
    [System.Array]::Copy($payload, 0, $pae, $head.Length, $payload.Length)
    $ecdsa = [System.Security.Cryptography.ECDsa]::Create()
    $ecdsa.ImportFromPem([System.IO.File]::ReadAllText($PubKey))
    $valid = $ecdsa.VerifyData($pae, $sig, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.DSASignatureFormat]::Rfc3279DerSequence)
  } catch {
    Fail ('INVALID: ' + $dsseName + ' cannot be checked: ' + $_.Exception.Message)
  }
  if (-not $valid -or $type -cne 'application/vnd.in-toto+json') {
    Fail ('INVALID: ' + $dsseName + ' is not signed by this key')
  }
  if (-not $expected.ContainsKey('statement.intoto.UNSIGNED.json')) {
    Fail 'INVALID: the signed statement is not one of the pack''s files'
  }
  $statementHash = [System.BitConverter]::ToString($sha.ComputeHash($payload)).Replace('-', '')
  if (-not [string]::Equals($statementHash, $expected['statement.intoto.UNSIGNED.json'], [System.StringComparison]::OrdinalIgnoreCase)) {
    Fail 'INVALID: the signed statement is not the pack''s statement.intoto.UNSIGNED.json'
  }
  $proven = 'signed by key ' + [string]$signature.keyid + '; ' + $proven
}
Write-Output ('OK: ' + $ok + ' file(s) match ' + $sumsName)
Write-Output ('[PASS] ' + $proven)
exit 0
