/**
 * `proofpack verify` (SPEC §6): checks a pack against its `SHA256SUMS.txt` and cross-checks the
 * pack's own files. Completeness (missing, extra files) and validity (modified files, unsafe names,
 * symlinks, inconsistent MANIFEST, statement or gate record) are reported separately, by path.
 * Unsafe names and symlinks are refused before any listed file is opened.
 *
 * @module
 */

import { type Calibration, DEFAULT_CALIBRATION } from "../core/calibration.ts";
import { type ChaosMode, FileReadError, readFileBytes } from "../io/file_read.ts";
import { type FileDigest, hashFiles } from "../io/hash_stream.ts";
import { comparePackPaths, packPathProblem } from "./pack_path.ts";
import type { PackProgress } from "./export.ts";
import {
  COMMANDS_FILE,
  type GateRecord,
  MANIFEST_FILE,
  type PackFileProblem,
  parseGateCommands,
  parseManifest,
  parseSha256Sums,
  parseStatementSubjects,
  renderStatement,
  STATEMENT_FILE,
  SUMS_FILE,
  type SumsLine,
} from "./manifest.ts";
import { SIGNED_STATEMENT_FILE } from "./pack_signature.ts";
import { sha256Hex } from "../core/sha256.ts";
import { messageOf } from "../core/error.ts";

/** A path refused before anything was opened: unsafe name, symlink, special file. */
export interface UnsafeEntry {
  /** The path (pack-relative). */
  readonly path: string;
  /** Why. */
  readonly reason: string;
}

/** What {@linkcode verifyProofpack} found. */
export interface VerifyReport {
  /** The pack's folder as given. */
  readonly dir: string;
  /** Complete and valid. */
  readonly ok: boolean;
  /** No file missing, none extra. */
  readonly complete: boolean;
  /** No file modified or unsafe, and the pack's own files agree with each other. */
  readonly valid: boolean;
  /** SHA256 of `SHA256SUMS.txt` (the root digest), or `null` when it cannot be read. */
  readonly root: string | null;
  /** Files listed in `SHA256SUMS.txt`. */
  readonly listed: number;
  /** Listed files whose SHA256 matched. */
  readonly matched: number;
  /** Listed but absent. */
  readonly missing: readonly string[];
  /** Present but not listed. */
  readonly extra: readonly string[];
  /** Present, listed, different SHA256. */
  readonly modified: readonly string[];
  /** Refused: unsafe names, symlinks, special files. */
  readonly unsafe: readonly UnsafeEntry[];
  /** Problems in the pack's own files (SHA256SUMS, MANIFEST, statement, gates). */
  readonly problems: readonly PackFileProblem[];
}

/** Options of {@linkcode verifyProofpack}. */
export interface VerifyOptions {
  /** The root digest recorded elsewhere; a different one is a problem. Default: not checked. */
  readonly expectedRoot?: string | undefined;
  /** Thresholds (retries, timeouts). Default: the built-in calibration. */
  readonly calibration?: Calibration;
  /** Chaos fault to inject into every read. Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Files hashed at the same time. Default: cores + 1. */
  readonly concurrency?: number;
  /** Progress callback (called often; throttle it). */
  readonly onProgress?: (p: PackProgress) => void;
}

/**
 * Verifies a proofpack folder. Never throws for a bad pack: every finding is in the report.
 *
 * @param dir The pack's folder.
 * @param options Expected root, calibration, chaos, progress.
 * @returns The report.
 * @example
 * ```ts
 * import { exportProofpack } from "./export.ts";
 * import { verifyProofpack } from "./verify.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const r = await exportProofpack(`${dir}/pack`, { files: ["deno.json"], createdAt: new Date(0) });
 *   const v = await verifyProofpack(`${dir}/pack`, { expectedRoot: r.root });
 *   if (!v.ok) throw new Error(JSON.stringify(v));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function verifyProofpack(
  dir: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const calibration = options.calibration ?? DEFAULT_CALIBRATION;
  const read = { calibration, chaos: options.chaos };
  const missing: string[] = [];
  const extra: string[] = [];
  const modified: string[] = [];
  const unsafe: UnsafeEntry[] = [];
  const problems: PackFileProblem[] = [];
  let root: string | null = null;
  let listed: SumsLine[] = [];
  let matched = 0;
  const report = (): VerifyReport => {
    const complete = missing.length === 0 && extra.length === 0;
    const valid = modified.length === 0 && unsafe.length === 0 && problems.length === 0;
    return {
      dir,
      ok: complete && valid,
      complete,
      valid,
      root,
      listed: listed.length,
      matched,
      missing: missing.sort(comparePackPaths),
      extra: extra.sort(comparePackPaths),
      modified: modified.sort(comparePackPaths),
      unsafe: unsafe.sort((a, b) => comparePackPaths(a.path, b.path)),
      problems,
    };
  };
  const whole = (file: string, message: string): void => {
    problems.push({ file, line: null, path: file, code: "INVALID", message });
  };

  // 1. The folder and the list of sums, read through the I/O seam.
  try {
    const info = await Deno.lstat(dir);
    if (info.isSymlink) unsafe.push({ path: ".", reason: "the pack's folder is a symlink" });
    else if (!info.isDirectory) whole(".", `"${dir}" is not a folder`);
  } catch (error) {
    whole(".", `Cannot open "${dir}": ${(error as Error).message}`);
  }
  if (problems.length > 0 || unsafe.length > 0) return report();
  const sumsPath = `${dir}/${SUMS_FILE}`;
  let sumsBytes: Uint8Array | null = null;
  try {
    const info = await Deno.lstat(sumsPath);
    if (info.isSymlink) unsafe.push({ path: SUMS_FILE, reason: "symlink" });
    else sumsBytes = await readFileBytes(sumsPath, read);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) missing.push(SUMS_FILE);
    else whole(SUMS_FILE, messageOf(error));
  }
  if (sumsBytes === null) return report();
  root = await sha256Hex(sumsBytes);
  if (options.expectedRoot !== undefined && root !== options.expectedRoot.toUpperCase()) {
    whole(
      SUMS_FILE,
      `root digest ${root} is not the expected ${options.expectedRoot.toUpperCase()}`,
    );
  }
  let sumsText: string;
  try {
    sumsText = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(sumsBytes);
  } catch {
    whole(SUMS_FILE, "is not valid UTF-8");
    return report();
  }
  const parsed = parseSha256Sums(sumsText);
  if (!parsed.ok) {
    for (const p of parsed.problems) {
      if (p.code === "UNSAFE_PATH" && p.path !== null) {
        unsafe.push({ path: p.path, reason: `${SUMS_FILE} line ${p.line}: ${p.message}` });
      } else problems.push(p);
    }
    return report();
  }
  listed = parsed.value;
  const byPath = new Map(listed.map((l) => [l.path, l]));

  // 2. The tree, without following links; nothing listed is opened before this is clean.
  const present = new Set<string>();
  await walk(dir, "", (path, entry) => {
    const problem = packPathProblem(path);
    if (problem !== null) unsafe.push({ path, reason: `the name ${problem}` });
    else if (entry.isSymlink) unsafe.push({ path, reason: "symlink" });
    else if (!entry.isFile) unsafe.push({ path, reason: "not a regular file" });
    else if (path !== SUMS_FILE && !byPath.has(path)) extra.push(path);
    else present.add(path);
  }, (path, error) => whole(path, `Cannot list "${path}": ${messageOf(error)}`));
  for (const l of listed) if (!present.has(l.path)) missing.push(l.path);
  if (unsafe.length > 0) return report();

  // 3. Every listed file's SHA256.
  const toHash = listed.filter((l) => present.has(l.path));
  const totalBytes = 0;
  let digests: FileDigest[];
  let bytes = 0;
  try {
    digests = await hashFiles(toHash.map((l) => `${dir}/${l.path}`), {
      ...read,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      onBytes: (n) => {
        bytes += n;
      },
      onFile: (files, totalFiles) =>
        options.onProgress?.({ phase: "hash", files, totalFiles, bytes, totalBytes }),
    });
  } catch (error) {
    const path = error instanceof FileReadError ? error.path.slice(dir.length + 1) : ".";
    whole(path, messageOf(error));
    return report();
  }
  const measured = new Map<string, FileDigest>();
  toHash.forEach((l, i) => {
    const d = digests[i]!;
    measured.set(l.path, d);
    if (d.sha256.toUpperCase() === l.sha256.toUpperCase()) matched++;
    else modified.push(l.path);
  });

  // 4. The pack's own files agree with the sums and with each other.
  // The signed statement comes after MANIFEST and the unsigned statement, which cannot list it.
  const own = new Set([SUMS_FILE, MANIFEST_FILE, STATEMENT_FILE, SIGNED_STATEMENT_FILE]);
  const textOf = async (path: string): Promise<string | null> => {
    if (!present.has(path)) {
      if (!missing.includes(path)) whole(path, `is not listed in ${SUMS_FILE}`);
      return null;
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(
        await readFileBytes(`${dir}/${path}`, read),
      );
    } catch (error) {
      whole(path, messageOf(error));
      return null;
    }
  };
  const manifestText = await textOf(MANIFEST_FILE);
  if (manifestText !== null) {
    const m = parseManifest(manifestText);
    if (!m.ok) problems.push(...m.problems);
    else {
      const expected = listed.filter((l) => !own.has(l.path));
      compareSets(MANIFEST_FILE, m.value.files, expected, measured, problems);
    }
  }
  // The gate record agrees with the recorded outputs (verdict, exit code, warnings).
  let gates: GateRecord[] | null = [];
  if (byPath.has(COMMANDS_FILE)) {
    gates = null;
    const commandsText = await textOf(COMMANDS_FILE);
    if (commandsText !== null) {
      const c = parseGateCommands(commandsText);
      if (!c.ok) problems.push(...c.problems);
      else {
        gates = [...c.value.gates];
        for (const g of c.value.gates) {
          const bad = (message: string): void => {
            problems.push({
              file: COMMANDS_FILE,
              line: null,
              path: g.output,
              code: "INVALID",
              message,
            });
          };
          if (!byPath.has(g.output)) {
            bad(`the recorded output of ${g.name} is not listed in ${SUMS_FILE}`);
            continue;
          }
          if (!present.has(g.output)) continue; // already reported missing
          const output = await textOf(g.output);
          if (output === null) continue;
          const facts = gateFacts(output);
          if (
            facts.verdict !== g.verdict || facts.exitCode !== g.exit_code ||
            facts.warnings !== g.warnings
          ) {
            bad(
              `records ${g.name} as ${g.verdict} (exit ${g.exit_code}, ${g.warnings} warnings) ` +
                `but ${g.output} says ${facts.verdict} (exit ${facts.exitCode}, ${facts.warnings} warnings)`,
            );
          }
        }
      }
    }
  }

  // The statement: its subjects are the pack's files, its predicate the recorded verdicts.
  const statementText = await textOf(STATEMENT_FILE);
  if (statementText !== null) {
    const s = parseStatementSubjects(statementText);
    if (!s.ok) problems.push(...s.problems);
    else {
      const expected = listed.filter((l) =>
        l.path !== STATEMENT_FILE && l.path !== SIGNED_STATEMENT_FILE
      );
      const before = problems.length;
      compareSets(STATEMENT_FILE, s.value, expected, null, problems);
      if (problems.length === before && gates !== null) {
        const rendered = renderStatement(
          expected,
          gates,
          expected.filter((l) => l.path === COMMANDS_FILE),
        );
        if (rendered !== statementText) {
          problems.push({
            file: STATEMENT_FILE,
            line: null,
            path: STATEMENT_FILE,
            code: "INVALID",
            message: `does not match the pack: its predicate or layout differs from what ` +
              `${COMMANDS_FILE} and ${SUMS_FILE} give`,
          });
        }
      }
    }
  }
  return report();
}

/** Verdict, exit code and warnings that a gate's recorded stdout shows. */
function gateFacts(
  output: string,
): { verdict: "PASS" | "GATE-BLOCK"; exitCode: number; warnings: number } {
  const lines = output.split("\n");
  const last = lines.filter((l) => l !== "").at(-1) ?? "";
  const pass = last.startsWith("[PASS] ");
  return {
    verdict: pass ? "PASS" : "GATE-BLOCK",
    exitCode: pass ? 0 : 1,
    warnings: lines.filter((l) => l.startsWith("[WARN] ")).length,
  };
}

function compareSets(
  file: string,
  claimed: readonly { path: string; sha256: string; size?: number }[],
  expected: readonly SumsLine[],
  measured: ReadonlyMap<string, FileDigest> | null,
  problems: PackFileProblem[],
): void {
  const want = new Map(expected.map((l) => [l.path, l]));
  const seen = new Set<string>();
  const bad = (path: string, message: string): void => {
    problems.push({ file, line: null, path, code: "INVALID", message });
  };
  for (const c of claimed) {
    seen.add(c.path);
    const l = want.get(c.path);
    if (!l) {
      bad(c.path, `lists "${c.path}", which ${SUMS_FILE} does not`);
      continue;
    }
    if (c.sha256.toUpperCase() !== l.sha256.toUpperCase()) {
      bad(c.path, `gives "${c.path}" a SHA256 that differs from ${SUMS_FILE}'s`);
    }
    const m = measured?.get(c.path);
    if (c.size !== undefined && m !== undefined && m.size !== c.size) {
      bad(c.path, `gives "${c.path}" ${c.size} bytes; the file has ${m.size}`);
    }
  }
  for (const l of expected) {
    if (!seen.has(l.path)) bad(l.path, `does not list "${l.path}"`);
  }
}

async function walk(
  root: string,
  rel: string,
  visit: (path: string, entry: Deno.DirEntry) => void,
  failed: (path: string, error: unknown) => void,
): Promise<void> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(rel === "" ? root : `${root}/${rel}`)) entries.push(e);
  } catch (error) {
    failed(rel === "" ? "." : rel, error);
    return;
  }
  entries.sort((a, b) => comparePackPaths(a.name, b.name));
  for (const e of entries) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory && !e.isSymlink) {
      if (packPathProblem(path) !== null) visit(path, e);
      else await walk(root, path, visit, failed);
    } else visit(path, e);
  }
}
