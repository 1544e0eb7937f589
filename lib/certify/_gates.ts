/**
 * The six hardening gates of `certify` (internal): each runs the CLI as processes in its own
 * scratch workspace and returns its criteria, measured, and its evidence. {@linkcode certify}
 * (`certify.ts`) orchestrates them and writes the report.
 *
 * @module
 */

import { evaluateBudgets, type Measurement } from "./budget.ts";
import { type Calibration, CalibrationError, validateCalibration } from "../core/calibration.ts";
import { codeOf, messageOf } from "../core/error.ts";
import { chaosCommands, type ChaosMatrixResult, runChaosMatrix } from "./chaos_matrix.ts";
import {
  cliInvocation,
  type CliProcessResult,
  COMMAND_PERMISSIONS,
  narrowWrite,
  runCliProcess,
  type RunCliProcessOptions,
  runFloorProcess,
} from "./cli_process.ts";
import type { GateCriterion, GateId, GateOutcome } from "./report.ts";
import { readFileBytes } from "../io/file_read.ts";
import { runConcurrencyGate } from "./concurrency.ts";
import { lastLine, verdictLine } from "./_output_lines.ts";
import {
  runStress,
  type RunStressOptions,
  stressEvidence,
  type StressResult,
  type StressStepResult,
} from "./stress.ts";
import {
  copyTree,
  makeWorkspace,
  normalizeOutput,
  proofpackExportArgs,
  type ScratchSource,
  treeDigest,
  type Workspace,
} from "./scratch_workspace.ts";

/** A gate's outcome and the evidence written for it. */
export interface GateRun {
  /** Criteria, verdict, time. */
  readonly outcome: GateOutcome;
  /** The evidence file's content. */
  readonly evidence: unknown;
}

/** Name, purpose and evidence file of each gate. */
export const GATES: Readonly<Record<GateId, { name: string; proves: string; file: string }>> = {
  G0: {
    name: "Preflight",
    proves: "The toolchain is present and the BootPack passes acceptance",
    file: "evidence/G0_preflight.json",
  },
  G1: {
    name: "Concurrency",
    proves:
      "Parallel writer processes: every entry present once, KB valid, 0 residual locks, 0 residual temporary files",
    file: "evidence/G1_concurrency.json",
  },
  G2: {
    name: "Budget",
    proves:
      "Every operation within its budget from the calibration, the single source of thresholds",
    file: "evidence/G2_budget.json",
  },
  G3: {
    name: "Chaos",
    proves:
      "Under each fault mode every command fails closed: the right answer or a block, never a wrong PASS, never a partial write; retries bounded",
    file: "evidence/G3_chaos.json",
  },
  G4: {
    name: "Stress",
    proves:
      "STRESS_N runs: identical output (hard pass), within budget (soft pass), the timings' spread against the host's (floor processes, an empty deno run, between the runs) inside the variance envelope",
    file: "evidence/G4_stress.json",
  },
  G5: {
    name: "Proofpack",
    proves: "Export then verify succeeds, and tampered copies fail verification",
    file: "evidence/G5_proofpack.json",
  },
};

/**
 * Runs a command of the CLI as a process with its task's permissions, write permission narrowed
 * to `writable`: a command run by `certify` cannot write the user's files even if it tried.
 */
export function confined(
  args: readonly string[],
  writable: readonly string[],
  options: Omit<RunCliProcessOptions, "permissions"> = {},
): Promise<CliProcessResult> {
  const name = args[0] ?? "";
  const permissions = Object.hasOwn(COMMAND_PERMISSIONS, name)
    ? COMMAND_PERMISSIONS[name]!
    : undefined;
  if (permissions === undefined) {
    throw new TypeError(`Cannot run "${name}": no deno task gives its permissions`);
  }
  return runCliProcess(args, { ...options, permissions: narrowWrite(permissions, writable) });
}

// ---------------------------------------------------------------------------------------------
// Gates

/** What every gate works with. */
export interface Context {
  /** Thresholds. */
  readonly cal: Calibration;
  /** Where they come from, for messages (a file, or the built-in calibration). */
  readonly calibrationSource: string;
  /** Scratch root: every workspace is a folder under it. */
  readonly scratch: string;
  /** What every workspace copies. */
  readonly source: ScratchSource;
  /** Arguments added to every command (`--calibration FILE`). */
  readonly extra: readonly string[];
  /** Progress lines. */
  readonly progress: (message: string) => void;
  /** Sequential timed runs for G2. */
  readonly measurements: Measurement[];
  /** Aborts on interruption: running processes are killed. */
  readonly signal: AbortSignal | undefined;
  /** Runs the CLI with the calibration arguments appended. */
  readonly run: (
    args: readonly string[],
    options?: { readonly timeoutMs?: number; readonly cwd?: string },
  ) => Promise<CliProcessResult>;
}

/** A gate's outcome from its criteria: PASS when there is at least one and all pass. */
export function outcome(id: GateId, criteria: GateCriterion[], ms: number): GateOutcome {
  return {
    id,
    name: GATES[id].name,
    proves: GATES[id].proves,
    pass: criteria.length > 0 && criteria.every((c) => c.pass),
    ms,
    criteria,
    evidence: GATES[id].file,
  };
}

interface ProcessRecord {
  readonly args: readonly string[];
  readonly code: number;
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

function record(args: readonly string[], r: CliProcessResult, ws: Workspace | null): ProcessRecord {
  const norm = (t: string): string => (ws ? normalizeOutput(t, ws.dir) : t);
  return {
    args: args.map(norm),
    code: r.code,
    ms: round(r.ms),
    stdout: norm(r.stdout),
    stderr: norm(r.stderr),
  };
}

/** G0 preflight: the runtime starts the CLI; acceptance and selftest pass on a copy. */
export async function gateG0(ctx: Context): Promise<GateRun> {
  const ws = await makeWorkspace(ctx.scratch, "g0", ctx.source);
  const inv = cliInvocation(["acceptance"]);
  const records: ProcessRecord[] = [];
  const floor = await runFloorProcess({ signal: ctx.signal });
  const criteria: GateCriterion[] = [
    {
      criterion: "runtime",
      measured:
        `deno ${Deno.version.deno}, V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript} (${inv.mode}); an empty program exits ${floor.code} in ${
          floor.ms.toFixed(1)
        } ms`,
      required: "a Deno runtime that starts a program (exit 0)",
      pass: floor.code === 0,
    },
    calibrationCriterion(ctx),
  ];
  for (const command of ["acceptance", "selftest"] as const) {
    const args = [command, ws.bootpack, "--map", ws.map];
    const r = await ctx.run(args);
    records.push(record(args, r, ws));
    if (r.code === 0) ctx.measurements.push({ operation: command, ms: r.ms });
    criteria.push({
      criterion: `${command} on a copy of the BootPack`,
      measured: `exit ${r.code}: ${verdictLine(normalizeOutput(r.stdout, ws.dir))}`,
      required: "exit 0, [PASS]",
      pass: r.code === 0 && /^\[PASS\] /m.test(r.stdout),
    });
  }
  return {
    outcome: outcome("G0", criteria, 0),
    evidence: { gate: "G0", mode: inv.mode, runs: records },
  };
}

/**
 * G1 concurrency: {@linkcode runConcurrencyGate} on a workspace, with the BootPack: writers, then
 * rebuilds, a clean rebuild and acceptance; every entry once, KB valid, no file left behind.
 */
export async function gateG1(ctx: Context): Promise<GateRun> {
  const ws = await makeWorkspace(ctx.scratch, "g1", ctx.source);
  const r = await runConcurrencyGate({
    dir: ws.dir,
    kb: ws.kb,
    calibration: ctx.cal,
    bootpack: { path: ws.bootpack, map: ws.map },
    extraArgs: ctx.extra,
    idPrefix: "CERTIFY-G1",
    run: (args, o) => confined(args, [ctx.scratch], { ...o, signal: ctx.signal }),
  });
  return {
    outcome: outcome("G1", [...r.criteria], 0),
    evidence: {
      gate: "G1",
      report: r.report,
      runs: r.processes.map((p) => record(p.args, p.result, ws)),
    },
  };
}

/**
 * G2 budget: the calibration is checked first (a null, missing, unknown or mistyped key fails the
 * gate with its `CALIBRATION_*` code, and nothing runs); then each operation once, in sequence,
 * plus G0's runs, against `budgets_ms`.
 */
export async function gateG2(ctx: Context): Promise<GateRun> {
  const calibration = calibrationCriterion(ctx);
  if (!calibration.pass) {
    return {
      outcome: outcome("G2", [calibration], 0),
      evidence: { gate: "G2", calibration: calibration.measured, runs: [] },
    };
  }
  const ws = await makeWorkspace(ctx.scratch, "g2", ctx.source);
  const entry = `${ctx.scratch}/g2_entry.json`;
  await Deno.writeTextFile(
    entry,
    JSON.stringify({ id: "CERTIFY-G2-BUDGET", title: "certify G2 probe", blocking: false }) + "\n",
  );
  const pack = `${ctx.scratch}/g2_pack`;
  const steps: [string, string[]][] = [
    ["acceptance", ["acceptance", ws.bootpack, "--map", ws.map]],
    ["selftest", ["selftest", ws.bootpack, "--map", ws.map]],
    ["ingest", ["ingest", "--kb", ws.kb, "--entry", entry]],
    ["rebuild", ["rebuild", ws.bootpack, "--kb", ws.kb]],
    ["proofpack_export", proofpackExportArgs(ws, pack)],
    ["proofpack_verify", ["proofpack", "verify", pack]],
  ];
  const records: (ProcessRecord & { operation: string })[] = [];
  const measurements: Measurement[] = [...ctx.measurements];
  for (const [operation, args] of steps) {
    const r = await ctx.run(args);
    records.push({ operation, ...record(args, r, ws) });
    if (r.code === 0) measurements.push({ operation, ms: r.ms });
  }
  const report = evaluateBudgets(measurements, ctx.cal.budgets_ms);
  const criteria: GateCriterion[] = [calibration];
  for (const r of report.results) {
    const failed = records.find((x) => x.operation === r.operation && x.code !== 0);
    criteria.push({
      criterion: `${r.operation}: slowest run`,
      measured: r.maxMs === null
        ? (failed
          ? `not measured: exit ${failed.code}: ${lastLine(failed.stderr || failed.stdout)}`
          : "not measured")
        : `${r.maxMs.toFixed(1)} ms over ${r.samples} run${r.samples === 1 ? "" : "s"}`,
      required: r.budgetMs === null ? `a budget (${r.status})` : `<= ${r.budgetMs} ms (${r.key})`,
      pass: r.pass,
    });
  }
  return {
    outcome: outcome("G2", criteria, 0),
    evidence: { gate: "G2", budgets: report.results, runs: records },
  };
}

/** G3 chaos: the matrix of {@linkcode runChaosMatrix}, summarized per command. */
export async function gateG3(ctx: Context): Promise<GateRun> {
  const commands = chaosCommands(ctx.cal);
  const result: ChaosMatrixResult = await runChaosMatrix(commands, {
    calibration: ctx.cal,
    scratch: ctx.scratch,
    source: ctx.source,
    extraArgs: ctx.extra,
    run: (args, o) => confined(args, [ctx.scratch], { ...o, signal: ctx.signal }),
    onCell: (cell, done, total) => {
      const unjudged = cell.message.startsWith("not run:");
      if ((!cell.judgement.pass && !unjudged) || done % 6 === 0 || done === total) {
        ctx.progress(
          `G3 Chaos: ${done}/${total} (${cell.command} ${cell.mode}: ${
            cell.judgement.pass ? "fail-closed" : "FAIL: " + cell.judgement.reason
          })`,
        );
      }
    },
  });
  const criteria: GateCriterion[] = [];
  for (const ref of result.references) {
    criteria.push({
      criterion: `${ref.command} without chaos (reference)`,
      measured: `exit ${ref.code}${
        ref.code === 0 ? "" : ": " + lastLine(ref.stderr || ref.stdout)
      }`,
      required: "exit 0",
      pass: ref.code === 0,
    });
  }
  for (const c of commands) {
    const cells = result.cells.filter((x) => x.command === c.name);
    const bad = cells.filter((x) => !x.judgement.pass);
    criteria.push({
      criterion: `${c.name}: fail-closed under every mode`,
      measured: `${cells.length - bad.length}/${cells.length}` +
        (bad.length ? `; ${bad.map((b) => `${b.mode}: ${b.judgement.reason}`).join("; ")}` : ""),
      required:
        `${cells.length}/${cells.length} (block and files unchanged; LATENCY: the right answer)`,
      pass: bad.length === 0 && cells.length > 0,
    });
  }
  const reported = result.cells.filter((c) => c.judgement.attempts !== null);
  const maxAttempts = Math.max(0, ...reported.map((c) => c.judgement.attempts!));
  criteria.push({
    criterion: "retries bounded",
    measured: `at most ${maxAttempts} attempts reported (${reported.length} cells report a count)`,
    required: `<= ${ctx.cal.retry_count + 1} (1 + retry_count); CORRUPT never retried`,
    pass: maxAttempts <= ctx.cal.retry_count + 1 && reported.length > 0,
  });
  const writerCells = result.cells.filter((c) =>
    commands.find((x) => x.name === c.command)?.writes
  );
  const partial = writerCells.filter((c) => c.judgement.fileChanges.length > 0);
  criteria.push({
    criterion: "no partial write (writers under chaos)",
    measured: `${
      writerCells.length - partial.length
    }/${writerCells.length} cells left the old files or the right new ones`,
    required: `${writerCells.length}/${writerCells.length}`,
    pass: partial.length === 0 && writerCells.length > 0,
  });
  return {
    outcome: outcome("G3", criteria, 0),
    evidence: {
      gate: "G3",
      retry_count: ctx.cal.retry_count,
      io_timeout_ms: ctx.cal.io_timeout_ms,
      references: result.references,
      cells: result.cells.map((c) => ({ ...c, ms: round(c.ms) })),
    },
  };
}

/**
 * G4 stress: `STRESS_N` iterations of acceptance and selftest, each run paired with a floor
 * process, judged by {@linkcode runStress}: the runs' spread against the floors'. `extraArgs` is the
 * test seam of {@linkcode RunStressOptions} (a slowdown injected in some runs).
 */
export async function gateG4(
  ctx: Context,
  parallelism: number,
  extraArgs?: RunStressOptions["extraArgs"],
): Promise<GateRun & { stress: StressResult }> {
  const ws = await makeWorkspace(ctx.scratch, "g4", ctx.source);
  const total = ctx.cal.STRESS_N;
  const every = Math.max(1, Math.round(total / 10));
  const stress = await runStress(
    [
      { name: "acceptance", args: ["acceptance", ws.bootpack, "--map", ws.map, ...ctx.extra] },
      { name: "selftest", args: ["selftest", ws.bootpack, "--map", ws.map, ...ctx.extra] },
    ],
    {
      calibration: ctx.cal,
      parallelism,
      run: (args) => confined(args, [ctx.scratch], { signal: ctx.signal }),
      floor: () => runFloorProcess({ signal: ctx.signal }),
      ...(extraArgs === undefined ? {} : { extraArgs }),
      onProgress: ({ done }) => {
        if (done % every === 0 || done === total) ctx.progress(`G4 Stress: ${done}/${total}`);
      },
    },
  );
  const criteria: GateCriterion[] = stress.criteria.map((c) => ({
    criterion: c.name,
    measured: c.measured,
    required: c.required,
    pass: c.pass,
  }));
  for (const s of stress.steps) criteria.push(timingCriterion(s, ctx.cal));
  return {
    stress,
    outcome: outcome("G4", criteria, 0),
    evidence: {
      ...stressEvidence(stress, (t) => normalizeOutput(t, ws.dir)),
      parallelism,
      floor: "an empty deno run before each run; the runs' spread is judged over the floors' " +
        "(cv - floor cv, p95/p50 / floor p95/p50); normalized: each run over the median " +
        "floor of the iterations within 3 of its own, shown",
    },
  };
}

/** A step's timings, raw, over the floor and the floor's own, against the widened envelope. */
function timingCriterion(s: StressStepResult, cal: Calibration): GateCriterion {
  const raw = s.stats;
  const norm = s.normalizedStats;
  const floor = s.floorStats;
  return {
    criterion: `${s.name}: mean ± sd (p50, p95): raw, the floor's, each run over its floor`,
    measured: `raw ${raw.mean.toFixed(1)} ± ${raw.sd.toFixed(1)} ms (p50 ${
      raw.p50.toFixed(1)
    }, p95 ${raw.p95.toFixed(1)}); floor ${floor.mean.toFixed(1)} ± ${
      floor.sd.toFixed(1)
    } ms (p50 ${floor.p50.toFixed(1)}, p95 ${floor.p95.toFixed(1)}); normalised ${
      norm.mean.toFixed(2)
    } ± ${norm.sd.toFixed(2)} (p50 ${norm.p50.toFixed(2)}, p95 ${norm.p95.toFixed(2)})`,
    required: `raw inside mean ± (${cal.variance_envelope.max_cv} + floor cv)·mean = ${
      s.envelope.band.low.toFixed(1)
    }..${s.envelope.band.high.toFixed(1)} ms; p95 <= ${s.envelope.p95Limit.toFixed(1)} ms`,
    pass: s.envelope.pass,
  };
}

/** G5 proofpack: export, verify, and verify three tampered copies (modified, missing, extra file). */
export async function gateG5(ctx: Context): Promise<GateRun> {
  const ws = await makeWorkspace(ctx.scratch, "g5", ctx.source);
  const pack = `${ctx.scratch}/g5_pack`;
  const records: ProcessRecord[] = [];
  const criteria: GateCriterion[] = [];
  const exportArgs = proofpackExportArgs(ws, pack);
  const exported = await ctx.run(exportArgs);
  records.push(record(exportArgs, exported, ws));
  const digest = exported.stdout.match(/\b[0-9A-Fa-f]{64}\b/)?.[0] ?? null;
  criteria.push({
    criterion: "export",
    measured: `exit ${exported.code}${
      digest ? `, root digest ${digest.toUpperCase()}` : ", no root digest printed"
    }`,
    required: "exit 0 and a root digest",
    pass: exported.code === 0 && digest !== null,
  });
  const verify = async (dir: string): Promise<CliProcessResult> => {
    const args = ["proofpack", "verify", dir];
    const r = await ctx.run(args);
    records.push(record(args, r, ws));
    return r;
  };
  const clean = await verify(pack);
  criteria.push({
    criterion: "verify the exported pack",
    measured: `exit ${clean.code}: ${lastLine(clean.stdout || clean.stderr)}`,
    required: "exit 0",
    pass: clean.code === 0,
  });
  if (exported.code === 0) {
    const files = Object.keys(await treeDigest(pack, ctx.cal));
    const target = files.find((f) => f.startsWith("evidence/")) ??
      files.find((f) => f !== "MANIFEST.json");
    const tampers: [string, (dir: string) => Promise<string>][] = [
      ["a modified file", async (dir) => {
        const bytes = await readFileBytes(`${dir}/${target}`, { calibration: ctx.cal });
        const copy = bytes.slice();
        const i = Math.floor(copy.length / 2);
        copy[i] = copy[i] === 0x41 ? 0x42 : 0x41;
        await Deno.writeFile(`${dir}/${target}`, copy);
        return target!;
      }],
      ["a missing file", async (dir) => {
        await Deno.remove(`${dir}/${target}`);
        return target!;
      }],
      ["an extra file", async (dir) => {
        await Deno.writeTextFile(`${dir}/evidence/extra.txt`, "not in the manifest\n");
        return "evidence/extra.txt";
      }],
    ];
    for (const [i, [what, tamper]] of tampers.entries()) {
      const dir = `${ctx.scratch}/g5_tampered_${i}`;
      await copyTree(pack, dir, ctx.cal);
      const path = target === undefined ? "(nothing to tamper with)" : await tamper(dir);
      const r = await verify(dir);
      const named = (r.stdout + r.stderr).includes(path);
      criteria.push({
        criterion: `verify a copy with ${what} (${path})`,
        measured: `exit ${r.code}${named ? ", names the file" : ", does not name the file"}`,
        required: "exit 1, naming the file",
        pass: r.code === 1 && named,
      });
    }
  }
  return { outcome: outcome("G5", criteria, 0), evidence: { gate: "G5", runs: records } };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The calibration checked against its schema, as a criterion: a null value is `CALIBRATION_NULL`
 * naming the key, and fails.
 */
export function calibrationCriterion(
  ctx: Pick<Context, "cal" | "calibrationSource">,
): GateCriterion {
  let measured: string;
  let pass = false;
  try {
    validateCalibration(ctx.cal, ctx.calibrationSource);
    measured = `${Object.keys(flatten(ctx.cal)).length} keys, every one set`;
    pass = true;
  } catch (error) {
    if (!(error instanceof CalibrationError)) throw error;
    measured = `${codeOf(error, "CALIBRATION_INVALID")}: ${messageOf(error)}`;
  }
  return {
    criterion: `calibration (${ctx.calibrationSource})`,
    measured,
    required: "every key set: no null, missing, unknown or mistyped key (CALIBRATION_*)",
    pass,
  };
}

/** Flattens nested calibration keys to dotted keys. */
export function flatten(value: object, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "object" && v !== null) Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[prefix + k] = v as number;
  }
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
