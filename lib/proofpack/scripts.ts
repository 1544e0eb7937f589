/**
 * Pure text of the two scripts a proofpack carries for auditors who do not trust bootpack:
 * `replay.sh` (bash + GNU coreutils + Deno: checks the sums, then re-runs the recorded gates in a
 * read-only sandbox and compares) and `verify.ps1` (Windows PowerShell 5.1, nothing to install:
 * checks every hash). No I/O.
 *
 * @module
 */

import type { GateRecord } from "./manifest.ts";

/**
 * Quotes a string for bash with single quotes (every byte literal).
 *
 * @param s Any string without NUL.
 * @returns The quoted word.
 * @throws {TypeError} When `s` contains NUL, which bash cannot pass.
 * @example
 * ```ts
 * import { bashQuote } from "./scripts.ts";
 * if (bashQuote("it's") !== "'it'\\''s'") throw new Error(bashQuote("it's"));
 * ```
 */
export function bashQuote(s: string): string {
  if (s.includes("\0")) throw new TypeError(`Cannot quote ${JSON.stringify(s)} for bash: NUL`);
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Renders `replay.sh` for the given recorded gate runs (LF line ends, passes `shellcheck`).
 *
 * What it does, in order, and stops at the first step that fails (exit 1; 2 when it cannot run):
 * 1. reads `SHA256SUMS.txt` (not empty, LF-terminated, well-formed lines, safe paths);
 * 2. walks the pack: a symlink, a special file or a file not listed is refused, a listed file
 *    that is absent is missing; nothing is opened before this;
 * 3. `sha256sum -c --strict --quiet SHA256SUMS.txt`;
 * 4. re-runs each gate with `deno run --allow-read=<pack>` (no other permission) on the CLI named
 *    by `BOOTPACK_CLI`, from the pack's root, and compares stdout and exit code with the record.
 *
 * @param gates The recorded runs (possibly none: then only the sums are checked).
 * @returns The script's text.
 * @example
 * ```ts
 * import { renderReplaySh } from "./scripts.ts";
 * const sh = renderReplaySh([]);
 * if (!sh.startsWith("#!/usr/bin/env bash\n")) throw new Error();
 * ```
 */
export function renderReplaySh(gates: readonly GateRecord[]): string {
  const runs = gates.map((g) =>
    `# shellcheck disable=SC2016 # the recorded arguments are literal, quoted on purpose
run_gate ${bashQuote(g.name)} ${g.exit_code} ${bashQuote(g.output)} ${
      g.args.map(bashQuote).join(" ")
    }`
  );
  return `#!/usr/bin/env bash
# replay.sh: replays a bootpack proofpack. Written by "bootpack proofpack export"; do not edit
# (SHA256SUMS.txt covers this file).
#
#   BOOTPACK_CLI=/path/to/bootpack/cli.ts bash replay.sh
#
# 1. Reads SHA256SUMS.txt and refuses unsafe names (absolute, .., backslash, control chars).
# 2. Walks the pack: refuses symlinks and special files, reports extra and missing files,
#    before any listed file is opened.
# 3. Checks every SHA256 with GNU sha256sum -c --strict, and that MANIFEST.json agrees.
# 4. Re-runs the recorded gates (gates/commands.json) with Deno, allowed to read this folder and
#    nothing else (--allow-read=<pack>), from this folder, and compares their stdout and exit
#    code with the recorded ones (gates/*.txt).
#
# BOOTPACK_CLI: bootpack's cli.ts (a checkout of the version named in toolchain.json); needed
# only when gates were recorded.
# Exit: 0 everything matches; 1 a check failed; 2 the replay cannot run (tool missing).
set -euo pipefail
export LC_ALL=C

${
    runs.length === 0
      ? ""
      : "origin=$PWD # BOOTPACK_CLI may be relative to it\n"
  }pack=$(cd -- "$(dirname -- "\${BASH_SOURCE[0]}")" && pwd -P)
cd -- "$pack"
problems=0

problem() {
  printf 'replay: FAIL: %s\\n' "$*" >&2
  problems=$((problems + 1))
}
give_up() {
  printf 'replay: FAIL: %s\\n' "$*" >&2
  exit 1
}
stop_if_problems() {
  if [[ $problems -gt 0 ]]; then
    printf 'replay: FAIL: %d problem(s) %s\\n' "$problems" "$1" >&2
    exit 1
  fi
}
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    printf 'replay: cannot run: %s not found on PATH\\n' "$1" >&2
    exit 2
  fi
}

need sha256sum
need find

# 1. The list of sums.
sums=SHA256SUMS.txt
[[ -L $sums ]] && give_up "$sums: is a symlink"
[[ -f $sums ]] || give_up "$sums: missing"
[[ -s $sums ]] || give_up "$sums: empty"
[[ $(tail -c 1 -- "$sums" | wc -l) -eq 1 ]] || give_up "$sums: last line has no line feed (truncated?)"
declare -A listed=()
line_no=0
while IFS= read -r line; do
  line_no=$((line_no + 1))
  if [[ ! $line =~ ^[0-9A-Fa-f]{64}\\ [\\ *](.+)$ ]]; then
    problem "$sums line $line_no: not '<64 hex digits>  <path>'"
    continue
  fi
  path=\${BASH_REMATCH[1]}
  case $path in
    /* | *\\\\* | *:* | . | .. | ./* | ../* | */. | */.. | */./* | */../* | *//* | */)
      problem "$sums line $line_no: unsafe path: $path"
      continue
      ;;
  esac
  if [[ $path == *[[:cntrl:]]* ]]; then
    problem "$sums line $line_no: unsafe path (control character)"
    continue
  fi
  if [[ $path == SHA256SUMS.txt || -n \${listed[$path]+x} ]]; then
    problem "$sums line $line_no: listed twice: $path"
    continue
  fi
  listed[$path]=1
done <"$sums"
[[ $line_no -gt 0 ]] || give_up "$sums: lists no file"
stop_if_problems "in $sums"

# 2. The pack's tree: no symlink, no special file, nothing extra, nothing missing.
while IFS= read -r -d '' entry; do
  rel=\${entry#./}
  shown=$rel
  if [[ $rel == *[[:cntrl:]]* ]]; then
    shown=\${rel@Q} # never print CR, LF or escapes raw
  fi
  if [[ -L $entry ]]; then
    problem "symlink: $shown"
  elif [[ ! -f $entry ]]; then
    problem "not a regular file: $shown"
  elif [[ $rel != "$sums" && -z \${listed[$rel]+x} ]]; then
    problem "extra: $shown"
  fi
done < <(find . -mindepth 1 ! -type d -print0)
for path in "\${!listed[@]}"; do
  if [[ ! -e $path && ! -L $path ]]; then
    problem "missing: $path"
  fi
done
stop_if_problems "in the pack's files"

# 3. Every SHA256.
if ! sha256sum -c --strict --quiet -- "$sums" >&2; then
  give_up "SHA256 mismatch (see the FAILED lines above)"
fi
printf 'replay: %d files match %s\\n' "$line_no" "$sums" >&2

# 3b. MANIFEST.json lists the same files, with the same SHA256, as SHA256SUMS.txt.
[[ -n \${listed[MANIFEST.json]+x} ]] || give_up "MANIFEST.json: not listed in $sums"
manifest_files() {
  awk '/^      "path": "/ { p = $0; sub(/^      "path": "/, "", p); sub(/",$/, "", p) }
       /^      "sha256": "/ { h = $0; sub(/^      "sha256": "/, "", h); sub(/"$/, "", h)
                              print toupper(h) "  " p }' MANIFEST.json | sort
}
sums_content_files() {
  grep -v -e '  MANIFEST[.]json$' -e '  statement[.]intoto[.]UNSIGNED[.]json$' \\
    -e '  statement[.]intoto[.]dsse[.]json$' -- "$sums" |
    awk '{ print toupper(substr($0, 1, 64)) substr($0, 65) }' | sort
}
if ! diff -- <(manifest_files) <(sums_content_files) >&2; then
  give_up "MANIFEST.json does not list the same files and SHA256 as $sums"
fi

${
    runs.length === 0
      ? `printf 'replay: no gate recorded\\n' >&2
exit 0`
      : `# 4. The recorded gates, re-run in a read-only sandbox.
cli=\${BOOTPACK_CLI:-}
if [[ -z $cli ]]; then
  printf 'replay: cannot run the gates: set BOOTPACK_CLI to bootpack'"'"'s cli.ts\\n' >&2
  exit 2
fi
[[ $cli == /* ]] || cli=$origin/$cli
need deno
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

run_gate() {
  local name=$1 want=$2 recorded=$3
  shift 3
  local got=0
  local config=()
  if [[ -f $(dirname -- "$cli")/deno.json ]]; then
    config=(--config "$(dirname -- "$cli")/deno.json")
  fi
  deno run --no-prompt --quiet --no-lock "\${config[@]}" --allow-read="$pack" "$cli" "$@" \\
    >"$tmp/$name.out" 2>"$tmp/$name.err" || got=$?
  if [[ $got -ne $want ]]; then
    problem "$name: exit code $got, recorded $want"
    sed 's/^/  /' "$tmp/$name.err" >&2
  fi
  if cmp -s -- "$recorded" "$tmp/$name.out"; then
    printf 'replay: %s: same output as %s\\n' "$name" "$recorded" >&2
  else
    problem "$name: output differs from $recorded"
    diff -- "$recorded" "$tmp/$name.out" >&2 || true
  fi
}

${runs.join("\n")}
stop_if_problems "in the replayed gates"
printf 'replay: PASS\\n' >&2`
  }
`;
}

/**
 * Renders `verify.ps1` for Windows PowerShell 5.1 (and later), ASCII only, CRLF line ends; the
 * writer adds the UTF-8 BOM the contract requires (see {@linkcode encodeVerifyPs1}).
 *
 * It reads `SHA256SUMS.txt` as UTF-8 explicitly, refuses unsafe names and reparse points
 * (symlinks, junctions) before opening any listed file, hashes each file with
 * `Get-FileHash -LiteralPath`, compares hex case-insensitively, names every missing, modified and
 * extra file, and exits 0 or 1.
 *
 * @returns The script's text (no BOM).
 * @example
 * ```ts
 * import { renderVerifyPs1 } from "./scripts.ts";
 * if (!/^[\x00-\x7f]*$/.test(renderVerifyPs1())) throw new Error("not ASCII");
 * ```
 */
export function renderVerifyPs1(): string {
  return VERIFY_PS1.replace(/\r?\n/g, "\r\n");
}

/**
 * Encodes `verify.ps1` as UTF-8 with a BOM (contract §C.4).
 *
 * @returns The file's bytes.
 * @example
 * ```ts
 * import { encodeVerifyPs1 } from "./scripts.ts";
 * const b = encodeVerifyPs1();
 * if (b[0] !== 0xef || b[1] !== 0xbb || b[2] !== 0xbf) throw new Error();
 * ```
 */
export function encodeVerifyPs1(): Uint8Array {
  return new TextEncoder().encode("\uFEFF" + renderVerifyPs1());
}

const VERIFY_PS1 = `# verify.ps1: checks every SHA256 of a bootpack proofpack. Written by
# "bootpack proofpack export"; do not edit (SHA256SUMS.txt covers this file).
# Windows PowerShell 5.1 or later; nothing to install.
#
#   powershell -NoProfile -ExecutionPolicy Bypass -File verify.ps1 [-Pack DIR]
#
# Reads SHA256SUMS.txt (UTF-8), refuses unsafe names and reparse points (symlinks, junctions)
# before opening any listed file, then hashes every listed file with Get-FileHash.
# Prints one line per problem: UNSAFE, SYMLINK, MISSING, MODIFIED, EXTRA, INVALID.
# Exit: 0 every listed file is present and matches and no file is extra; 1 otherwise.
[CmdletBinding()]
param(
  [string]$Pack = ''
)
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

if ($Pack -eq '') {
  $Pack = Split-Path -Parent $MyInvocation.MyCommand.Path
}
$Pack = (Resolve-Path -LiteralPath $Pack).ProviderPath
$sumsName = 'SHA256SUMS.txt'
$sumsPath = [System.IO.Path]::Combine($Pack, $sumsName)
$bad = 0

if (-not (Test-Path -LiteralPath $sumsPath -PathType Leaf)) {
  Write-Output ('MISSING: ' + $sumsName)
  exit 1
}
$utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList @($false, $true)
try {
  $text = [System.IO.File]::ReadAllText($sumsPath, $utf8)
} catch {
  Write-Output ('INVALID: ' + $sumsName + ' is not valid UTF-8')
  exit 1
}
if ($text.Length -eq 0) {
  Write-Output ('INVALID: ' + $sumsName + ' is empty')
  exit 1
}
if (-not $text.EndsWith([string][char]10)) {
  Write-Output ('INVALID: ' + $sumsName + ' last line has no line feed (truncated?)')
  exit 1
}

# 1. The list: well-formed lines, safe names, no duplicates (Windows ignores case).
$lineRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('^([0-9A-Fa-f]{64}) [ *](.+)$')
$unsafeRe = New-Object -TypeName System.Text.RegularExpressions.Regex -ArgumentList @('^/|\\\\|:|[\\x00-\\x1f\\x7f<>"|?*]|(^|/)\\.\\.?(/|$)|//|/$|[. ]$|[. ]/')
$expected = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList @([System.StringComparer]::OrdinalIgnoreCase)
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
  if ($unsafeRe.IsMatch($rel) -or $rel -eq $sumsName) {
    Write-Output ('UNSAFE: ' + $rel)
    $bad = $bad + 1
    continue
  }
  if ($expected.ContainsKey($rel)) {
    Write-Output ('INVALID: ' + $sumsName + ' lists twice: ' + $rel)
    $bad = $bad + 1
    continue
  }
  $expected.Add($rel, $m.Groups[1].Value)
  $order.Add($rel)
}
if ($bad -gt 0) {
  Write-Output ('FAIL: ' + $bad + ' problem(s) in ' + $sumsName)
  exit 1
}

# 2. The tree: no reparse point, nothing extra; walked by hand so links are never followed.
$queue = New-Object -TypeName System.Collections.Queue
$queue.Enqueue($Pack)
while ($queue.Count -gt 0) {
  $dir = [string]$queue.Dequeue()
  foreach ($item in @(Get-ChildItem -LiteralPath $dir -Force)) {
    $rel = $item.FullName.Substring($Pack.Length).TrimStart([char]92, [char]47).Replace([char]92, [char]47)
    if (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
      Write-Output ('SYMLINK: ' + $rel)
      $bad = $bad + 1
      continue
    }
    if ($item.PSIsContainer) {
      $queue.Enqueue($item.FullName)
      continue
    }
    if ($rel -eq $sumsName) {
      continue
    }
    if (-not $expected.ContainsKey($rel)) {
      Write-Output ('EXTRA: ' + $rel)
      $bad = $bad + 1
    }
  }
}
if ($bad -gt 0) {
  Write-Output ('FAIL: ' + $bad + ' problem(s) in the pack' + [char]39 + 's files')
  exit 1
}

# 3. Every SHA256.
$sep = [string][System.IO.Path]::DirectorySeparatorChar
$ok = 0
foreach ($rel in $order) {
  $full = [System.IO.Path]::Combine($Pack, $rel.Replace('/', $sep))
  if (-not (Test-Path -LiteralPath $full -PathType Leaf)) {
    Write-Output ('MISSING: ' + $rel)
    $bad = $bad + 1
    continue
  }
  $hash = (Get-FileHash -LiteralPath $full -Algorithm SHA256).Hash
  if ([string]::Equals($hash, $expected[$rel], [System.StringComparison]::OrdinalIgnoreCase)) {
    $ok = $ok + 1
  } else {
    Write-Output ('MODIFIED: ' + $rel)
    $bad = $bad + 1
  }
}
if ($bad -gt 0) {
  Write-Output ('FAIL: ' + $bad + ' problem(s); ' + $ok + ' file(s) match')
  exit 1
}
Write-Output ('OK: ' + $ok + ' file(s) match ' + $sumsName)
exit 0
`;
