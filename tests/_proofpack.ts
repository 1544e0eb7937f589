/**
 * Helpers for the proofpack tests: a pack made from the bundled example, the pack's own scripts
 * run for real, and the edits an attacker would make.
 *
 * @module
 */

import { exportProofpack, type ExportResult } from "../lib/proofpack/export.ts";
import {
  CLI,
  type CliResult,
  copyExample,
  exampleMap,
  findPwsh,
  ROOT,
  runCli,
} from "./_helpers.ts";

/** Permissions of the `proofpack` task (deno.json). */
export const PROOFPACK_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-run=deno",
  "--allow-env=SOURCE_DATE_EPOCH,BOOTPACK_CLI",
  "--allow-sys=osRelease",
];

/**
 * Exports a pack of the bundled example (BootPack, KB found through its POINTER, README) into
 * `${dir}/pack`, with a fixed time stamp.
 *
 * @param dir A temporary folder.
 * @returns The pack's folder and the export's result.
 */
export async function makePack(dir: string): Promise<{ pack: string; result: ExportResult }> {
  await Deno.mkdir(`${dir}/src`);
  const { bootpack } = await copyExample(`${dir}/src`);
  await Deno.copyFile(`${ROOT}/README.md`, `${dir}/src/README.md`);
  const pack = `${dir}/pack`;
  const result = await exportProofpack(pack, {
    bootpack,
    maps: [{ from: "\\\\DS-918\\kb", to: `${dir}/src` }],
    files: [`${dir}/src/README.md`],
    createdAt: new Date(1_700_000_000_000),
    toolVersion: "test",
  });
  return { pack, result };
}

/** `--map` for the example's POINTER, for CLI tests. */
export { exampleMap };

/**
 * Runs the pack's own `replay.sh` with bash, replaying with this repository's CLI.
 *
 * @param pack The pack's folder.
 * @param args Further arguments (`--root HEX`).
 * @param env Further environment (e.g. a `PATH` with wrappers first).
 * @returns Exit code and output.
 */
export async function runReplaySh(
  pack: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command("bash", {
    args: [`${pack}/replay.sh`, ...args],
    cwd: "/",
    env: { BOOTPACK_CLI: CLI, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs `bootpack proofpack <args>` as a subprocess with the task's permissions.
 *
 * @param args Arguments after `proofpack`.
 * @param env Extra environment.
 * @returns Exit code and output.
 */
export function runProofpack(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return runCli(["proofpack", ...args], { permissions: PROOFPACK_PERMISSIONS, env });
}

/**
 * Rewrites a file's line in SHA256SUMS.txt to its current SHA256, as an attacker who edits a
 * file and "fixes" the sums would.
 *
 * @param pack The pack's folder.
 * @param path The pack path whose line to rewrite.
 */
export async function rehash(pack: string, path: string): Promise<void> {
  const bytes = await Deno.readFile(`${pack}/${path}`);
  const hex = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (b) => b.toString(16).padStart(2, "0").toUpperCase(),
  ).join("");
  const sums = await Deno.readTextFile(`${pack}/SHA256SUMS.txt`);
  const lines = sums.split("\n").map((l) => (l.slice(66) === path ? `${hex}  ${path}` : l));
  await Deno.writeTextFile(`${pack}/SHA256SUMS.txt`, lines.join("\n"));
}

/**
 * Copies a folder recursively (`cp -a`).
 *
 * @param from Source folder.
 * @param to Target folder (must not exist).
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("cp", { args: ["-a", "--", from, to] }).output();
  if (!out.success) throw new Error(`cp -a failed: ${new TextDecoder().decode(out.stderr)}`);
}

async function sha256Upper(bytes: Uint8Array): Promise<string> {
  return Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)),
    (b) => b.toString(16).padStart(2, "0").toUpperCase(),
  ).join("");
}

/**
 * Replaces a content file of a pack and reseals everything a careful forger would: its entry in
 * MANIFEST.json (SHA256 and size), its subject in the statement, MANIFEST.json's subject, and
 * the lines of SHA256SUMS.txt. Only the root digest (and a replay) can tell.
 *
 * @param pack The pack's folder.
 * @param path The content file (not MANIFEST.json, the statement or SHA256SUMS.txt).
 * @param text Its new text.
 */
export async function forge(pack: string, path: string, text: string): Promise<void> {
  const sumsPath = `${pack}/SHA256SUMS.txt`;
  const shaOf = async (p: string): Promise<string> =>
    (await Deno.readTextFile(sumsPath)).split("\n").find((l) => l.slice(66) === p)!.slice(0, 64);
  const oldSha = await shaOf(path);
  const oldSize = (await Deno.stat(`${pack}/${path}`)).size;
  const bytes = new TextEncoder().encode(text);
  await Deno.writeFile(`${pack}/${path}`, bytes);
  const newSha = await sha256Upper(bytes);
  const manifest = await Deno.readTextFile(`${pack}/MANIFEST.json`);
  await Deno.writeTextFile(
    `${pack}/MANIFEST.json`,
    manifest.replace(
      `"path": "${path}",\n      "size": ${oldSize},\n      "sha256": "${oldSha}"`,
      `"path": "${path}",\n      "size": ${bytes.length},\n      "sha256": "${newSha}"`,
    ),
  );
  const oldManifestSha = await shaOf("MANIFEST.json");
  await rehash(pack, path);
  await rehash(pack, "MANIFEST.json");
  const newManifestSha = await shaOf("MANIFEST.json");
  const statementPath = `${pack}/statement.intoto.UNSIGNED.json`;
  const statement = await Deno.readTextFile(statementPath);
  await Deno.writeTextFile(
    statementPath,
    statement.replaceAll(oldSha.toLowerCase(), newSha.toLowerCase()).replace(
      oldManifestSha.toLowerCase(),
      newManifestSha.toLowerCase(),
    ),
  );
  await rehash(pack, "statement.intoto.UNSIGNED.json");
}

/**
 * Runs the pack's own `verify.ps1` for real: `pwsh -NoProfile -NonInteractive -File`.
 *
 * @param pack The pack's folder.
 * @param args Further arguments (`-Root HEX`, `-PubKey FILE`).
 * @returns Exit code and output.
 */
export function runVerifyPs1(pack: string, args: readonly string[] = []): Promise<CliResult> {
  return runPwsh(["-File", `${pack}/verify.ps1`, "-Pack", pack, ...args]);
}

/**
 * Runs each pack's own `verify.ps1` in one PowerShell process, one after the other, as `-File` would
 * (each a script run of its own: `& verify.ps1 -Pack PACK`, its exit code from `exit`, an error it
 * does not catch giving 1), so that a matrix of packs pays PowerShell's start-up once. The output of
 * each is its lines, errors included, one per line. `tests/proofpack/verify_test.ts` checks it
 * against `-File` runs.
 *
 * @param packs The packs' folders.
 * @returns Each pack's exit code and output (`stderr` empty), in order.
 */
export async function runVerifyPs1Each(packs: readonly string[]): Promise<CliResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "bootpack_ps1_" });
  try {
    await Deno.writeTextFile(`${dir}/packs.json`, JSON.stringify(packs));
    const driver = `
$packs = @(Get-Content -Raw -LiteralPath '${dir}/packs.json' | ConvertFrom-Json)
$results = @()
foreach ($pack in $packs) {
  $global:LASTEXITCODE = 0
  $lines = @()
  try {
    $lines = @(& ([System.IO.Path]::Combine($pack, 'verify.ps1')) -Pack $pack 2>&1 | ForEach-Object { [string]$_ })
    $code = $LASTEXITCODE
  } catch {
    $lines += [string]$_
    $code = 1
  }
  $results += ,@{ code = $code; stdout = (($lines | ForEach-Object { $_ + [char]10 }) -join '') }
}
ConvertTo-Json -InputObject $results -Depth 3 | Set-Content -LiteralPath '${dir}/results.json' -Encoding utf8
`;
    const run = await runPwsh(["-Command", driver]);
    if (run.code !== 0) throw new Error(`pwsh driver exit ${run.code}: ${run.stdout}${run.stderr}`);
    const results: { code: number; stdout: string }[] = JSON.parse(
      (await Deno.readTextFile(`${dir}/results.json`)).replace(/^\uFEFF/, ""),
    );
    return results.map((r) => ({ code: r.code, stdout: r.stdout, stderr: "" }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `pwsh -NoProfile -NonInteractive <args>` from `/`.
 *
 * @param args What follows (`-File SCRIPT ...` or `-Command TEXT`).
 * @returns Exit code and output.
 */
export async function runPwsh(args: readonly string[]): Promise<CliResult> {
  const out = await new Deno.Command(findPwsh(), {
    args: ["-NoProfile", "-NonInteractive", ...args],
    cwd: "/",
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
