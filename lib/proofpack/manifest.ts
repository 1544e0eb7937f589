/**
 * Pure rendering and parsing of a proofpack's own files (SPEC §6): `SHA256SUMS.txt` (GNU
 * `sha256sum` format, uppercase hex, LF), `MANIFEST.json` (inventory), `gates/commands.json` (the
 * recorded gate commands) and the unsigned in-toto Statement v1. No I/O.
 *
 * Layout of a pack and what covers what:
 * - every file but `MANIFEST.json`, `SHA256SUMS.txt` and the statement is a content file, listed
 *   in `MANIFEST.json` with its size and SHA256;
 * - the statement's subjects are the content files and `MANIFEST.json`;
 * - `SHA256SUMS.txt` lists every file of the pack but itself;
 * - the pack's root digest is the SHA256 of the bytes of `SHA256SUMS.txt`, so it covers the whole
 *   pack.
 *
 * @module
 */

import { comparePackPaths, findPackPathClash, packPathKey, packPathProblem } from "./pack_path.ts";

/** Name of the GNU checksum list. */
export const SUMS_FILE = "SHA256SUMS.txt";
/** Name of the inventory. */
export const MANIFEST_FILE = "MANIFEST.json";
/** Name of the unsigned in-toto Statement. */
export const STATEMENT_FILE = "statement.intoto.UNSIGNED.json";
/** Name of the signed DSSE envelope `export --sign` may write (not counted as an extra file). */
export const DSSE_FILE = "statement.intoto.dsse.json";
/** Name of the toolchain record. */
export const TOOLCHAIN_FILE = "toolchain.json";
/** Name of the bash replay script. */
export const REPLAY_FILE = "replay.sh";
/** Name of the PowerShell 5.1 verify script. */
export const VERIFY_FILE = "verify.ps1";
/** Name of the recorded gate commands. */
export const COMMANDS_FILE = "gates/commands.json";
/** Format tag written in `MANIFEST.json` and `gates/commands.json`. */
export const PACK_FORMAT = "bootpack-proofpack/1";

/** One file of a pack: its pack path, size and SHA256. */
export interface PackEntry {
  /** Pack path (`/` separators). */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** 64 hex digits (uppercase when written by bootpack). */
  readonly sha256: string;
}

/** One line of `SHA256SUMS.txt`. */
export interface SumsLine {
  /** Pack path. */
  readonly path: string;
  /** 64 hex digits, uppercase. */
  readonly sha256: string;
  /** 1-based line number. */
  readonly line: number;
}

/** A problem found while parsing one of the pack's own files. */
export interface PackFileProblem {
  /** The pack file the problem is in, e.g. `SHA256SUMS.txt`. */
  readonly file: string;
  /** 1-based line, or `null` for the whole file. */
  readonly line: number | null;
  /** The pack path the problem is about, when there is one. */
  readonly path: string | null;
  /** `UNSAFE_PATH` for a path refused by the naming rules, else `INVALID`. */
  readonly code: "UNSAFE_PATH" | "INVALID";
  /** What is wrong. */
  readonly message: string;
}

/** Result of a parser of the pack's own files. */
export type PackParse<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly PackFileProblem[] };

const HEX64 = /^[0-9A-Fa-f]{64}$/;

/**
 * Renders `SHA256SUMS.txt`: one `HEX  path` line per file (GNU text-mode format), uppercase hex,
 * sorted by path (byte order), LF line ends. `sha256sum -c --strict` accepts it.
 *
 * @param entries Files to list (never `SHA256SUMS.txt` itself).
 * @returns The text.
 * @throws {TypeError} For an unsafe path, a clash, or a malformed digest.
 * @example
 * ```ts
 * import { renderSha256Sums } from "./manifest.ts";
 * const text = renderSha256Sums([{ path: "b.txt", sha256: "ab".repeat(32) }, { path: "a.txt", sha256: "00".repeat(32) }]);
 * if (!text.startsWith("0000") || !text.endsWith("  b.txt\n")) throw new Error(text);
 * ```
 */
export function renderSha256Sums(
  entries: readonly { readonly path: string; readonly sha256: string }[],
): string {
  checkPaths(entries.map((e) => e.path));
  return sortByPath(entries).map((e) => {
    if (!HEX64.test(e.sha256)) {
      throw new TypeError(`Cannot list "${e.path}": "${e.sha256}" is not a SHA256`);
    }
    if (e.path === SUMS_FILE) throw new TypeError(`Cannot list "${SUMS_FILE}" in itself`);
    return `${e.sha256.toUpperCase()}  ${e.path}\n`;
  }).join("");
}

/**
 * Parses `SHA256SUMS.txt` strictly: every line `HEX  path` or `HEX *path`, LF-terminated (a last
 * line without LF means a truncated file), safe paths, no duplicates or clashes, at least one line.
 *
 * @param text The file's text.
 * @returns The lines, or every problem found with its line number and path.
 * @example
 * ```ts
 * import { parseSha256Sums } from "./manifest.ts";
 * const ok = parseSha256Sums(`${"AB".repeat(32)}  evidence/x.txt\n`);
 * if (!ok.ok || ok.value[0]?.path !== "evidence/x.txt") throw new Error();
 * const bad = parseSha256Sums(`${"AB".repeat(32)}  ../x.txt\n`);
 * if (bad.ok || bad.problems[0]?.code !== "UNSAFE_PATH") throw new Error();
 * ```
 */
export function parseSha256Sums(text: string): PackParse<SumsLine[]> {
  const problems: PackFileProblem[] = [];
  const bad = (line: number | null, path: string | null, message: string, unsafe = false) =>
    problems.push({
      file: SUMS_FILE,
      line,
      path,
      code: unsafe ? "UNSAFE_PATH" : "INVALID",
      message,
    });
  if (text === "") {
    bad(null, null, "is empty");
    return { ok: false, problems };
  }
  const lines = text.split("\n");
  const last = lines.pop();
  if (last !== "") {
    bad(lines.length + 1, null, "last line has no line feed (truncated file?)");
  }
  const out: SumsLine[] = [];
  const seen = new Map<string, string>();
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = parseSumsLine(raw, n);
    if ("message" in line) {
      problems.push(line);
      return;
    }
    const key = packPathKey(line.path);
    const before = seen.get(key);
    if (before !== undefined) {
      bad(
        n,
        line.path,
        `path ${JSON.stringify(line.path)} clashes with ${JSON.stringify(before)}`,
        true,
      );
      return;
    }
    seen.set(key, line.path);
    out.push(line);
  });
  if (problems.length === 0 && out.length === 0) bad(null, null, "lists no file");
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: out };
}

/**
 * Parses one line of `SHA256SUMS.txt` (without its LF): `HEX  path` or `HEX *path` (binary mode),
 * with a safe path that is not `SHA256SUMS.txt` itself. The one line rule every reader uses.
 *
 * @param raw The line.
 * @param line Its number (from 1).
 * @returns The entry, or the problem (`UNSAFE_PATH` for a refused path).
 * @example
 * ```ts
 * import { parseSumsLine } from "./manifest.ts";
 * const l = parseSumsLine(`${"ab".repeat(32)} *evidence/x.bin`, 1);
 * if (!("sha256" in l) || l.path !== "evidence/x.bin") throw new Error();
 * ```
 */
export function parseSumsLine(raw: string, line: number): SumsLine | PackFileProblem {
  const bad = (path: string | null, message: string, unsafe = false): PackFileProblem => ({
    file: SUMS_FILE,
    line,
    path,
    code: unsafe ? "UNSAFE_PATH" : "INVALID",
    message,
  });
  const m = /^([0-9A-Fa-f]{64}) [ *](.*)$/s.exec(raw);
  if (!m) return bad(null, `is not "<64 hex digits>  <path>": ${JSON.stringify(raw.slice(0, 80))}`);
  const path = m[2]!;
  const problem = packPathProblem(path);
  if (problem !== null) return bad(path, `path ${JSON.stringify(path)} ${problem}`, true);
  if (path === SUMS_FILE) return bad(path, `lists ${SUMS_FILE} itself`);
  return { path, sha256: m[1]!.toUpperCase(), line };
}

/** The inventory written in `MANIFEST.json`. */
export interface Manifest {
  /** {@linkcode PACK_FORMAT}. */
  readonly format: string;
  /** ISO 8601 UTC time stamp (from `SOURCE_DATE_EPOCH` when set). */
  readonly created: string;
  /** The tool that wrote the pack. */
  readonly tool: { readonly name: string; readonly version: string };
  /** Every content file (not MANIFEST, SHA256SUMS or the statement), sorted by path. */
  readonly files: readonly PackEntry[];
  /** The BootPack whose gates are recorded, and its KB (pack paths). Default: no gates. */
  readonly inputs?: GateInputs | undefined;
}

/** The evidence the recorded gates run on: what replay derives its command lines from. */
export interface GateInputs {
  /** Pack path of the BootPack. */
  readonly bootpack: string;
  /** Pack path of its KB, or `null` when the pack has none. */
  readonly kb: string | null;
}

/**
 * Renders `MANIFEST.json` (2-space indent, LF, files sorted by path, uppercase hex).
 *
 * @param manifest The inventory.
 * @returns The text, ending with LF.
 * @throws {TypeError} For an unsafe path or a clash.
 * @example
 * ```ts
 * import { parseManifest, renderManifest } from "./manifest.ts";
 * const text = renderManifest({ format: "bootpack-proofpack/1", created: "1970-01-01T00:00:00Z", tool: { name: "bootpack", version: "0" }, files: [{ path: "a", size: 1, sha256: "ab".repeat(32) }] });
 * const back = parseManifest(text);
 * if (!back.ok || back.value.files[0]?.sha256 !== "AB".repeat(32)) throw new Error();
 * ```
 */
export function renderManifest(manifest: Manifest): string {
  checkPaths(manifest.files.map((f) => f.path));
  const files = sortByPath(manifest.files).map((f) => ({
    path: f.path,
    size: f.size,
    sha256: f.sha256.toUpperCase(),
  }));
  return JSON.stringify(
    {
      format: manifest.format,
      created: manifest.created,
      tool: { name: manifest.tool.name, version: manifest.tool.version },
      root_digest: `SHA256 of ${SUMS_FILE}, printed by export`,
      ...(manifest.inputs === undefined
        ? {}
        : { inputs: { bootpack: manifest.inputs.bootpack, kb: manifest.inputs.kb } }),
      files,
    },
    null,
    2,
  ) + "\n";
}

/** Records a problem of a pack file: `unsafe` for a path refused as unsafe. */
type PackFileComplaint = (message: string, path?: string | null, unsafe?: boolean) => void;

/** Parses one of the pack's JSON files, with the problem list its checks add to. */
function readPackJson(
  file: string,
  text: string,
): { problems: PackFileProblem[]; bad: PackFileComplaint; data: unknown } {
  const problems: PackFileProblem[] = [];
  const bad: PackFileComplaint = (message, path = null, unsafe = false) => {
    problems.push({ file, line: null, path, code: unsafe ? "UNSAFE_PATH" : "INVALID", message });
  };
  try {
    return { problems, bad, data: JSON.parse(text) };
  } catch (error) {
    bad(`is not valid JSON: ${(error as Error).message}`);
    return { problems, bad, data: undefined };
  }
}

/**
 * Parses `MANIFEST.json` and checks its shape and paths.
 *
 * @param text The file's text.
 * @returns The inventory, or the problems found.
 * @example
 * ```ts
 * import { parseManifest } from "./manifest.ts";
 * if (parseManifest("{}").ok) throw new Error();
 * ```
 */
export function parseManifest(text: string): PackParse<Manifest> {
  const { problems, bad, data } = readPackJson(MANIFEST_FILE, text);
  if (problems.length > 0) return { ok: false, problems };
  if (!isRecord(data)) {
    bad("is not a JSON object");
    return { ok: false, problems };
  }
  if (data["format"] !== PACK_FORMAT) bad(`"format" is not "${PACK_FORMAT}"`);
  if (typeof data["created"] !== "string") bad(`"created" is not a string`);
  const tool = data["tool"];
  if (!isRecord(tool) || typeof tool["name"] !== "string" || typeof tool["version"] !== "string") {
    bad(`"tool" is not { name, version }`);
  }
  const files: PackEntry[] = [];
  if (!Array.isArray(data["files"])) bad(`"files" is not an array`);
  else {
    const seen = new Map<string, string>();
    for (const [i, f] of (data["files"] as unknown[]).entries()) {
      if (
        !isRecord(f) || typeof f["path"] !== "string" || !Number.isSafeInteger(f["size"]) ||
        (f["size"] as number) < 0 || typeof f["sha256"] !== "string" || !HEX64.test(f["sha256"])
      ) {
        bad(`files[${i}] is not { path, size, sha256 }`);
        continue;
      }
      const path = f["path"];
      const problem = packPathProblem(path);
      if (problem !== null) {
        bad(`path ${JSON.stringify(path)} ${problem}`, path, true);
        continue;
      }
      const key = packPathKey(path);
      const before = seen.get(key);
      if (before !== undefined) {
        bad(`path ${JSON.stringify(path)} clashes with ${JSON.stringify(before)}`, path, true);
        continue;
      }
      seen.set(key, path);
      files.push({ path, size: f["size"] as number, sha256: f["sha256"].toUpperCase() });
    }
  }
  const inputs = parseInputs(data["inputs"], bad);
  if (problems.length > 0) return { ok: false, problems };
  const t = tool as Record<string, string>;
  return {
    ok: true,
    value: {
      format: PACK_FORMAT,
      created: data["created"] as string,
      tool: { name: t["name"]!, version: t["version"]! },
      files,
      ...(inputs === undefined ? {} : { inputs }),
    },
  };
}

function parseInputs(value: unknown, bad: PackFileComplaint): GateInputs | undefined {
  if (value === undefined) return undefined;
  const kb = isRecord(value) ? value["kb"] : undefined;
  if (
    !isRecord(value) || typeof value["bootpack"] !== "string" ||
    (kb !== null && typeof kb !== "string")
  ) {
    bad(`"inputs" is not { bootpack, kb }`);
    return undefined;
  }
  for (const path of [value["bootpack"], kb]) {
    const problem = typeof path === "string" ? packPathProblem(path) : null;
    if (problem !== null) bad(`inputs path ${JSON.stringify(path)} ${problem}`, path, true);
  }
  return { bootpack: value["bootpack"], kb: kb as string | null };
}

/** One recorded gate run: the command line and what it printed. */
export interface GateRecord {
  /** `acceptance` or `selftest`. */
  readonly name: string;
  /** Arguments after the CLI, e.g. `["acceptance", "evidence/bootpack.txt", "--map", "…"]`. */
  readonly args: readonly string[];
  /** Exit code of the gate: 0 pass, 1 blocked. */
  readonly exit_code: number;
  /** Pack path of the recorded stdout, e.g. `gates/acceptance.txt`. */
  readonly output: string;
  /** `PASS` or `GATE-BLOCK`. */
  readonly verdict: "PASS" | "GATE-BLOCK";
  /** Number of `[WARN]` lines. */
  readonly warnings: number;
}

/** The recorded gate commands (`gates/commands.json`). */
export interface GateCommands {
  /** {@linkcode PACK_FORMAT}. */
  readonly format: string;
  /** The working directory of every command: the pack's root. */
  readonly cwd: ".";
  /** Deno permissions of every command (`<pack>` stands for the pack's absolute path). */
  readonly permissions: readonly string[];
  /** The gate runs, in order. */
  readonly gates: readonly GateRecord[];
}

/**
 * Renders `gates/commands.json`.
 *
 * @param gates The recorded runs.
 * @returns The text, ending with LF.
 * @example
 * ```ts
 * import { parseGateCommands, renderGateCommands } from "./manifest.ts";
 * const text = renderGateCommands([{ name: "acceptance", args: ["acceptance", "evidence/b.txt"], exit_code: 0, output: "gates/acceptance.txt", verdict: "PASS", warnings: 0 }]);
 * const back = parseGateCommands(text);
 * if (!back.ok || back.value.gates.length !== 1) throw new Error();
 * ```
 */
export function renderGateCommands(gates: readonly GateRecord[]): string {
  const doc: GateCommands = {
    format: PACK_FORMAT,
    cwd: ".",
    permissions: ["--allow-read=<pack>"],
    gates: gates.map((g) => ({
      name: g.name,
      args: [...g.args],
      exit_code: g.exit_code,
      output: g.output,
      verdict: g.verdict,
      warnings: g.warnings,
    })),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

/**
 * Parses `gates/commands.json` and checks its shape, its gate names and its output paths.
 *
 * @param text The file's text.
 * @returns The commands, or the problems found.
 * @example
 * ```ts
 * import { parseGateCommands } from "./manifest.ts";
 * if (parseGateCommands("[]").ok) throw new Error();
 * ```
 */
export function parseGateCommands(text: string): PackParse<GateCommands> {
  const { problems, bad, data } = readPackJson(COMMANDS_FILE, text);
  if (problems.length > 0) return { ok: false, problems };
  if (!isRecord(data) || data["format"] !== PACK_FORMAT || !Array.isArray(data["gates"])) {
    bad(`is not { format: "${PACK_FORMAT}", gates: [...] }`);
    return { ok: false, problems };
  }
  const gates: GateRecord[] = [];
  for (const [i, g] of (data["gates"] as unknown[]).entries()) {
    if (
      !isRecord(g) || (g["name"] !== "acceptance" && g["name"] !== "selftest") ||
      !Array.isArray(g["args"]) || !g["args"].every((a) => typeof a === "string") ||
      g["args"][0] !== g["name"] || (g["exit_code"] !== 0 && g["exit_code"] !== 1) ||
      typeof g["output"] !== "string" ||
      (g["verdict"] !== "PASS" && g["verdict"] !== "GATE-BLOCK") ||
      !Number.isSafeInteger(g["warnings"])
    ) {
      bad(`gates[${i}] is not a recorded acceptance or selftest run`);
      continue;
    }
    const problem = packPathProblem(g["output"]);
    if (problem !== null) {
      bad(`output path ${JSON.stringify(g["output"])} ${problem}`, g["output"], true);
      continue;
    }
    gates.push({
      name: g["name"],
      args: g["args"] as string[],
      exit_code: g["exit_code"],
      output: g["output"],
      verdict: g["verdict"],
      warnings: g["warnings"] as number,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: { format: PACK_FORMAT, cwd: ".", permissions: ["--allow-read=<pack>"], gates },
  };
}

/**
 * Renders an unsigned in-toto Statement v1 whose subjects are the given files (lowercase hex
 * digests, as in-toto's DigestSet expects) and whose predicate is a test-result v0.1 with the
 * gate verdicts. Sign it with `cosign attest-blob --statement <file>` to make an attestation.
 *
 * @param subjects Files to attest (path and SHA256).
 * @param gates Recorded gate runs.
 * @param configuration Files that configure the tests (e.g. `gates/commands.json`).
 * @returns The statement's text, ending with LF.
 * @example
 * ```ts
 * import { renderStatement } from "./manifest.ts";
 * const s = JSON.parse(renderStatement([{ path: "a", sha256: "AB".repeat(32) }], [], []));
 * if (s._type !== "https://in-toto.io/Statement/v1" || s.subject[0].digest.sha256 !== "ab".repeat(32)) throw new Error();
 * ```
 */
export function renderStatement(
  subjects: readonly { readonly path: string; readonly sha256: string }[],
  gates: readonly GateRecord[],
  configuration: readonly { readonly path: string; readonly sha256: string }[],
): string {
  checkPaths(subjects.map((s) => s.path));
  const passed = gates.filter((g) => g.verdict === "PASS" && g.warnings === 0).map((g) => g.name);
  const warned = gates.filter((g) => g.verdict === "PASS" && g.warnings > 0).map((g) => g.name);
  const failed = gates.filter((g) => g.verdict !== "PASS").map((g) => g.name);
  // No gate recorded is not a pass: nothing was tested.
  const result = failed.length > 0 || gates.length === 0
    ? "FAILED"
    : warned.length > 0
    ? "WARNED"
    : "PASSED";
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: sortByPath(subjects).map((s) => ({
      name: s.path,
      digest: { sha256: s.sha256.toLowerCase() },
    })),
    predicateType: "https://in-toto.io/attestation/test-result/v0.1",
    predicate: {
      result,
      configuration: sortByPath(configuration).map((c) => ({
        name: c.path,
        digest: { sha256: c.sha256.toLowerCase() },
      })),
      passedTests: passed,
      warnedTests: warned,
      failedTests: failed,
    },
  };
  return JSON.stringify(statement, null, 2) + "\n";
}

/**
 * Reads the subjects of an in-toto Statement v1 (name and sha256).
 *
 * @param text The statement's text.
 * @returns The subjects, or the problems found.
 * @example
 * ```ts
 * import { parseStatementSubjects, renderStatement } from "./manifest.ts";
 * const r = parseStatementSubjects(renderStatement([{ path: "a", sha256: "AB".repeat(32) }], [], []));
 * if (!r.ok || r.value[0]?.sha256 !== "AB".repeat(32)) throw new Error();
 * ```
 */
export function parseStatementSubjects(
  text: string,
): PackParse<{ path: string; sha256: string }[]> {
  const fail = (message: string): PackParse<never> => ({
    ok: false,
    problems: [{ file: STATEMENT_FILE, line: null, path: null, code: "INVALID", message }],
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail(`is not valid JSON: ${(error as Error).message}`);
  }
  if (
    !isRecord(data) || data["_type"] !== "https://in-toto.io/Statement/v1" ||
    !Array.isArray(data["subject"])
  ) {
    return fail("is not an in-toto Statement v1");
  }
  const out: { path: string; sha256: string }[] = [];
  for (const s of data["subject"] as unknown[]) {
    const digest = isRecord(s) ? s["digest"] : undefined;
    const sha = isRecord(digest) ? digest["sha256"] : undefined;
    if (
      !isRecord(s) || typeof s["name"] !== "string" || typeof sha !== "string" || !HEX64.test(sha)
    ) {
      return fail("has a subject that is not { name, digest: { sha256 } }");
    }
    out.push({ path: s["name"], sha256: sha.toUpperCase() });
  }
  return { ok: true, value: out };
}

function checkPaths(paths: readonly string[]): void {
  for (const p of paths) {
    const problem = packPathProblem(p);
    if (problem !== null) {
      throw new TypeError(`Cannot use pack path ${JSON.stringify(p)}: it ${problem}`);
    }
  }
  const clash = findPackPathClash(paths);
  if (clash) {
    throw new TypeError(
      `Cannot use pack path ${JSON.stringify(clash[1])}: it clashes with ${
        JSON.stringify(clash[0])
      } (the same name, or the same but for case or Unicode normalization)`,
    );
  }
}

function sortByPath<T extends { readonly path: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => comparePackPaths(a.path, b.path));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
