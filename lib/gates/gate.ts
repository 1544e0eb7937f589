/**
 * The read-only gates `acceptance` and `selftest` (SPEC §3): read the BootPack and the KB its
 * POINTER names through the I/O seam, gather the facts, decide. Never writes. One in-memory path
 * for every size (up to `max_input_bytes`); the KB's text is compared with the SNAPSHOT's (an
 * exact copy once line endings are normalised) and only parsed when it differs.
 *
 * @module
 */

import { decodeBootPack, parseBootPack, type PointerSection } from "../bootpack/parse.ts";
import { type Calibration, DEFAULT_CALIBRATION } from "../core/calibration.ts";
import type { Diagnostic } from "../core/diagnostic.ts";
import { type ChaosMode, FileReadError, readFileBytes } from "../io/file_read.ts";
import { decideGate, type GateDiag, type GateReport, type KbFacts } from "./verdict.ts";
import { type KbSummary, parseKb } from "../bootpack/kb_parse.ts";
import {
  isWindowsAbsolute,
  type PathMapping,
  resolvePointerPath,
  toLongPath,
} from "../bootpack/pointer_path.ts";
import { sha256Hex } from "../core/sha256.ts";
import { decodeUtf8 } from "../core/utf8.ts";
import { basename, dirname } from "../core/path.ts";
import { messageOf } from "../core/error.ts";
import { escapeCodeUnits } from "../core/escape.ts";

/** Options of {@linkcode runGate}. */
export interface RunGateOptions {
  /** Turn warnings (stale, unreachable pointer) into blocks. Default `false`. */
  readonly strict?: boolean;
  /** `--map FROM=TO` rules for the POINTER's Path. Default none. */
  readonly maps?: readonly PathMapping[];
  /** Chaos fault to inject into every file read. Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Thresholds (retries, timeouts). Default: the built-in calibration. */
  readonly calibration?: Calibration;
  /** Path flavour of this host. Default: from `Deno.build.os`. */
  readonly platform?: "windows" | "posix";
  /**
   * Folder that relative paths (the BootPack, the POINTER's, `--map` targets) are opened from;
   * reports still show them as given. Default: the working directory.
   */
  readonly cwd?: string;
}

/**
 * Runs `acceptance` (entries from the SNAPSHOT) or `selftest` (entries from the external KB, plus
 * diagnostics) on a BootPack. Any problem reading or parsing becomes a block in the report: this
 * function does not throw for bad input.
 *
 * @param command `acceptance` or `selftest`.
 * @param bootpack Path of the BootPack.
 * @param options Strictness, path mappings, chaos, calibration.
 * @returns The gate's report.
 * @example
 * ```ts
 * import { runGate } from "./gate.ts";
 * const report = await runGate("acceptance", "examples/bootpack.txt");
 * if (!report.verdict.pass) throw new Error(report.verdict.text);
 * ```
 */
export async function runGate(
  command: GateReport["command"],
  bootpack: string,
  options: RunGateOptions = {},
): Promise<GateReport> {
  const calibration = options.calibration ?? DEFAULT_CALIBRATION;
  const read = { calibration, chaos: options.chaos, cwd: options.cwd };
  const facts = await readBootPackFacts(bootpack, read);
  const baseDir = dirname(bootpack);
  const kb = await probeKb(facts.pointer, baseDir, options, read, facts.same);
  const diag = command === "selftest" ? await diagnose(facts.pointer, kb, baseDir, options) : null;
  return decideGate(
    {
      command,
      bootpack,
      violations: facts.violations,
      parseWarnings: facts.warnings,
      snapshot: facts.snapshot,
      pointer: facts.pointer,
      kb,
      diag,
    },
    { strict: options.strict ?? false },
  );
}

type ReadContext = {
  calibration: Calibration;
  chaos: ChaosMode | undefined;
  cwd: string | undefined;
};

/** The path to open for a path as given (relative ones from `cwd`). */
function opened(path: string, cwd: string | undefined): string {
  if (cwd === undefined || path.startsWith("/") || isWindowsAbsolute(path)) return path;
  return `${cwd.replace(/[\\/]+$/, "")}/${path}`;
}

/** The SNAPSHOT's text and counts, to compare with the KB's (SPEC §3: an exact copy). */
interface SnapshotText {
  readonly summary: KbSummary;
  readonly json: string;
}

interface BootPackFacts {
  readonly violations: Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  readonly snapshot: KbSummary | null;
  readonly pointer: PointerSection | null;
  readonly same: SnapshotText | null;
}

async function readBootPackFacts(bootpack: string, read: ReadContext): Promise<BootPackFacts> {
  const empty = { warnings: [], snapshot: null, pointer: null, same: null };
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(opened(bootpack, read.cwd), read);
  } catch (error) {
    return { ...empty, violations: [readProblem(error, "BOOTPACK_", null, bootpack, read.cwd)] };
  }
  const decoded = decodeBootPack(bytes);
  if (decoded.text === null) return { ...empty, violations: [...decoded.violations] };
  const parsed = parseBootPack(decoded.text);
  const snapshot = parsed.snapshot?.kb ?? null;
  const json = parsed.snapshot?.json ?? null;
  return {
    violations: [...decoded.violations, ...parsed.violations],
    warnings: parsed.warnings,
    snapshot,
    pointer: parsed.pointer,
    same: snapshot && json !== null ? { json, summary: snapshot } : null,
  };
}

/**
 * Whether the KB's text is the SNAPSHOT's whatever their line endings: CRLF as LF, and a last line
 * with or without its line break (the SNAPSHOT always ends with one, before its closing fence).
 * The same line endings on both sides are compared as they are, without copies.
 */
function sameText(kb: string, snapshot: string): boolean {
  if (kb === snapshot) return true;
  const rest = snapshot.length - kb.length;
  if ((rest === 1 || rest === 2) && snapshot.startsWith(kb)) {
    const tail = snapshot.slice(kb.length);
    if ((tail === "\n" || tail === "\r\n") && !/[\r\n]$/.test(kb)) return true;
  }
  return normalisedText(kb) === normalisedText(snapshot);
}

function normalisedText(text: string): string {
  const lf = text.replaceAll("\r\n", "\n");
  return lf === "" || lf.endsWith("\n") ? lf : lf + "\n";
}

async function probeKb(
  pointer: PointerSection | null,
  baseDir: string,
  options: RunGateOptions,
  read: ReadContext,
  same: SnapshotText | null,
): Promise<KbFacts> {
  const none = { path: null, problem: null, sha256: null, summary: null, sameAsSnapshot: null };
  if (!pointer?.path) return { status: "absent", ...none };
  const resolved = resolvePointerPath(pointer.path.value, {
    maps: options.maps ?? [],
    baseDir,
    ...(options.platform ? { platform: options.platform } : {}),
  });
  if (!resolved.ok) {
    return {
      status: "unmapped",
      ...none,
      problem: { code: "POINTER_UNMAPPED", line: pointer.path.line, message: resolved.reason },
    };
  }
  const path = resolved.path;
  const name = basename(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(opened(path, read.cwd), read);
  } catch (error) {
    const p = readProblem(error, "POINTER_", pointer.path.line, path, read.cwd);
    if (error instanceof FileReadError && error.code === "TOO_LARGE") {
      // A regular file is there; it is too large to read.
      return { status: "invalid", ...none, path, problem: { ...p, code: "KB_TOO_LARGE" } };
    }
    const problem = { ...p, code: "POINTER_UNREACHABLE", message: `${p.message} [${p.code}]` };
    return { status: "unreachable", ...none, path, problem };
  }
  const sha256 = await sha256Hex(bytes);
  const invalid = (problem: Diagnostic): KbFacts => ({
    status: "invalid",
    ...none,
    path,
    sha256,
    problem: { ...problem, file: name },
  });
  const text = decodeUtf8(bytes);
  if (text === null) {
    return invalid({ code: "KB_INVALID_UTF8", line: null, message: "Not valid UTF-8" });
  }
  const exact = same === null ? null : sameText(text, same.json);
  // The SNAPSHOT's exact text parses to the SNAPSHOT's counts: no need to parse it again.
  if (exact === true && same !== null) {
    return {
      status: "ok",
      path,
      sha256,
      summary: same.summary,
      problem: null,
      sameAsSnapshot: true,
    };
  }
  const parsed = parseKb(text, { codePrefix: "KB_" });
  if (!parsed.ok) return invalid(parsed.diagnostic);
  return {
    status: "ok",
    path,
    sha256,
    summary: parsed.kb.summary,
    problem: null,
    sameAsSnapshot: exact,
  };
}

async function diagnose(
  pointer: PointerSection | null,
  kb: KbFacts,
  baseDir: string,
  options: RunGateOptions,
): Promise<GateDiag> {
  const raw = pointer?.path?.raw ?? null;
  const dequoted = pointer?.path?.value ?? null;
  const maps = options.maps ?? [];
  const platform = options.platform;
  const test = async (p: string | null): Promise<boolean> => {
    if (p === null) return false;
    const r = resolvePointerPath(p, { maps, baseDir, ...(platform ? { platform } : {}) });
    if (!r.ok) return false;
    try {
      return (await Deno.stat(opened(r.path, options.cwd))).isFile;
    } catch {
      return false;
    }
  };
  return {
    First3: raw === null ? null : escapeInvisible(raw.slice(0, 3)),
    PathLength: raw === null ? null : raw.length,
    "TestPath.Raw": await test(raw),
    "TestPath.Dequoted": await test(dequoted),
    "TestPath.Long": await test(dequoted === null ? null : toLongPath(dequoted) ?? dequoted),
    OpenReadOK: kb.sha256 !== null,
    KbSha: kb.sha256,
    PtrSha: pointer?.sha256?.value ?? null,
    PtrEntriesNote: pointer?.entries?.value ?? null,
  };
}

function readProblem(
  error: unknown,
  prefix: string,
  line: number | null,
  path: string,
  cwd: string | undefined,
): Diagnostic {
  if (error instanceof FileReadError) {
    // Name the file as the user gave it, not as it was opened from `cwd`.
    const message = error.message.replaceAll(`"${opened(path, cwd)}"`, `"${path}"`);
    return { code: prefix + error.code, line, message };
  }
  const why = messageOf(error);
  return { code: prefix + "IO_ERROR", line, message: `Cannot read: ${why}` };
}

/** Escapes characters that would be invisible or ambiguous in a `diag:` line. */
function escapeInvisible(s: string): string {
  return escapeCodeUnits(
    s,
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u00a0\u00ad\u200b-\u200f\u2028\u2029\ufeff|]/g,
  );
}
