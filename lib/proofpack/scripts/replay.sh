#!/usr/bin/env bash
# replay.sh: replays a bootpack proofpack. Written by "bootpack proofpack export"; do not edit
# (SHA256SUMS.txt covers this file).
#
#   bash replay.sh [--root HEX]            (BOOTPACK_CLI=/path/to/cli.ts when the pack has no tool/)
#
# 1. Takes SHA256SUMS.txt once, into a private folder (cp -RP: a link is copied as a link, a FIFO
#    or folder as itself, never followed or opened) and reads only that copy: strict UTF-8,
#    LF-terminated, "<hex>  path" or "<hex> *path" lines, no unsafe name (absolute, .., backslash,
#    control characters, duplicates); the root digest is the SHA256 of those same bytes.
# 2. Walks the pack without following links: fails on anything it cannot list, on any symlink,
#    FIFO, device or other special file, on any file not listed and any folder that holds no
#    listed file (empty or not), before any listed file is opened.
# 3. Takes every listed file once, the same way, into the private folder, and walks that copy
#    again: whatever was swapped in after the walk is a link, FIFO or folder there, and fails.
#    From then on only the copy, which no one else can write, is read: every SHA256 (GNU
#    sha256sum -c --strict), MANIFEST.json (the same files, SHA256 and sizes), the gates.
# 4. Re-runs the gates on the copy: the BootPack MANIFEST.json names, with Deno allowed to read
#    that copy and nothing else; compares stdout and exit code with the recorded ones (gates/*.txt).
#
# What a PASS proves: without --root, that the pack is self-consistent only (anyone who can
# rewrite the sums can arrange that); with --root HEX (the digest recorded elsewhere at export),
# that nothing in the pack changed since.
# Exit: 0 everything matches; 1 a check failed; 2 the replay cannot run (tool missing).
set -euo pipefail
export LC_ALL=C

expected_root=
if [[ ${1:-} == --root ]]; then
  expected_root=${2:-}
  [[ $expected_root =~ ^[0-9A-Fa-f]{64}$ ]] || { printf 'replay: --root needs 64 hex digits\n' >&2; exit 2; }
  expected_root=${expected_root^^}
elif [[ $# -gt 0 ]]; then
  printf 'usage: bash replay.sh [--root HEX]\n' >&2
  exit 2
fi

origin=$PWD # BOOTPACK_CLI may be relative to it
pack=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
cd -- "$pack"
problems=0
work=$(mktemp -d)
trap 'chmod -R u+w -- "$work" 2>/dev/null; rm -rf -- "$work"' EXIT

problem() {
  printf 'replay: FAIL: %s\n' "$*" >&2
  problems=$((problems + 1))
}
give_up() {
  printf 'replay: FAIL: %s\n' "$*" >&2
  printf 'replay: [FAIL] proves nothing\n' >&2
  exit 1
}
stop_if_problems() {
  if [[ $problems -gt 0 ]]; then
    give_up "$problems problem(s) $1"
  fi
}
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    printf 'replay: cannot run: %s not found on PATH\n' "$1" >&2
    exit 2
  fi
}
need sha256sum
need find
need iconv

# 1. The list of sums, taken once: every later read is of the private copy.
sums=SHA256SUMS.txt
copy=$work/pack
mkdir -m 700 -- "$copy"
copy=$(cd -- "$copy" && pwd -P)
[[ -e $sums || -L $sums ]] || give_up "$sums: missing"
[[ -d $sums && ! -L $sums ]] && give_up "$sums: is a folder"
cp -RP -- "$sums" "$copy/$sums" 2>"$work/cp_err" || give_up "$sums: cannot be read: $(head -n 1 -- "$work/cp_err")"
[[ -L $copy/$sums ]] && give_up "$sums: is a symlink"
[[ -f $copy/$sums ]] || give_up "$sums: not a regular file"
cd -- "$copy"
[[ -s $sums ]] || give_up "$sums: empty"
[[ $(tail -c 1 -- "$sums" | wc -l) -eq 1 ]] || give_up "$sums: last line has no line feed (truncated?)"
iconv -f UTF-8 -t UTF-8 -- "$sums" >/dev/null 2>&1 || give_up "$sums: not valid UTF-8"
root=$(sha256sum -- "$sums")
root=${root%% *}
root=${root^^}
if [[ -n $expected_root && $root != "$expected_root" ]]; then
  give_up "root digest $root is not the expected $expected_root"
fi
# One awk pass, bounded memory: the paths (one per line) or the first problems.
awk -v listed="$work/listed" '
  {
    if ($0 !~ /^[0-9A-Fa-f]+ [ *]./ || index($0, " ") != 65) { print "line " NR ": not <64 hex digits>  <path>"; bad++; next }
    p = substr($0, 67)
    if (p ~ /[[:cntrl:]]/) { print "line " NR ": unsafe path (control character)"; bad++; next }
    if (p ~ /^\// || p ~ /\\/ || p ~ /:/ || p ~ /(^|\/)\.\.?(\/|$)/ || p ~ /\/\// || p ~ /\/$/ || p == "SHA256SUMS.txt") {
      print "line " NR ": unsafe path: " p; bad++; next
    }
    print p > listed
  }
  END { if (NR == 0) print "lists no file"; exit (bad > 0 || NR == 0) }
' "$sums" >"$work/sums_problems" || true
while IFS= read -r line; do problem "$sums $line"; done < <(head -n 20 -- "$work/sums_problems")
stop_if_problems "in $sums"
sort -o "$work/listed" -- "$work/listed"
dups=$(tr '[:upper:]' '[:lower:]' <"$work/listed" | sort | uniq -d | head -n 5)
[[ -z $dups ]] || give_up "$sums: lists a path twice (or twice but for case): ${dups//$'\n'/, }"

# 2. The pack's tree, lstat only: errors from find are failures, not silence.
# A folder is needed only if it holds a listed file.
awk '{ p = $0; while (sub(/\/[^\/]*$/, "", p)) print p }' "$work/listed" | sort -u >"$work/needed"
# Each kind named up to 100 times, then counted (a sums file may list a million files).
report_each() {
  local kind=$1 file=$2 n
  n=$(wc -l <"$file")
  while IFS= read -r rel; do problem "$kind: $rel"; done < <(head -n 100 -- "$file")
  if [[ $n -gt 100 ]]; then problem "$((n - 100)) more $kind"; fi
}
# walk_tree DIR NAME SUFFIX: lists DIR's regular files and folders (sorted, in $work/files and
# $work/dirs), every other kind a problem (SUFFIX appended), then every file not listed and every
# folder not needed.
walk_tree() {
  local dir=$1 name=$2 where=$3 entry kind rel
  : >"$work/files"
  : >"$work/dirs"
  if ! find "$dir" -mindepth 1 -printf '%y %P\0' >"$work/tree" 2>"$work/find_err"; then
    while IFS= read -r line; do problem "cannot list: $line"; done <"$work/find_err"
    problem "cannot list the whole $name"
  fi
  while IFS= read -r -d '' entry; do
    kind=${entry%% *}
    rel=${entry#* }
    if [[ $rel == *[[:cntrl:]]* ]]; then
      problem "unsafe name (control character): ${rel@Q}"
      continue
    fi
    case $kind in
      f) [[ $rel == "$sums" ]] || printf '%s\n' "$rel" >>"$work/files" ;;
      d) printf '%s\n' "$rel" >>"$work/dirs" ;;
      l) problem "symlink: $rel$where" ;;
      p) problem "not a regular file (FIFO): $rel$where" ;;
      *) problem "not a regular file ($kind): $rel$where" ;;
    esac
  done <"$work/tree"
  sort -o "$work/files" -- "$work/files"
  comm -13 -- "$work/listed" "$work/files" >"$work/extra"
  comm -23 -- "$work/listed" "$work/files" >"$work/missing"
  report_each extra "$work/extra"
  report_each missing "$work/missing"
  sort -o "$work/dirs" -- "$work/dirs"
  while IFS= read -r rel; do problem "extra folder: $rel/$where"; done < <(comm -13 -- "$work/needed" "$work/dirs")
}
walk_tree "$pack" pack ""
stop_if_problems "in the pack's files"

# 3. Every listed file taken once into the copy, without following or opening anything but a
#    regular file (cp -RP, which also makes the folders), and the copy walked again.
if ! (cd -- "$pack" && tr '\n' '\0' <"$work/listed" | xargs -0 -r cp -RP --parents -t "$copy" --) 2>"$work/cp_err"; then
  while IFS= read -r line; do problem "cannot copy: $line"; done < <(head -n 20 -- "$work/cp_err")
fi
walk_tree "$copy" "private copy" " (swapped in after the walk?)"
stop_if_problems "in the pack's files"
chmod -R a-w -- "$copy"
# Every SHA256, then MANIFEST.json (read token by token: no dependence on its layout).
if ! sha256sum -c --strict --quiet -- "$sums" >&2; then
  give_up "SHA256 mismatch (see the FAILED lines above)"
fi
grep -qxF MANIFEST.json -- "$work/listed" || give_up "MANIFEST.json: not listed in $sums"
manifest_files() {
  grep -oE '"(path|size|sha256)"[[:space:]]*:[[:space:]]*("[^"\\]*"|[0-9]+)' MANIFEST.json |
    sed -E 's/^"([a-z0-9]+)"[[:space:]]*:[[:space:]]*"?([^"]*)"?$/\1 \2/' |
    awk '$1 == "path" { p = substr($0, 6) } $1 == "size" { s = $2 }
         $1 == "sha256" { print toupper($2) " " s " " p }' | sort -k3
}
sums_content_files() {
  awk '{ p = substr($0, 67) }
       p != "MANIFEST.json" && p != "statement.intoto.UNSIGNED.json" && p != "statement.intoto.dsse.json" {
         print toupper(substr($0, 1, 64)) " " p }' "$sums" |
    while IFS=' ' read -r hex rel; do
      printf '%s %s %s\n' "$hex" "$(stat -c %s -- "$rel")" "$rel"
    done | sort -k3
}
if ! diff -- <(manifest_files) <(sums_content_files) >&2; then
  give_up "MANIFEST.json does not list the same files, SHA256 and sizes as $sums"
fi
lines=$(wc -l <"$work/listed")
printf 'replay: %d files match %s\n' "$lines" "$sums" >&2
if [[ -n $expected_root ]]; then proven="matches root digest $root"
else proven="self-consistent only (does not prove against anyone who can rewrite the sums)"; fi

# 4. The gates, derived from the evidence MANIFEST.json names, on the private verified copy.
bootpack=$(grep -oE '"bootpack"[[:space:]]*:[[:space:]]*"[^"\\]*"' MANIFEST.json | sed -E 's/.*"([^"]*)"$/\1/' || true)
if [[ -z $bootpack ]]; then
  grep -qxF gates/commands.json -- "$work/listed" && give_up "gates recorded, but MANIFEST.json names no BootPack"
  printf 'replay: no gate recorded; [PASS] %s\n' "$proven" >&2
  exit 0
fi
grep -qxF -- "$bootpack" "$work/listed" || give_up "MANIFEST.json names the BootPack $bootpack, which $sums does not list"
[[ $copy == *,* ]] && give_up "cannot sandbox $copy: a comma would widen Deno's --allow-read list"
need deno
if grep -qxF tool/bootpack.js -- "$work/listed"; then
  tool=(deno run --no-prompt --quiet --no-lock --no-config "--allow-read=$copy" "$copy/tool/bootpack.js")
  tool_file=$copy/tool/bootpack.js
else
  cli=${BOOTPACK_CLI:-}
  if [[ -z $cli ]]; then
    printf 'replay: cannot run the gates: the pack has no tool/bootpack.js; set BOOTPACK_CLI to bootpack'"'"'s cli.ts\n' >&2
    exit 2
  fi
  [[ $cli == /* ]] || cli=$origin/$cli
  config=()
  if [[ -f $(dirname -- "$cli")/deno.json ]]; then config=(--config "$(dirname -- "$cli")/deno.json"); fi
  tool=(deno run --no-prompt --quiet --no-lock "${config[@]}" "--allow-read=$copy" "$cli")
  tool_file=$cli
fi
tool_sum=$(sha256sum -- "$tool_file")
printf 'replay: tool %s sha256 %s\n' "$tool_file" "${tool_sum%% *}" >&2
# The map may only send the POINTER's folder to the pack's evidence/.
map=$(tr -d '\n' <gates/commands.json | grep -oE '"--map",[[:space:]]*"[^"]*"' | head -n 1 | sed -E 's/.*"([^"]*)"$/\1/' || true)
map=${map//\\\\/\\}
if [[ -n $map && $map != *=evidence ]]; then give_up "gates/commands.json maps the POINTER to ${map##*=}, not to evidence"; fi
# The recorded command lines must be the derived ones: <name> <the BootPack MANIFEST names>
# [--map FROM=evidence], acceptance then selftest (JSON strings read token by token).
recorded_args=$(tr -d '\n' <gates/commands.json | grep -oE '"args"[[:space:]]*:[[:space:]]*\[[^]]*\]' || true)
[[ $(grep -c . <<<"$recorded_args") -eq 2 ]] || give_up "gates/commands.json does not record the two gates"
gate_no=0
while IFS= read -r line; do
  name=acceptance
  [[ $gate_no -eq 1 ]] && name=selftest
  gate_no=$((gate_no + 1))
  mapfile -t tokens < <(grep -oE '"([^"\\]|\\.)*"' <<<"$line" | tail -n +2)
  want_args=("\"$name\"" "\"$bootpack\"")
  if [[ ${#tokens[@]} -eq 4 && ${tokens[2]} == '"--map"' && ${tokens[3]} == *'=evidence"' ]]; then
    want_args+=("${tokens[2]}" "${tokens[3]}")
  fi
  if [[ "${tokens[*]}" != "${want_args[*]}" ]]; then
    give_up "gates/commands.json records $name with other arguments than the pack's evidence gives"
  fi
done <<<"$recorded_args"
verdicts=()
for name in acceptance selftest; do
  recorded=gates/$name.txt
  grep -qxF -- "$recorded" "$work/listed" || { problem "$name: $recorded is not in the pack"; continue; }
  want=1
  [[ $(grep -v '^$' -- "$recorded" | tail -n 1) == '[PASS] '* ]] && want=0
  args=("$name" "$bootpack")
  [[ -n $map ]] && args+=(--map "$map")
  got=0
  (cd -- "$copy" && NO_COLOR=1 "${tool[@]}" "${args[@]}" </dev/null >"$work/$name.out" 2>"$work/$name.err") || got=$?
  if [[ $got -ne $want ]]; then
    problem "$name: exit code $got, recorded $want"
    sed 's/^/  /' "$work/$name.err" >&2
  fi
  if cmp -s -- "$recorded" "$work/$name.out"; then
    verdicts+=("$name $( ((want == 0)) && echo PASS || echo GATE-BLOCK)")
  else
    problem "$name: output differs from $recorded"
    diff -- "$recorded" "$work/$name.out" >&2 || true
  fi
done
stop_if_problems "in the replayed gates"
printf 'replay: reproduced the recorded verdicts: %s\n' "$(IFS=';'; echo "${verdicts[*]}")" >&2
if [[ " ${verdicts[*]}" == *GATE-BLOCK* ]]; then
  # The replay matched, but what it reproduced is a block: never say PASS for it.
  printf 'replay: [REPRODUCED-BLOCK] the recorded GATE-BLOCK was reproduced; %s\n' "$proven" >&2
else
  printf 'replay: [PASS] replayed; %s\n' "$proven" >&2
fi
