/**
 * Gate G3, the chaos matrix: every command that reads a file run as a separate process under each
 * fault mode (`--chaos MODE`), each cell on its own fresh scratch workspace, and judged fail-closed
 * against a run of the same command without chaos. {@linkcode judgeChaosCell} is the pure
 * judgement; {@linkcode runChaosMatrix} runs the processes.
 *
 * Expectations: under `TIMEOUT`, `ERROR`, `PARTIAL`, `EMPTY` and `CORRUPT` every read fails or is
 * damaged on every attempt, so the command must block (exit 1 with a block message) and leave
 * every file byte-for-byte as it was; under `LATENCY` it must give the right answer: the exit code
 * and output of the run without chaos, and the same files. A transient fault must not be tried
 * more than `1 + retry_count` times, no process may outlive its deadline, and no output may carry
 * a stack trace.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { type CliProcessResult, runCliProcess } from "./cli_process.ts";
import { CHAOS_MODES, type ChaosMode } from "../io/file_read.ts";
import {
  copyTree,
  makeWorkspace,
  normalizeOutput,
  proofpackExportArgs,
  type ScratchSource,
  treeDiff,
  treeDigest,
  type Workspace,
} from "./scratch_workspace.ts";
import { messageOf } from "../core/error.ts";
import { mapPool } from "../core/pool.ts";
import { lastLine } from "./_output_lines.ts";

/** A command of the matrix. */
export interface ChaosCommand {
  /** Its name, e.g. `proofpack verify`. */
  readonly name: string;
  /** The `budgets_ms` key of the operation. */
  readonly budget: string;
  /** Whether a successful run writes (`ingest`, `rebuild`). */
  readonly writes: boolean;
  /**
   * How the command says it blocked, besides exit 1: `gate` prints `[GATE-BLOCK] CODE: …` on
   * stdout (acceptance, selftest); `fail` prints `[FAIL] …` on stdout (proofpack verify);
   * `stderr` prints an error message on stderr (the writers).
   */
  readonly blockOn: "gate" | "fail" | "stderr";
  /** Prepares a fresh workspace (e.g. writes the entry file, exports a pack) without chaos. */
  readonly prepare?: (ws: Workspace, run: ProcessRunner) => Promise<void>;
  /** CLI arguments for a workspace, the command first, without `--chaos`. */
  readonly args: (ws: Workspace) => readonly string[];
}

/** Runs the CLI as a process. */
export type ProcessRunner = (
  args: readonly string[],
  options?: { readonly timeoutMs?: number },
) => Promise<CliProcessResult>;

/** What a run without chaos did: the reference of the LATENCY cells. */
export interface ChaosReference {
  /** Exit code. */
  readonly code: number;
  /** stdout with the workspace folder replaced by `{scratch}`. */
  readonly stdout: string;
  /** Files before the run (relative path to SHA256). */
  readonly before: Readonly<Record<string, string>>;
  /** Files after the run. */
  readonly after: Readonly<Record<string, string>>;
}

/** What a chaos run did. */
export interface ChaosObservation {
  /** Exit code (`-1` when killed at its deadline). */
  readonly code: number;
  /** stdout, normalized. */
  readonly stdout: string;
  /** stderr, normalized. */
  readonly stderr: string;
  /** Killed at its deadline. */
  readonly timedOut: boolean;
  /** Files before. */
  readonly before: Readonly<Record<string, string>>;
  /** Files after. */
  readonly after: Readonly<Record<string, string>>;
}

/** The judgement of one cell. */
export interface ChaosJudgement {
  /** What the command did: `BLOCK`, `PASS` (exit 0), `USAGE` (exit 2), `HUNG`, `OTHER`. */
  readonly outcome: "BLOCK" | "PASS" | "USAGE" | "HUNG" | "OTHER";
  /** Fail-closed as expected. */
  readonly pass: boolean;
  /** Why, in one line. */
  readonly reason: string;
  /** Largest `(N attempts)` the output reports, or `null` when it reports none. */
  readonly attempts: number | null;
  /** File differences from what was expected (`+ added`, `- removed`, `~ changed`). */
  readonly fileChanges: readonly string[];
}

const TRANSIENT: ReadonlySet<ChaosMode> = new Set(["TIMEOUT", "ERROR", "PARTIAL", "EMPTY"]);

/**
 * Judges one cell of the matrix (pure). See the module's documentation for the rules.
 *
 * @param command The command.
 * @param mode The fault mode.
 * @param obs What the chaos run did.
 * @param ref What the run without chaos did (must have passed).
 * @param retryCount The calibration's `retry_count`.
 * @returns The judgement.
 * @example
 * ```ts
 * import { judgeChaosCell } from "./chaos_matrix.ts";
 * const cmd = { name: "acceptance", budget: "acceptance", writes: false, blockOn: "gate" as const, args: () => [] };
 * const files = { "b.txt": "AB" };
 * const j = judgeChaosCell(cmd, "ERROR", {
 *   code: 1, stdout: "[GATE-BLOCK] BOOTPACK_IO_ERROR: x (4 attempts)\n", stderr: "",
 *   timedOut: false, before: files, after: files,
 * }, { code: 0, stdout: "[PASS] ok\n", before: files, after: files }, 3);
 * if (!j.pass || j.outcome !== "BLOCK" || j.attempts !== 4) throw new Error(j.reason);
 * ```
 */
export function judgeChaosCell(
  command: ChaosCommand,
  mode: ChaosMode,
  obs: ChaosObservation,
  ref: ChaosReference,
  retryCount: number,
): ChaosJudgement {
  const text = obs.stdout + "\n" + obs.stderr;
  const counts = [...text.matchAll(/\((\d+) attempts?\)/g)].map((m) => Number(m[1]));
  const attempts = counts.length > 0 ? Math.max(...counts) : null;
  const unchanged = treeDiff(obs.before, obs.after);
  const crashed = /\bUncaught\b|^\s+at .+:\d+:\d+\)?$/m.test(text);
  const outcome = outcomeOf(command, obs);
  const fail = (reason: string, fileChanges: readonly string[] = []): ChaosJudgement => ({
    outcome,
    pass: false,
    reason,
    attempts,
    fileChanges,
  });
  if (crashed) return fail("the output carries a stack trace (uncaught error)");
  if (attempts !== null && attempts > retryCount + 1) {
    return fail(`${attempts} attempts reported, more than 1 + retry_count = ${retryCount + 1}`);
  }
  if (mode !== "LATENCY" && !TRANSIENT.has(mode) && attempts !== null && attempts > 1) {
    return fail(`corruption was retried (${attempts} attempts)`);
  }
  switch (outcome) {
    case "HUNG":
      return fail("no answer before the deadline: killed");
    case "USAGE":
      return fail("exit 2: the command does not accept --chaos");
    case "OTHER":
      return fail(`exit ${obs.code} without a block message`);
    case "BLOCK":
      if (unchanged.length > 0) return fail("blocked but files changed", unchanged);
      if (mode === "LATENCY") return fail("blocked under LATENCY: expected the right answer");
      return {
        outcome,
        pass: true,
        reason: "blocked; every file byte-for-byte unchanged",
        attempts,
        fileChanges: [],
      };
    case "PASS":
      if (mode !== "LATENCY") return fail(`exit 0 under ${mode}: the fault was not injected`);
      return judgeRightAnswer(command, obs, ref, attempts, fail);
  }
}

function outcomeOf(command: ChaosCommand, obs: ChaosObservation): ChaosJudgement["outcome"] {
  const blockLine = command.blockOn === "gate"
    ? /^\[GATE-BLOCK\] [A-Z0-9_]+: /m.test(obs.stdout)
    : command.blockOn === "fail"
    ? /^\[FAIL\] /m.test(obs.stdout)
    : obs.stderr.trim() !== "";
  if (obs.timedOut) return "HUNG";
  if (obs.code === 1 && blockLine) return "BLOCK";
  if (obs.code === 0) return "PASS";
  if (obs.code === 2) return "USAGE";
  return "OTHER";
}

/** An exit 0 under LATENCY passes only with the output and files of the run without chaos. */
function judgeRightAnswer(
  command: ChaosCommand,
  obs: ChaosObservation,
  ref: ChaosReference,
  attempts: number | null,
  fail: (reason: string, fileChanges?: readonly string[]) => ChaosJudgement,
): ChaosJudgement {
  if (ref.code !== 0) return fail(`the run without chaos exited ${ref.code}`);
  if (obs.stdout !== ref.stdout) {
    return fail("exit 0 but output differs from the run without chaos");
  }
  const expected = command.writes
    ? treeDiff(ref.after, obs.after)
    : treeDiff(obs.before, obs.after);
  if (expected.length > 0) {
    return fail(
      command.writes
        ? "exit 0 but files differ from the run without chaos"
        : "exit 0 but a read-only command changed files",
      expected,
    );
  }
  return {
    outcome: "PASS",
    pass: true,
    reason: "the right answer: output and files identical to the run without chaos",
    attempts,
    fileChanges: [],
  };
}

/** One cell's record. */
export interface ChaosCell {
  /** The command. */
  readonly command: string;
  /** The mode. */
  readonly mode: ChaosMode;
  /** Exit code. */
  readonly code: number;
  /** Wall-clock time in ms. */
  readonly ms: number;
  /** The judgement. */
  readonly judgement: ChaosJudgement;
  /** The verdict or last stderr line, for the evidence (normalized). */
  readonly message: string;
}

/** One command's reference run. */
export interface ChaosReferenceRecord {
  /** The command. */
  readonly command: string;
  /** Exit code (must be 0). */
  readonly code: number;
  /** Wall-clock time in ms. */
  readonly ms: number;
  /** stdout, normalized. */
  readonly stdout: string;
  /** stderr, normalized (why it failed, when it did). */
  readonly stderr: string;
}

/** Result of {@linkcode runChaosMatrix}. */
export interface ChaosMatrixResult {
  /** Every reference passed and every cell passed. */
  readonly pass: boolean;
  /** The runs without chaos. */
  readonly references: readonly ChaosReferenceRecord[];
  /** Every cell, command by command, in mode order. */
  readonly cells: readonly ChaosCell[];
}

/** Options of {@linkcode runChaosMatrix}. */
export interface RunChaosMatrixOptions {
  /** Thresholds: retries, timeouts, budgets (for each process's deadline). */
  readonly calibration: Calibration;
  /** Scratch root (each cell gets its own folder under it). */
  readonly scratch: string;
  /** What each workspace copies. */
  readonly source: ScratchSource;
  /** Arguments added to every command (e.g. `--calibration FILE`). Default none. */
  readonly extraArgs?: readonly string[];
  /** Modes to run. Default all six. */
  readonly modes?: readonly ChaosMode[];
  /** Called after each cell. */
  readonly onCell?: (cell: ChaosCell, done: number, total: number) => void;
  /** Runs a process. Default {@linkcode runCliProcess}. */
  readonly run?: ProcessRunner;
}

/**
 * The commands of the matrix (SPEC §7 G3): `acceptance`, `selftest`, `ingest`, `rebuild`,
 * `proofpack verify`.
 *
 * @param calibration Thresholds for the harness's own reads (copies).
 * @returns The command definitions.
 * @example
 * ```ts
 * import { chaosCommands } from "./chaos_matrix.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * if (chaosCommands(DEFAULT_CALIBRATION).length !== 5) throw new Error();
 * ```
 */
export function chaosCommands(calibration: Calibration): ChaosCommand[] {
  let pack: Promise<string> | null = null;
  return [
    {
      name: "acceptance",
      budget: "acceptance",
      writes: false,
      blockOn: "gate",
      args: (ws) => ["acceptance", ws.bootpack, "--map", ws.map],
    },
    {
      name: "selftest",
      budget: "selftest",
      writes: false,
      blockOn: "gate",
      args: (ws) => ["selftest", ws.bootpack, "--map", ws.map],
    },
    {
      name: "ingest",
      budget: "ingest",
      writes: true,
      blockOn: "stderr",
      prepare: async (ws) => {
        const entry = { id: "CERTIFY-G3-CHAOS", title: "chaos probe", blocking: false };
        await Deno.writeTextFile(`${ws.dir}/entry.json`, JSON.stringify(entry, null, 2) + "\n");
      },
      args: (ws) => ["ingest", "--kb", ws.kb, "--entry", `${ws.dir}/entry.json`],
    },
    {
      name: "rebuild",
      budget: "rebuild",
      writes: true,
      blockOn: "stderr",
      // One more entry in the KB, so that the BootPack is stale and rebuild has to write.
      prepare: async (ws) => {
        const doc = JSON.parse(await Deno.readTextFile(ws.kb)) as unknown;
        const entry = { id: "CERTIFY-G3-REBUILD", title: "chaos probe", blocking: false };
        if (Array.isArray(doc)) doc.push(entry);
        else if (
          doc && typeof doc === "object" && Array.isArray((doc as { entries?: unknown }).entries)
        ) {
          (doc as { entries: unknown[] }).entries.push(entry);
        }
        await Deno.writeTextFile(ws.kb, JSON.stringify(doc, null, 2) + "\n");
      },
      args: (ws) => ["rebuild", ws.bootpack, "--kb", ws.kb, "--map", ws.map],
    },
    {
      name: "proofpack verify",
      budget: "proofpack_verify",
      writes: false,
      blockOn: "fail",
      // One pack, exported once (an export records its time), copied into every workspace, so
      // that every run verifies the same bytes and prints the same root digest.
      prepare: async (ws, run) => {
        if (pack === null) {
          pack = (async (): Promise<string> => {
            const master = `${ws.dir}.pack`;
            const r = await run(proofpackExportArgs(ws, master));
            if (r.code !== 0) {
              throw new Error(
                `Cannot prepare "proofpack verify": export exited ${r.code}: ${lastLine(r.stderr)}`,
              );
            }
            return master;
          })();
        }
        await copyTree(await pack, `${ws.dir}/pack`, calibration);
      },
      args: (ws) => ["proofpack", "verify", `${ws.dir}/pack`],
    },
  ];
}

/**
 * Runs the chaos matrix: for each command, a reference run without chaos, then one run per mode,
 * each on a fresh workspace; `TIMEOUT` cells (which wait `io_timeout_ms` per attempt) are started
 * first and run side by side with the others.
 *
 * @param commands The commands (usually {@linkcode chaosCommands}).
 * @param options Calibration, scratch root, source, progress.
 * @returns Every reference and cell, judged.
 */
export async function runChaosMatrix(
  commands: readonly ChaosCommand[],
  options: RunChaosMatrixOptions,
): Promise<ChaosMatrixResult> {
  const modes = options.modes ?? CHAOS_MODES;
  const m: Matrix = {
    cal: options.calibration,
    extra: options.extraArgs ?? [],
    run: options.run ??
      ((args, o) =>
        runCliProcess(args, o?.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs })),
    options,
    serial: 0,
  };
  // 1. One reference run per command, without chaos, in sequence.
  const references = new Map<string, ChaosReference>();
  const referenceRecords: ChaosReferenceRecord[] = [];
  for (const c of commands) {
    const { record, reference } = await runReference(m, c);
    referenceRecords.push(record);
    if (reference !== null) references.set(c.name, reference);
  }
  // 2. Every cell, TIMEOUT cells first (they mostly wait), side by side with the others.
  const jobs = commands.flatMap((c) => modes.map((mode) => ({ c, mode })));
  jobs.sort((a, b) => Number(b.mode === "TIMEOUT") - Number(a.mode === "TIMEOUT"));
  const timeouts = jobs.filter((j) => j.mode === "TIMEOUT").length;
  let done = 0;
  const cells = await mapPool(jobs, { concurrency: timeouts + 2 }, async ({ c, mode }) => {
    const cell = await runCell(m, c, mode, references.get(c.name));
    options.onCell?.(cell, ++done, jobs.length);
    return cell;
  });
  const byKey = new Map(cells.map((cell) => [`${cell.command}/${cell.mode}`, cell]));
  const ordered = commands.flatMap((c) => modes.map((mode) => byKey.get(`${c.name}/${mode}`)!));
  return {
    pass: referenceRecords.every((r) => r.code === 0) && ordered.length > 0 &&
      ordered.every((c) => c.judgement.pass),
    references: referenceRecords,
    cells: ordered,
  };
}

/** What every run of the matrix shares. */
interface Matrix {
  readonly cal: Calibration;
  readonly extra: readonly string[];
  readonly run: ProcessRunner;
  readonly options: RunChaosMatrixOptions;
  serial: number;
}

/** The time limit of one run: every attempt of both reads timing out, the backoffs, the budget. */
function deadlineOf(cal: Calibration, c: ChaosCommand): number {
  const budgets = cal.budgets_ms as unknown as Readonly<Record<string, number>>;
  let backoff = 0;
  for (let i = 0; i < cal.retry_count; i++) backoff += cal.retry_backoff_ms * 2 ** i;
  const reads = 2 * (cal.retry_count + 1) * (cal.io_timeout_ms + cal.chaos_latency_ms);
  return reads + 2 * backoff + (budgets[c.budget] ?? 0) + 10_000;
}

async function workspaceFor(m: Matrix, c: ChaosCommand, label: string): Promise<Workspace> {
  const ws = await makeWorkspace(
    m.options.scratch,
    `g3_${String(m.serial++).padStart(3, "0")}_${c.name.replace(/\W+/g, "_")}_${label}`,
    m.options.source,
  );
  await c.prepare?.(ws, m.run);
  return ws;
}

async function runReference(
  m: Matrix,
  c: ChaosCommand,
): Promise<{ record: ChaosReferenceRecord; reference: ChaosReference | null }> {
  try {
    const ws = await workspaceFor(m, c, "reference");
    const before = await treeDigest(ws.dir, m.cal);
    const r = await m.run([...c.args(ws), ...m.extra], { timeoutMs: deadlineOf(m.cal, c) });
    const after = await treeDigest(ws.dir, m.cal);
    const stdout = normalizeOutput(r.stdout, ws.dir);
    return {
      record: {
        command: c.name,
        code: r.code,
        ms: r.ms,
        stdout,
        stderr: normalizeOutput(r.stderr, ws.dir),
      },
      reference: { code: r.code, stdout, before, after },
    };
  } catch (error) {
    return {
      record: { command: c.name, code: -1, ms: 0, stdout: "", stderr: messageOf(error) },
      reference: null,
    };
  }
}

async function runCell(
  m: Matrix,
  c: ChaosCommand,
  mode: ChaosMode,
  ref: ChaosReference | undefined,
): Promise<ChaosCell> {
  if (!ref || ref.code !== 0) {
    return unjudged(
      c,
      mode,
      "not run: the run without chaos did not pass",
      "the run without chaos did not pass: nothing to judge against",
    );
  }
  try {
    const ws = await workspaceFor(m, c, mode);
    const before = await treeDigest(ws.dir, m.cal);
    const r = await m.run([...c.args(ws), "--chaos", mode, ...m.extra], {
      timeoutMs: deadlineOf(m.cal, c),
    });
    const after = await treeDigest(ws.dir, m.cal);
    const obs: ChaosObservation = {
      code: r.code,
      stdout: normalizeOutput(r.stdout, ws.dir),
      stderr: normalizeOutput(r.stderr, ws.dir),
      timedOut: r.timedOut,
      before,
      after,
    };
    const judgement = judgeChaosCell(c, mode, obs, ref, m.cal.retry_count);
    const verdict = obs.stdout.split("\n").find((l) => /^\[(PASS|GATE-BLOCK)\]/.test(l));
    return {
      command: c.name,
      mode,
      code: r.code,
      ms: r.ms,
      judgement,
      message: verdict ?? lastLine(obs.stderr || obs.stdout),
    };
  } catch (error) {
    const why = messageOf(error);
    return unjudged(c, mode, why, why);
  }
}

function unjudged(c: ChaosCommand, mode: ChaosMode, message: string, reason: string): ChaosCell {
  return {
    command: c.name,
    mode,
    code: -1,
    ms: 0,
    message,
    judgement: { outcome: "OTHER", pass: false, reason, attempts: null, fileChanges: [] },
  };
}
