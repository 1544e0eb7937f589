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
import { type FileDigest, hashFile } from "../io/hash_stream.ts";
import { mapPool } from "../core/pool.ts";
import { parseBootPack } from "../bootpack/parse.ts";
import { comparePackPaths, packPathKey } from "./pack_path.ts";
import type { ExportOptions } from "./export.ts";
import { gateArgs, placeKb } from "./gate_plan.ts";
import {
  COMMANDS_FILE,
  DSSE_FILE,
  type GateInputs,
  type GateRecord,
  type Manifest,
  MANIFEST_FILE,
  type PackFileProblem,
  parseGateCommands,
  parseManifest,
  parseStatementSubjects,
  parseSumsLine,
  renderStatement,
  STATEMENT_FILE,
  SUMS_FILE,
  type SumsLine,
} from "./manifest.ts";
import { type PackTree, streamSumsLines, walkPack } from "./_tree.ts";
import { messageOf } from "../core/error.ts";
import { decodeUtf8 } from "../core/utf8.ts";

/**
 * What a verdict proves (SPEC §6): `none` (the pack does not verify), `self-consistent` (the sums
 * match, which anyone who rewrites them can arrange), `root` (the sums are the ones whose digest
 * was recorded elsewhere), `signed` (a key's holder signed the pack).
 */
export type ProofLevel = "none" | "self-consistent" | "root" | "signed";

/**
 * Words for what a verdict proves, as every verifier prints them.
 *
 * @param level What was proven.
 * @param root The root digest (for `root`).
 * @param key The key id (for `signed`).
 * @returns The words.
 * @example
 * ```ts
 * import { proofStatement } from "./verify.ts";
 * if (!proofStatement("self-consistent", null, null).includes("does not prove")) throw new Error();
 * ```
 */
export function proofStatement(level: ProofLevel, root: string | null, key: string | null): string {
  if (level === "signed") return `signed by key ${key}; matches root digest ${root}`;
  if (level === "root") return `matches root digest ${root}`;
  if (level === "self-consistent") {
    return "self-consistent only (does not prove against anyone who can rewrite the sums)";
  }
  return "nothing (the pack does not verify)";
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
  /** What the verdict proves. */
  readonly proof: {
    /** The level (see {@linkcode ProofLevel}). */
    readonly level: "none" | "self-consistent" | "root" | "signed";
    /** The words, e.g. `self-consistent only (does not prove against anyone who can rewrite the sums)`. */
    readonly statement: string;
    /** The key id that signed, for `signed`; else `null`. */
    readonly key: string | null;
  };
  /** Lines of `SHA256SUMS.txt`. */
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
  readonly unsafe: readonly {
    /** The path (pack-relative). */
    readonly path: string;
    /** Why. */
    readonly reason: string;
  }[];
  /** Problems in the pack's own files (SHA256SUMS, MANIFEST, statement, gates). */
  readonly problems: readonly PackFileProblem[];
  /** The evidence the gates run on, as MANIFEST names it (`null` unless `ok`). */
  readonly inputs: {
    /** Pack path of the BootPack. */
    readonly bootpack: string;
    /** Pack path of its KB, or `null` when the pack has none. */
    readonly kb: string | null;
  } | null;
  /** The verified gate records, their command lines derived from the evidence (empty unless `ok`). */
  readonly gates: readonly GateRecord[];
  /** The verified files with their SHA256 (empty unless `ok`). */
  readonly files: readonly {
    /** Pack path. */
    readonly path: string;
    /** 64 hex digits, uppercase. */
    readonly sha256: string;
    /** 1-based line number in `SHA256SUMS.txt`. */
    readonly line: number;
  }[];
}

/** What was proven, in words for the verdict line. */
export type VerifyProof = VerifyReport["proof"];

/** A path refused before anything was opened: unsafe name, symlink, special file. */
export type UnsafeEntry = VerifyReport["unsafe"][number];

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
  readonly onProgress?: ExportOptions["onProgress"];
}

/** How many missing paths and sums-file problems a report names one by one (the rest are counted). */
const MAX_NAMED = 1000;

/**
 * Verifies a proofpack folder. Never throws for a bad pack: every finding is in the report.
 *
 * In order, and nothing is opened before the step that needs it: the folder (not a symlink); the
 * tree, `lstat` only (a symlink, FIFO, device, unreadable folder or unsafe name fails); the sums,
 * streamed through a checked handle (memory stays bounded however many lines it has); extra files
 * and folders; every listed file's SHA256, each read once through a handle whose identity is the
 * `lstat`ed one; the pack's own files against each other, the gate records against the command
 * lines the pack's evidence gives ({@linkcode gateArgs}).
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
 *   if (!v.ok || v.proof.level !== "root") throw new Error(JSON.stringify(v));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function verifyProofpack(
  dir: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const f = new Findings(dir);
  const read = { calibration: options.calibration ?? DEFAULT_CALIBRATION, chaos: options.chaos };
  // 1. The folder itself.
  try {
    const info = await Deno.lstat(dir);
    if (info.isSymlink) f.unsafe.push({ path: ".", reason: "the pack's folder is a symlink" });
    else if (!info.isDirectory) f.whole(".", `"${dir}" is not a folder`);
  } catch (error) {
    f.whole(".", `Cannot open "${dir}": ${messageOf(error)}`);
  }
  if (!f.clean()) return f.report(options);
  // 2. The tree, lstat only.
  const tree = await walkPack(dir);
  f.unsafe.push(...tree.unsafe);
  for (const u of tree.unreadable) f.whole(u.path, `Cannot list "${u.path}": ${u.message}`);
  // 3. The sums, streamed; then what is extra.
  const sumsInfo = tree.files.get(SUMS_FILE);
  if (sumsInfo === undefined) {
    if (!tree.unsafe.some((u) => u.path === SUMS_FILE)) f.missing.push(SUMS_FILE);
    return f.report(options);
  }
  const listed = await readSums(dir, sumsInfo, tree, f, read);
  if (listed === null) return f.report(options);
  if (options.expectedRoot !== undefined && f.root !== options.expectedRoot.toUpperCase()) {
    f.whole(
      SUMS_FILE,
      `root digest ${f.root} is not the expected ${options.expectedRoot.toUpperCase()}`,
    );
  }
  findExtras(tree, listed, f);
  f.inventoried = tree.unreadable.length === 0;
  if (f.unsafe.length > 0 || f.problems.length > 0) return f.report(options);
  // 4. Every listed file's SHA256, through checked handles.
  const measured = await hashListed(dir, tree, listed, f, read, options);
  if (measured === null) return f.report(options);
  f.files = [...listed.values()].sort((a, b) => comparePackPaths(a.path, b.path));
  // 5. The pack's own files agree with the sums, with each other and with the evidence.
  if (f.missing.length === 0) await crossCheck(dir, tree, listed, measured, f, read);
  return f.report(options);
}

/** Collects the findings of one verify and makes the report. */
class Findings {
  readonly dir: string;
  readonly missing: string[] = [];
  missingCount = 0;
  readonly extra: string[] = [];
  readonly modified: string[] = [];
  readonly unsafe: UnsafeEntry[] = [];
  readonly problems: PackFileProblem[] = [];
  root: string | null = null;
  listed = 0;
  matched = 0;
  inputs: GateInputs | null = null;
  gates: GateRecord[] = [];
  files: SumsLine[] = [];
  /** The whole tree was listed and compared with the whole sums file. */
  inventoried = false;

  constructor(dir: string) {
    this.dir = dir;
  }
  whole(file: string, message: string): void {
    this.problems.push({ file, line: null, path: file, code: "INVALID", message });
  }
  clean(): boolean {
    return this.problems.length === 0 && this.unsafe.length === 0;
  }
  report(options: VerifyOptions): VerifyReport {
    if (this.missingCount > this.missing.length) {
      this.whole(
        SUMS_FILE,
        `${this.missingCount - this.missing.length} more listed files are missing`,
      );
    }
    const complete = this.inventoried && this.missingCount === 0 && this.missing.length === 0 &&
      this.extra.length === 0;
    const valid = this.modified.length === 0 && this.unsafe.length === 0 &&
      this.problems.length === 0;
    const ok = complete && valid;
    const level: ProofLevel = !ok
      ? "none"
      : options.expectedRoot !== undefined
      ? "root"
      : "self-consistent";
    return {
      dir: this.dir,
      ok,
      complete,
      valid,
      root: this.root,
      proof: { level, statement: proofStatement(level, this.root, null), key: null },
      listed: this.listed,
      matched: this.matched,
      missing: this.missing.sort(comparePackPaths),
      extra: this.extra.sort(comparePackPaths),
      modified: this.modified.sort(comparePackPaths),
      unsafe: this.unsafe.sort((a, b) => comparePackPaths(a.path, b.path)),
      problems: this.problems,
      inputs: ok ? this.inputs : null,
      gates: ok ? this.gates : [],
      files: ok ? this.files : [],
    };
  }
}

/**
 * Streams `SHA256SUMS.txt`: every line parsed, only the lines naming a file present kept (memory is
 * bounded by the tree, not by the sums), missing files named up to {@linkcode MAX_NAMED}.
 */
async function readSums(
  dir: string,
  info: Deno.FileInfo,
  tree: PackTree,
  f: Findings,
  read: { calibration: Calibration; chaos: ChaosMode | undefined },
): Promise<Map<string, SumsLine> | null> {
  const listed = new Map<string, SumsLine>();
  const keys = new Map<string, string>();
  for (const path of tree.files.keys()) keys.set(packPathKey(path), path);
  let problems: PackFileProblem[] = [];
  let lines = 0;
  const note = (p: PackFileProblem): void => {
    if (problems.length < MAX_NAMED) problems.push(p);
  };
  const onLine = (raw: string, n: number): void => {
    lines = n;
    const line = parseSumsLine(raw, n);
    if ("message" in line) return note(line);
    const present = keys.get(packPathKey(line.path));
    if (present === undefined) {
      f.missingCount++;
      if (f.missing.length < MAX_NAMED) f.missing.push(line.path);
    } else if (present !== line.path || listed.has(present)) {
      note({
        file: SUMS_FILE,
        line: n,
        path: line.path,
        code: "UNSAFE_PATH",
        message: `path ${JSON.stringify(line.path)} clashes with ${JSON.stringify(present)}`,
      });
    } else listed.set(line.path, line);
  };
  let streamed;
  try {
    streamed = await streamSumsLines(`${dir}/${SUMS_FILE}`, { ...read, expect: info }, () => {
      listed.clear();
      problems = [];
      f.missing.length = 0;
      f.missingCount = 0;
    }, onLine);
  } catch (error) {
    f.whole(SUMS_FILE, messageOf(error));
    return null;
  }
  f.root = streamed.sha256;
  f.listed = lines;
  if (streamed.notUtf8) f.whole(SUMS_FILE, "is not valid UTF-8");
  else if (streamed.size === 0) f.whole(SUMS_FILE, "is empty");
  else if (streamed.unterminated) {
    f.whole(SUMS_FILE, "last line has no line feed (truncated file?)");
  }
  for (const p of problems) {
    if (p.code === "UNSAFE_PATH" && p.path !== null) {
      f.unsafe.push({ path: p.path, reason: `${SUMS_FILE} line ${p.line}: ${p.message}` });
    } else f.problems.push(p);
  }
  return f.clean() ? listed : null;
}

/** Files not listed, and folders that hold no listed file (empty or not), are extra. */
function findExtras(tree: PackTree, listed: ReadonlyMap<string, SumsLine>, f: Findings): void {
  const needed = new Set<string>();
  for (const path of listed.keys()) {
    for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
      needed.add(path.slice(0, cut));
    }
  }
  for (const path of tree.files.keys()) {
    if (path !== SUMS_FILE && !listed.has(path)) f.extra.push(path);
  }
  for (const path of tree.dirs.keys()) if (!needed.has(path)) f.extra.push(`${path}/`);
}

async function hashListed(
  dir: string,
  tree: PackTree,
  listed: ReadonlyMap<string, SumsLine>,
  f: Findings,
  read: { calibration: Calibration; chaos: ChaosMode | undefined },
  options: VerifyOptions,
): Promise<Map<string, FileDigest> | null> {
  const todo = [...listed.values()];
  let bytes = 0;
  let digests: FileDigest[];
  try {
    digests = await mapPool(todo, {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      onDone: (files, totalFiles) =>
        options.onProgress?.({ phase: "hash", files, totalFiles, bytes, totalBytes: 0 }),
    }, (l) =>
      hashFile(`${dir}/${l.path}`, {
        ...read,
        expect: tree.files.get(l.path),
        onBytes: (n) => {
          bytes += n;
        },
      }));
  } catch (error) {
    const path = error instanceof FileReadError ? error.path.slice(dir.length + 1) : ".";
    f.whole(path, messageOf(error));
    return null;
  }
  const measured = new Map<string, FileDigest>();
  todo.forEach((l, i) => {
    const d = digests[i]!;
    measured.set(l.path, d);
    if (d.sha256.toUpperCase() === l.sha256) f.matched++;
    else f.modified.push(l.path);
  });
  return measured;
}

/** Reads one of the pack's own files as strict UTF-8, through a checked handle. */
type TextOf = (path: string) => Promise<string | null>;

async function crossCheck(
  dir: string,
  tree: PackTree,
  listed: ReadonlyMap<string, SumsLine>,
  measured: ReadonlyMap<string, FileDigest>,
  f: Findings,
  read: { calibration: Calibration; chaos: ChaosMode | undefined },
): Promise<void> {
  const textOf: TextOf = async (path) => {
    const info = tree.files.get(path);
    if (!listed.has(path) || info === undefined) {
      f.whole(path, `is not listed in ${SUMS_FILE}`);
      return null;
    }
    try {
      const bytes = await readFileBytes(`${dir}/${path}`, { ...read, expect: info });
      const text = decodeUtf8(bytes);
      if (text === null) throw new TypeError("Cannot read it: not valid UTF-8");
      return text;
    } catch (error) {
      f.whole(path, messageOf(error));
      return null;
    }
  };
  const own = new Set([SUMS_FILE, MANIFEST_FILE, STATEMENT_FILE, DSSE_FILE]);
  const all = [...listed.values()];
  const manifestText = await textOf(MANIFEST_FILE);
  if (manifestText === null) return;
  const m = parseManifest(manifestText);
  if (!m.ok) {
    f.problems.push(...m.problems);
    return;
  }
  compareSets(
    MANIFEST_FILE,
    m.value.files,
    all.filter((l) => !own.has(l.path)),
    measured,
    f.problems,
  );
  f.inputs = m.value.inputs ?? null;
  const gates = await checkGates(m.value, listed, textOf, f);
  if (gates === null) return;
  f.gates = gates;
  // The statement: its subjects are the pack's files, its predicate the recorded verdicts.
  const statementText = await textOf(STATEMENT_FILE);
  if (statementText === null) return;
  const st = parseStatementSubjects(statementText);
  if (!st.ok) {
    f.problems.push(...st.problems);
    return;
  }
  const expected = all.filter((l) => l.path !== STATEMENT_FILE && l.path !== DSSE_FILE);
  const before = f.problems.length;
  compareSets(STATEMENT_FILE, st.value, expected, null, f.problems);
  const config = expected.filter((l) => l.path === COMMANDS_FILE);
  if (f.problems.length === before && renderStatement(expected, gates, config) !== statementText) {
    f.whole(
      STATEMENT_FILE,
      `does not match the pack: its predicate or layout differs from what ${COMMANDS_FILE} and ` +
        `${SUMS_FILE} give`,
    );
  }
}

/**
 * The gate record must be the one the pack's evidence gives: the BootPack MANIFEST names, the
 * POINTER in it mapped to the pack's KB, each gate's command line from {@linkcode gateArgs}, and
 * each recorded verdict the one its recorded output shows.
 */
async function checkGates(
  manifest: Manifest,
  listed: ReadonlyMap<string, SumsLine>,
  textOf: TextOf,
  f: Findings,
): Promise<GateRecord[] | null> {
  const inputs = manifest.inputs;
  if (inputs === undefined) {
    if (!listed.has(COMMANDS_FILE)) return [];
    f.whole(COMMANDS_FILE, `records gates, but ${MANIFEST_FILE} names no BootPack to run them on`);
    return null;
  }
  const bootpackText = await textOf(inputs.bootpack);
  const commandsText = await textOf(COMMANDS_FILE);
  if (inputs.kb !== null && !listed.has(inputs.kb)) {
    f.whole(MANIFEST_FILE, `names the KB "${inputs.kb}", which ${SUMS_FILE} does not list`);
  }
  if (bootpackText === null || commandsText === null) return null;
  let map: string | null = null;
  const pointer = parseBootPack(bootpackText).pointer?.path?.value ?? null;
  if (pointer !== null) {
    const placed = placeKb(pointer);
    if (typeof placed === "string") f.whole(inputs.bootpack, `its POINTER's Path ${placed}`);
    else if (placed.kb !== inputs.kb) {
      f.whole(
        MANIFEST_FILE,
        `names the KB "${inputs.kb}", but the BootPack's POINTER gives "${placed.kb}"`,
      );
    } else map = placed.map;
  }
  const c = parseGateCommands(commandsText);
  if (!c.ok) f.problems.push(...c.problems);
  if (!c.ok || !f.clean()) return null;
  const names = c.value.gates.map((g) => g.name).join(",");
  if (names !== GATE_NAMES.join(",")) {
    f.whole(COMMANDS_FILE, `records the gates [${names}], not [${GATE_NAMES.join(",")}]`);
    return null;
  }
  for (const g of c.value.gates) {
    await checkGate(g, gateArgs(g.name, inputs.bootpack, map), textOf, f);
  }
  return f.clean() ? [...c.value.gates] : null;
}

/** The gates every pack with a BootPack records, in order. */
const GATE_NAMES = ["acceptance", "selftest"] as const;

async function checkGate(
  g: GateRecord,
  args: readonly string[],
  textOf: TextOf,
  f: Findings,
): Promise<void> {
  const bad = (message: string): void => {
    f.problems.push({ file: COMMANDS_FILE, line: null, path: g.output, code: "INVALID", message });
  };
  if (JSON.stringify(g.args) !== JSON.stringify(args)) {
    bad(
      `records ${g.name} with the arguments ${JSON.stringify(g.args)}, but the pack's evidence ` +
        `gives ${JSON.stringify(args)}`,
    );
    return;
  }
  if (g.output !== `gates/${g.name}.txt`) {
    bad(`records the output of ${g.name} in "${g.output}", not "gates/${g.name}.txt"`);
    return;
  }
  const output = await textOf(g.output);
  if (output === null) return;
  const facts = gateFacts(output);
  if (
    facts.verdict !== g.verdict || facts.exitCode !== g.exit_code || facts.warnings !== g.warnings
  ) {
    bad(
      `records ${g.name} as ${g.verdict} (exit ${g.exit_code}, ${g.warnings} warnings) ` +
        `but ${g.output} says ${facts.verdict} (exit ${facts.exitCode}, ${facts.warnings} warnings)`,
    );
  }
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
