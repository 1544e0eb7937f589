/**
 * CLI of `proofpack`: `export`, `verify` and `replay` (SPEC §6).
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { codeOf, messageOf } from "../lib/core/error.ts";
import { escapeCodeUnits } from "../lib/core/escape.ts";
import { removeAllOwnedDirs } from "../lib/io/owned_dir.ts";
import { readFileBytes } from "../lib/io/file_read.ts";
import { SignatureError } from "../lib/proofpack/dsse.ts";
import { type PackSignature, verifyPackSignature } from "../lib/proofpack/pack_signature.ts";
import { packTool } from "../lib/proofpack/tool.ts";
import { exportProofpack, type PackProgress } from "../lib/proofpack/export.ts";
import { SUMS_FILE } from "../lib/proofpack/manifest.ts";
import { replayProofpack, type ReplayReport } from "../lib/proofpack/replay.ts";
import { proofStatement, verifyProofpack, type VerifyReport } from "../lib/proofpack/verify.ts";
import { type ParsedFlags, UsageError } from "./_args.ts";
import {
  calibrationOf,
  chaosOf,
  COMMON_HELP,
  mapsOf,
  onePositional,
  parseCommand,
} from "./_common.ts";
import { printError, printInfo, writeJson, writeStderr, writeStdout } from "./_output.ts";

const USAGE =
  `Usage: bootpack proofpack export --out DIR [--bootpack FILE] [--kb FILE] [--map FROM=TO]... [--sign KEY.pem] [FILE...]
       bootpack proofpack verify DIR [--json] [--root HEX] [--pubkey PUB.pem]
       bootpack proofpack replay DIR [--cli PATH] [--json] [--root HEX]`;

const HELP = `${USAGE}

Proofpacks: a self-contained folder of evidence that tools we did not write can check
(GNU sha256sum, Windows PowerShell 5.1) and that Deno can replay in a read-only sandbox.

Subcommands (each has --help):
  export   Write a new pack into DIR and print its root digest
  verify   Check a pack: missing, extra, modified files, unsafe names, symlinks
  replay   Verify, then re-run the recorded gates with --allow-read=<pack> only and compare

Exit codes: 0 pass, 1 check failed or bad input, 2 usage error.
`;

const EXPORT_HELP =
  `Usage: bootpack proofpack export --out DIR [--bootpack FILE] [--kb FILE] [--map FROM=TO]... [--sign KEY.pem] [FILE...]

Writes a new proofpack into DIR (which must not exist, or be empty):
  evidence/          the BootPack, its KB and every FILE, by name
  gates/             acceptance and selftest run on the pack's own copies: output and commands
  MANIFEST.json      path, size and SHA256 of every file above
  tool/bootpack.js   the single-file bundle of this bootpack, which replay runs by default
  toolchain.json     runtime, OS and tool versions; the tool's SHA256 and source commit
  replay.sh          bash: checks the sums, re-runs the gates read-only, compares
  verify.ps1         Windows PowerShell 5.1: checks every SHA256 (UTF-8 with BOM, ASCII)
  statement.intoto.UNSIGNED.json   in-toto Statement v1 (test-result), unsigned:
                     sign it with cosign attest-blob --statement
  statement.intoto.dsse.json   with --sign: DSSE envelope (ECDSA P-256) whose payload is the
                     statement above; proofpack verify --pubkey and verify.ps1 -PubKey check it
  SHA256SUMS.txt     GNU format, every file but itself: sha256sum -c --strict SHA256SUMS.txt
Prints the root digest, the SHA256 of SHA256SUMS.txt, which covers the whole pack: record it
elsewhere. The same inputs give byte-identical files; set SOURCE_DATE_EPOCH to fix the time
stamp. Nothing is left behind when the export fails.

Options:
  --out DIR            The pack's folder (required)
  --bootpack FILE      The BootPack whose gates are recorded
  --kb FILE            Its external KB (default: the file its POINTER names)
  --map FROM=TO        Find the POINTER's KB on this host (repeatable)
  --sign KEY.pem       Sign the pack with this PKCS#8 private key (bootpack keygen)
  --json               Print {dir, root, files, gates} as JSON
${COMMON_HELP}

Example:
  deno task proofpack export --out proofpacks/pack1 --bootpack examples/bootpack.txt \\
    --kb examples/BUG_KB.json.txt
`;

const VERIFY_HELP = `Usage: bootpack proofpack verify DIR [--json] [--root HEX] [--pubkey PUB.pem]

Checks a proofpack against its SHA256SUMS.txt, by path: missing and extra files (completeness),
modified files and disagreements between MANIFEST.json, the statement and SHA256SUMS.txt
(validity). Unsafe names and symlinks are refused before any listed file is opened.

Options:
  --json               Print the report as one JSON object
  --root HEX           The root digest recorded at export; a different one fails
  --pubkey PUB.pem     The exporter's SPKI public key: the pack must be signed by it and the
                       signed statement must name exactly the pack's files and digests
                       (SIGNATURE_MISSING, SIGNATURE_INVALID, SIGNATURE_WRONG_KEY,
                       SUBJECTS_MISMATCH otherwise)
${COMMON_HELP}
`;

const REPLAY_HELP = `Usage: bootpack proofpack replay DIR [--cli PATH] [--json] [--root HEX]

Does what the pack's replay.sh does, from Deno: verifies the pack, then re-runs every recorded
gate with "deno run --allow-read=<pack>" (no other permission) from the pack's folder and
compares its output and exit code with the recorded ones.

Options:
  --cli PATH           bootpack's cli.ts to replay with (default: $BOOTPACK_CLI, as for
                       replay.sh)
  --json               Print the report as one JSON object
  --root HEX           The root digest recorded at export; a different one fails
${COMMON_HELP}
`;

/**
 * Runs `bootpack proofpack`.
 *
 * @param args Arguments after the command name.
 * @returns The exit code: 0 pass, 1 failed, 2 usage error.
 * @example
 * ```ts
 * import { main } from "./proofpack.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === "-h" || sub === "--help") {
      writeStdout(HELP);
      return 0;
    }
    if (sub === "export") return await runExport(rest);
    if (sub === "verify") return await runVerify(rest);
    if (sub === "replay") return await runReplay(rest);
    throw new UsageError(
      sub === undefined ? "Missing subcommand" : `Unknown subcommand ${JSON.stringify(sub)}`,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`proofpack: ${error.message}`);
      writeStderr(`${USAGE}\nRun bootpack proofpack --help for details.\n`);
      return 2;
    }
    printError(`proofpack: ${codeOf(error, "PROOFPACK_FAILED")}: ${messageOf(error)}`);
    return 1;
  }
}

async function runExport(args: string[]): Promise<number> {
  const flags = parseCommand(args, {
    out: { type: "string" },
    bootpack: { type: "string" },
    kb: { type: "string" },
    map: { type: "string", multiple: true },
    json: { type: "boolean" },
    sign: { type: "string" },
  });
  if (flags.values["help"]) {
    writeStdout(EXPORT_HELP);
    return 0;
  }
  const out = flags.values["out"];
  if (typeof out !== "string") throw new UsageError("Missing --out DIR");
  const bootpack = stringFlag(flags, "bootpack");
  const kb = stringFlag(flags, "kb");
  if (bootpack === undefined && kb === undefined && flags.positionals.length === 0) {
    throw new UsageError("Nothing to export: give --bootpack, --kb or FILE arguments");
  }
  const maps = mapsOf(flags);
  const chaos = chaosOf(flags);
  const calibration = await calibrationOf(flags);
  const createdAt = sourceDateEpoch();
  // Interrupted, export removes what it created (and only that), then stops.
  const onSignal = (): void => {
    removeAllOwnedDirs();
    printError("proofpack: interrupted: removed the partial pack");
    Deno.exit(130);
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    return await exportAndPrint(out, flags, { bootpack, kb, maps, chaos, calibration, createdAt });
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

async function exportAndPrint(
  out: string,
  flags: ParsedFlags,
  o: {
    bootpack: string | undefined;
    kb: string | undefined;
    maps: ReturnType<typeof mapsOf>;
    chaos: ReturnType<typeof chaosOf>;
    calibration: Awaited<ReturnType<typeof calibrationOf>>;
    createdAt: Date | undefined;
  },
): Promise<number> {
  const { bootpack, kb, maps, chaos, calibration, createdAt } = o;
  const sign = stringFlag(flags, "sign");
  const signingKeyPem = sign === undefined
    ? undefined
    : new TextDecoder().decode(await readFileBytes(sign, { calibration }));
  const tool = await packTool({ version: denoJson.version });
  const result = await exportProofpack(out, {
    tool,
    signingKeyPem,
    bootpack,
    kb,
    files: flags.positionals,
    maps,
    chaos,
    calibration,
    toolVersion: denoJson.version,
    onProgress: progressPrinter("copying"),
    ...(createdAt === undefined ? {} : { createdAt }),
  });
  if (flags.values["json"]) {
    writeJson(result);
  } else {
    writeStdout(`${result.root}  ${out.replace(/\/+$/, "")}/${SUMS_FILE}\n`);
  }
  const blocked = result.gates.filter((g) => g.verdict !== "PASS").map((g) => g.name);
  printInfo(
    `exported ${result.files.length + 1} files to ${out}; root digest = SHA256 of ${SUMS_FILE}` +
      (blocked.length > 0 ? `; recorded gates that block: ${blocked.join(", ")}` : ""),
  );
  return 0;
}

async function runVerify(args: string[]): Promise<number> {
  const flags = parseCommand(args, {
    json: { type: "boolean" },
    root: { type: "string" },
    pubkey: { type: "string" },
  });
  if (flags.values["help"]) {
    writeStdout(VERIFY_HELP);
    return 0;
  }
  const dir = onePositional(flags, "DIR");
  const root = rootOf(flags);
  const calibration = await calibrationOf(flags);
  const pubkey = stringFlag(flags, "pubkey");
  const publicPem = pubkey === undefined
    ? undefined
    : new TextDecoder().decode(await readFileBytes(pubkey, { calibration }));
  const verified = await verifyProofpack(dir, {
    expectedRoot: root,
    chaos: chaosOf(flags),
    calibration,
    onProgress: progressPrinter("hashing"),
  });
  const signature = publicPem === undefined
    ? undefined
    : await signatureOf(dir, publicPem, verified, calibration);
  const report = withSignature(verified, signature);
  if (flags.values["json"]) {
    writeJson(signature === undefined ? report : { ...report, signature });
  } else writeStdout(formatVerify(report, signature));
  return report.ok ? 0 : 1;
}

async function runReplay(args: string[]): Promise<number> {
  const flags = parseCommand(args, {
    cli: { type: "string" },
    json: { type: "boolean" },
    root: { type: "string" },
  });
  if (flags.values["help"]) {
    writeStdout(REPLAY_HELP);
    return 0;
  }
  const dir = onePositional(flags, "DIR");
  const cli = cliToReplayWith(flags);
  const report = await replayProofpack(dir, {
    cli,
    expectedRoot: rootOf(flags),
    chaos: chaosOf(flags),
    calibration: await calibrationOf(flags),
  });
  if (flags.values["json"]) writeJson(report);
  else writeStdout(formatReplay(report));
  return report.ok ? 0 : report.missingTool ? 2 : 1;
}

/**
 * Formats a verify report: one line per finding, then completeness, validity and the verdict.
 *
 * @param r The report.
 * @param signature The outcome of `--pubkey`, when given.
 * @returns The text for stdout.
 * @example
 * ```ts
 * import { formatVerify } from "./proofpack.ts";
 * const t = formatVerify({
 *   dir: "p", ok: false, complete: false, valid: true, root: null, listed: 1, matched: 0,
 *   missing: ["a"], extra: [], modified: [], unsafe: [], problems: [], inputs: null, gates: [],
 *   files: [], proof: { level: "none", statement: "nothing", key: null },
 * });
 * if (!t.includes("MISSING a")) throw new Error(t);
 * ```
 */
export function formatVerify(r: VerifyReport, signature?: SignatureOutcome): string {
  const lines: string[] = [];
  for (const u of r.unsafe) lines.push(`UNSAFE ${printable(u.path)}: ${printable(u.reason)}`);
  for (const p of r.missing) lines.push(`MISSING ${printable(p)}`);
  for (const p of r.extra) lines.push(`EXTRA ${printable(p)}`);
  for (const p of r.modified) lines.push(`MODIFIED ${printable(p)}`);
  for (const p of r.problems) {
    lines.push(
      `INVALID ${printable(p.file)}${p.line === null ? "" : ` line ${p.line}`}: ${
        printable(p.message)
      }`,
    );
  }
  lines.push(
    `completeness: ${
      r.complete ? "PASS" : "FAIL"
    } (${r.missing.length} missing, ${r.extra.length} extra)`,
  );
  lines.push(
    `validity: ${
      r.valid ? "PASS" : "FAIL"
    } (${r.matched} of ${r.listed} files match, ${r.modified.length} modified, ${r.unsafe.length} unsafe, ${r.problems.length} inconsistent)`,
  );
  lines.push(`root: ${r.root ?? "NA"}`);
  if (signature !== undefined) {
    lines.push(
      "keyid" in signature
        ? `signature: PASS (signed by key ${signature.keyid}, ${signature.subjects} files named)`
        : `signature: FAIL ${signature.code}: ${printable(signature.message)}`,
    );
  }
  lines.push(
    r.ok
      ? `[PASS] proofpack ${r.dir} verified: ${r.listed} files; ${r.proof.statement}`
      : `[FAIL] proofpack ${r.dir} does not verify; proves ${r.proof.statement}${
        signature !== undefined && !("keyid" in signature) ? ` (${signature.code})` : ""
      }`,
  );
  return lines.join("\n") + "\n";
}

/** A name from a pack may hold CR, LF or escapes: show them as `\uXXXX`, never raw. */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return escapeCodeUnits(text, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g);
}

function formatReplay(r: ReplayReport): string {
  // The verify step's own verdict line is not the replay's: one verdict line per output.
  const verified = formatVerify(r.verify).trimEnd().split("\n");
  const lines = r.verify.ok
    ? [...verified.slice(0, -1), `verify: PASS (${r.verify.listed} files)`]
    : verified;
  for (const p of r.problems) lines.push(`INVALID ${printable(p.file)}: ${printable(p.message)}`);
  if (r.tool !== null) {
    lines.push(`tool: ${printable(r.tool.path)} (${r.tool.source}) sha256 ${r.tool.sha256}`);
  }
  for (const g of r.gates) {
    lines.push(
      `${g.name}: ${
        g.ok ? "SAME" : "DIFFERENT"
      } (recorded ${g.recordedVerdict}, exit ${g.exitCode}, recorded ${g.recordedExitCode}; output ${
        g.sameOutput ? "identical" : "differs"
      })`,
    );
  }
  const proven = r.verify.proof.statement;
  lines.push(
    !r.ok
      ? `[FAIL] proofpack ${r.verify.dir} does not replay`
      : r.reproduced === "GATE-BLOCK"
      ? `[REPRODUCED-BLOCK] proofpack ${r.verify.dir}: the recorded GATE-BLOCK was reproduced ` +
        `(the BootPack does not pass); ${proven}`
      : r.gates.length === 0
      ? `[PASS] proofpack ${r.verify.dir}: no gate recorded, nothing replayed; ${proven}`
      : `[PASS] proofpack ${r.verify.dir} replayed: ${r.gates.length} gate(s) identical; ${proven}`,
  );
  return lines.join("\n") + "\n";
}

function progressPrinter(verb: string): (p: PackProgress) => void {
  let lastStep = -1;
  const tty = Deno.stderr.isTerminal();
  return (p) => {
    if (p.totalFiles < 32 && p.totalBytes < 64 * 2 ** 20) return;
    const step = Math.floor((p.files / p.totalFiles) * 10);
    if (step === lastStep && p.files !== p.totalFiles) return;
    lastStep = step;
    const mib = (n: number): string => (n / 2 ** 20).toFixed(0);
    const line = `${verb} ${p.files}/${p.totalFiles} files, ${mib(p.bytes)}${
      p.totalBytes > 0 ? `/${mib(p.totalBytes)}` : ""
    } MiB`;
    if (tty) writeStderr(`\r${line}${p.files === p.totalFiles ? "\n" : ""}`);
    else printInfo(line);
  };
}

/** What `verify --pubkey` found: the signing key, or why the signature was refused. */
export type SignatureOutcome = PackSignature | { readonly code: string; readonly message: string };

async function signatureOf(
  dir: string,
  publicPem: string,
  report: VerifyReport,
  calibration: Awaited<ReturnType<typeof calibrationOf>>,
): Promise<SignatureOutcome> {
  try {
    return await verifyPackSignature(dir, publicPem, { root: report.root, calibration });
  } catch (error) {
    if (error instanceof SignatureError) return { code: error.code, message: error.message };
    throw error;
  }
}

/**
 * The verify report once `--pubkey` was checked: a signature that verified on a pack that
 * verified raises what was proven to "signed by key K"; a refused signature fails the report.
 */
function withSignature(r: VerifyReport, signature: SignatureOutcome | undefined): VerifyReport {
  if (signature === undefined) return r;
  if (!("keyid" in signature)) return { ...r, ok: false };
  if (!r.ok) return r;
  const key = signature.keyid;
  return {
    ...r,
    proof: { level: "signed", statement: proofStatement("signed", r.root, key), key },
  };
}

function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.values[name];
  return typeof v === "string" ? v : undefined;
}

function rootOf(flags: ParsedFlags): string | undefined {
  const root = stringFlag(flags, "root");
  if (root !== undefined && !/^[0-9A-Fa-f]{64}$/.test(root)) {
    throw new UsageError(`--root needs 64 hex digits, got ${JSON.stringify(root)}`);
  }
  return root;
}

function sourceDateEpoch(): Date | undefined {
  let value: string | undefined;
  try {
    value = Deno.env.get("SOURCE_DATE_EPOCH");
  } catch {
    // No permission to read it (e.g. a compiled binary without --allow-env): say so.
    printInfo("SOURCE_DATE_EPOCH cannot be read (no --allow-env): the time stamp is now");
    return undefined;
  }
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,12}$/.test(value)) {
    throw new UsageError(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${value}"`);
  }
  return new Date(Number(value) * 1000);
}

function cliToReplayWith(flags: ParsedFlags): string | undefined {
  const given = stringFlag(flags, "cli");
  if (given !== undefined) return given;
  try {
    const env = Deno.env.get("BOOTPACK_CLI");
    return env === "" ? undefined : env;
  } catch {
    return undefined; // no permission to read it: same as unset
  }
}
