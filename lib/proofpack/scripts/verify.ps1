# verify.ps1: checks every SHA256 of a bootpack proofpack. Written by
# "bootpack proofpack export"; do not edit (SHA256SUMS.txt covers this file).
# Windows PowerShell 5.1 or later; nothing to install.
#
#   powershell -NoProfile -ExecutionPolicy Bypass -File verify.ps1 [-Pack DIR] [-Root HEX] [-PubKey PUB.pem]
#
# Reads SHA256SUMS.txt (strict UTF-8 without BOM), applies export's name rules, walks the pack
# without following links (a reparse point, a special file, an extra file or an extra folder
# fails), then hashes every listed file, each opened once and checked to be the walked file (its
# size included); the bytes of MANIFEST.json and the DSSE envelope checked below come from that one
# read. Names are compared ordinally.
# -Root HEX: the root digest recorded at export (SHA256 of SHA256SUMS.txt) must match.
# -PubKey PUB.pem: the DSSE envelope statement.intoto.dsse.json must be signed by this key
# (PowerShell 7 only: on Windows PowerShell 5.1 the signature cannot be checked and this fails).
# Then checks that MANIFEST.json lists the same files, SHA256 and sizes (it does not check the
# statement or the gate record: bootpack proofpack verify does).
# Prints one line per problem: UNSAFE, SYMLINK, SPECIAL, MISSING, MODIFIED, CHANGED, EXTRA, INVALID.
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

# Each kind of problem is named up to 100 times, then counted (a sums file may list a million).
$shown = @{}
function Report([string]$kind, [string]$what) {
  $script:bad = $script:bad + 1
  if (-not $shown.ContainsKey($kind)) { $shown[$kind] = 0 }
  $shown[$kind] = $shown[$kind] + 1
  if ($shown[$kind] -le 100) { Write-Output ($kind + ': ' + $what) }
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

# 1. The tree, walked by hand so links are never followed and nothing is opened.
$present = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList @([System.StringComparer]::Ordinal)
# What the walk saw of each file (size, creation and write times), to recognise it when opened.
$stamps = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,long[]]' -ArgumentList @([System.StringComparer]::Ordinal)
$dirs = New-Object -TypeName 'System.Collections.Generic.List[string]'
$sumsSeen = $false
$queue = New-Object -TypeName System.Collections.Queue
$queue.Enqueue($Pack)
while ($queue.Count -gt 0) {
  $dir = [string]$queue.Dequeue()
  try {
    $items = @(Get-ChildItem -LiteralPath $dir -Force -ErrorAction Stop)
  } catch {
    Report 'INVALID' ('cannot list ' + $dir)
    continue
  }
  foreach ($item in $items) {
    $rel = $item.FullName.Substring($Pack.Length).TrimStart([char]92, [char]47).Replace([char]92, [char]47)
    if (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
      Report 'SYMLINK' $rel
      continue
    }
    $mode = $item.PSObject.Properties['UnixMode']
    $special = ($item.Attributes -band [System.IO.FileAttributes]::Device) -ne 0
    if ($null -ne $mode -and $null -ne $mode.Value) {
      $kind = ([string]$mode.Value).Substring(0, 1)
      $special = $special -or ($kind -ne '-' -and $kind -ne 'd')
    }
    if ($special) {
      Report 'SPECIAL' $rel
      continue
    }
    if (Test-UnsafeName $rel) {
      Report 'UNSAFE' $rel
      continue
    }
    if ($item.PSIsContainer) {
      $dirs.Add($rel)
      $queue.Enqueue($item.FullName)
    } elseif ($rel -ceq $sumsName) {
      $sumsSeen = $true
    } else {
      $present[$rel] = Get-ClashKey $rel
      $stamps[$rel] = [long[]]@($item.Length, $item.CreationTimeUtc.Ticks, $item.LastWriteTimeUtc.Ticks)
    }
  }
}
if (-not $sumsSeen) {
  Fail ('MISSING: ' + $sumsName)
}
$presentKeys = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList @([System.StringComparer]::Ordinal)
foreach ($pair in $present.GetEnumerator()) {
  $presentKeys[$pair.Value] = $pair.Key
}

# 2. The sums, streamed once through one handle: hashed (the root digest) and decoded as strict
#    UTF-8 without BOM (a BOM stays a character and spoils the first line), split on LF only.
$lineRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('^([0-9A-Fa-f]{64}) [ *](.+)$', [System.Text.RegularExpressions.RegexOptions]::Singleline)
$expected = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList @([System.StringComparer]::Ordinal)
$needed = New-Object -TypeName 'System.Collections.Generic.HashSet[string]' -ArgumentList @([System.StringComparer]::Ordinal)
$order = New-Object -TypeName 'System.Collections.Generic.List[string]'
$utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList @($false, $true)
$sha = [System.Security.Cryptography.SHA256]::Create()
$lineNo = 0
$lastChar = -1
function Use-Line([string]$line) {
  $script:lineNo = $script:lineNo + 1
  $m = $lineRe.Match($line)
  if (-not $m.Success) {
    Report 'INVALID' ($sumsName + ' line ' + $script:lineNo)
    return
  }
  $rel = $m.Groups[2].Value
  if ((Test-UnsafeName $rel) -or $rel -ceq $sumsName) {
    Report 'UNSAFE' ($sumsName + ' line ' + $script:lineNo)
    return
  }
  $key = Get-ClashKey $rel
  if (-not $presentKeys.ContainsKey($key)) {
    Report 'MISSING' $rel
    return
  }
  if ($presentKeys[$key] -cne $rel -or $expected.ContainsKey($rel)) {
    Report 'INVALID' ($sumsName + ' lists twice (or twice but for case): ' + $rel)
    return
  }
  $expected.Add($rel, $m.Groups[1].Value)
  $order.Add($rel)
  $cut = $rel.LastIndexOf([char]47)
  while ($cut -gt 0) {
    [void]$needed.Add($rel.Substring(0, $cut))
    $cut = $rel.LastIndexOf([char]47, $cut - 1)
  }
}
try {
  $file = [System.IO.File]::Open($sumsPath, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
  try {
    $crypto = New-Object -TypeName System.Security.Cryptography.CryptoStream -ArgumentList @($file, $sha, [System.Security.Cryptography.CryptoStreamMode]::Read)
    $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList @($crypto, $utf8, $false, 65536)
    $chunk = New-Object -TypeName 'char[]' -ArgumentList @(65536)
    $carry = New-Object -TypeName System.Text.StringBuilder
    while (($n = $reader.Read($chunk, 0, $chunk.Length)) -gt 0) {
      $start = 0
      $i = [System.Array]::IndexOf($chunk, [char]10, 0, $n)
      while ($i -ge 0) {
        [void]$carry.Append($chunk, $start, $i - $start)
        Use-Line $carry.ToString()
        [void]$carry.Clear()
        $start = $i + 1
        $i = -1
        if ($start -lt $n) {
          $i = [System.Array]::IndexOf($chunk, [char]10, $start, $n - $start)
        }
      }
      [void]$carry.Append($chunk, $start, $n - $start)
      $lastChar = [int]$chunk[$n - 1]
    }
  } finally {
    $file.Dispose()
  }
} catch {
  Fail ('INVALID: ' + $sumsName + ' cannot be read as UTF-8: ' + $_.Exception.Message)
}
if ($lastChar -eq -1) {
  Fail ('INVALID: ' + $sumsName + ' is empty')
}
if ($lastChar -ne 10) {
  Fail ('INVALID: ' + $sumsName + ' last line has no line feed (truncated?)')
}
$rootHex = [System.BitConverter]::ToString($sha.Hash).Replace('-', '')
if ($Root -ne '' -and -not [string]::Equals($rootHex, $Root, [System.StringComparison]::OrdinalIgnoreCase)) {
  Fail ('INVALID: root digest ' + $rootHex + ' is not the expected ' + $Root.ToUpperInvariant())
}

# 3. Nothing extra: every file listed, every folder holding a listed file.
foreach ($rel in $present.Keys) {
  if (-not $expected.ContainsKey($rel)) { Report 'EXTRA' $rel }
}
foreach ($rel in $dirs) {
  if (-not $needed.Contains($rel)) { Report 'EXTRA' ($rel + '/') }
}
if ($bad -gt 0) {
  Fail ('FAIL: ' + $bad + ' problem(s) in the pack' + [char]39 + 's files')
}

# 4. Every SHA256, each file opened once, read-only; the bytes of MANIFEST.json and the DSSE
#    envelope kept, so what is checked below is what was hashed. The opened file must be the walked
#    one, size included (so the walk's sizes are the files' sizes below) (CHANGED otherwise): on PowerShell 7 the handle's own
#    creation and write times (.NET 7+), on 5.1 the size, and on both the path looked at again
#    after the read (still no link, same write time). .NET's File.Open follows a link and waits on
#    a FIFO swapped in after the walk: these checks catch the link; a FIFO (Linux only) stalls.
$sep = [string][System.IO.Path]::DirectorySeparatorChar
$ok = 0
$kept = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,byte[]]' -ArgumentList @([System.StringComparer]::Ordinal)
foreach ($rel in $order) {
  $full = [System.IO.Path]::Combine($Pack, $rel.Replace('/', $sep))
  try {
    $stream = [System.IO.File]::Open($full, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
    try {
      $walked = $stamps[$rel]
      $same = $stream.Length -eq $walked[0]
      if ($same -and $PSVersionTable.PSVersion.Major -ge 7) {
        $handle = $stream.SafeFileHandle
        $same = ([System.IO.File]::GetCreationTimeUtc($handle).Ticks -eq $walked[1]) -and ([System.IO.File]::GetLastWriteTimeUtc($handle).Ticks -eq $walked[2])
      }
      if (-not $same) {
        Write-Output ('CHANGED: ' + $rel + ' is not the file the walk saw (replaced after it)')
        $bad = $bad + 1
        continue
      }
      if ($rel -ceq 'MANIFEST.json' -or $rel -ceq $dsseName) {
        $buffer = New-Object -TypeName System.IO.MemoryStream
        $stream.CopyTo($buffer)
        $kept[$rel] = $buffer.ToArray()
        $hash = [System.BitConverter]::ToString($sha.ComputeHash($kept[$rel])).Replace('-', '')
      } else {
        $hash = [System.BitConverter]::ToString($sha.ComputeHash($stream)).Replace('-', '')
      }
    } finally {
      $stream.Dispose()
    }
    $after = Get-Item -LiteralPath $full -Force
    if (($after.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0 -or $after.LastWriteTimeUtc.Ticks -ne $walked[2]) {
      Write-Output ('CHANGED: ' + $rel + ' was replaced while it was read')
      $bad = $bad + 1
      continue
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

# 5. MANIFEST.json lists the same files as SHA256SUMS.txt (but the pack's own), same SHA256 and size.
$own = @('MANIFEST.json', 'statement.intoto.UNSIGNED.json', $dsseName)
if (-not $expected.ContainsKey('MANIFEST.json')) {
  Fail ('INVALID: MANIFEST.json is not listed in ' + $sumsName)
}
try {
  $manifest = $utf8.GetString($kept['MANIFEST.json']) | ConvertFrom-Json
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
  $size = $stamps[$rel][0]
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

# 6. What was proven.
$proven = 'self-consistent only (does not prove against anyone who can rewrite the sums)'
if ($Root -ne '') {
  $proven = 'matches root digest ' + $rootHex
}
if ($PubKey -ne '') {
  if ($PSVersionTable.PSVersion.Major -lt 7) {
    Fail 'INVALID: -PubKey needs PowerShell 7 (ECDsa.ImportFromPem); Windows PowerShell 5.1 cannot check the signature'
  }
  if (-not $kept.ContainsKey($dsseName)) {
    Fail ('MISSING: ' + $dsseName + ' (the pack is not signed)')
  }
  try {
    $envelope = $utf8.GetString($kept[$dsseName]) | ConvertFrom-Json
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
