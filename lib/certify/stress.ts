/**
 * Gate G4, stress: N iterations of the read-only gates, each run as a separate process, with
 * bounded parallelism. The tool is deterministic, so every run must print exactly what the first
 * did (hard pass) and finish within its budget (soft pass); the timings' spread must stay inside
 * the variance envelope. {@linkcode runStress} runs the processes and reports progress through a
 * callback; {@linkcode evaluateStress} is the pure judgement.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { type CliProcessResult, runCliProcess } from "./cli_process.ts";
import { type Stats, summarize } from "./stats.ts";
import { checkEnvelope, type EnvelopeCheck } from "./variance_envelope.ts";

/** One command that every stress iteration runs. */
export interface StressStep {
  /** The operation's name, a key of `budgets_ms` (e.g. `acceptance`). */
  readonly name: string;
  /** CLI arguments, the command first. */
  readonly args: readonly string[];
}

/** One process run. */
export interface StressRun {
  /** Iteration, 0-based. */
  readonly iteration: number;
  /** The step's name. */
  readonly step: string;
  /** Exit code (`-1` when killed at the time limit). */
  readonly code: number;
  /** stdout. */
  readonly stdout: string;
  /** Wall-clock time in ms. */
  readonly ms: number;
}

/** Progress of {@linkcode runStress}. */
export interface StressProgress {
  /** Iterations finished. */
  readonly done: number;
  /** Iterations in all. */
  readonly total: number;
}

/** Options of {@linkcode runStress}. */
export interface RunStressOptions {
  /** Thresholds: `STRESS_N`, `budgets_ms`, pass minimums, variance envelope. */
  readonly calibration: Calibration;
  /** Iterations run at the same time. Default `2`. */
  readonly parallelism?: number;
  /** Working directory of the processes. Default: the current one. */
  readonly cwd?: string;
  /** Called after each iteration. */
  readonly onProgress?: (progress: StressProgress) => void;
  /** Runs one process; default {@linkcode runCliProcess} (replace it in tests of the judgement). */
  readonly run?: (args: readonly string[]) => Promise<CliProcessResult>;
}

/** One step's timings judged. */
export interface StressStepResult {
  /** The step's name. */
  readonly name: string;
  /** Its budget in ms. */
  readonly budgetMs: number | null;
  /** Timings in iteration order. */
  readonly values: readonly number[];
  /** Their statistics. */
  readonly stats: Stats;
  /** The envelope check. */
  readonly envelope: EnvelopeCheck;
  /** The first run's exit code and output, the reference of the hard pass. */
  readonly reference: { readonly code: number; readonly stdout: string };
}

/** One criterion of G4. */
export interface StressCriterion {
  /** What is measured, e.g. `hard_pass_rate >= hard_pass_min`. */
  readonly name: string;
  /** The measured value, as text. */
  readonly measured: string;
  /** The requirement, as text. */
  readonly required: string;
  /** Met. */
  readonly pass: boolean;
}

/** The judgement of G4. */
export interface StressResult {
  /** Every criterion met. */
  readonly pass: boolean;
  /** Iterations. */
  readonly n: number;
  /** Share of iterations whose every run printed exactly the reference (0..1). */
  readonly hardPassRate: number;
  /** Share of iterations whose every run finished within its budget (0..1). */
  readonly softPassRate: number;
  /** Iterations (0-based) that differed from the reference, at most 20 listed. */
  readonly hardFailures: readonly number[];
  /** Per step. */
  readonly steps: readonly StressStepResult[];
  /** The criteria. */
  readonly criteria: readonly StressCriterion[];
  /** Every run, by iteration then step. */
  readonly runs: readonly StressRun[];
}

/**
 * Runs `calibration.STRESS_N` iterations of `steps`; in each iteration the steps run one after the
 * other as separate processes, and `parallelism` iterations run at the same time. Then judges
 * them with {@linkcode evaluateStress}.
 *
 * @param steps The commands of one iteration.
 * @param options Calibration, parallelism, progress.
 * @returns The judgement, with every run.
 * @throws {RangeError} When there is no step or `parallelism` is not an integer >= 1.
 * @example
 * ```ts ignore
 * import { runStress } from "./stress.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const r = await runStress(
 *   [{ name: "acceptance", args: ["acceptance", "examples/bootpack.txt"] }],
 *   { calibration: { ...DEFAULT_CALIBRATION, STRESS_N: 5 } },
 * );
 * if (!r.pass) throw new Error();
 * ```
 */
export async function runStress(
  steps: readonly StressStep[],
  options: RunStressOptions,
): Promise<StressResult> {
  if (steps.length === 0) throw new RangeError('Cannot stress "[]": no step');
  const parallelism = options.parallelism ?? 2;
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) {
    throw new RangeError(
      `Cannot stress with parallelism "${parallelism}": expected an integer >= 1`,
    );
  }
  const total = options.calibration.STRESS_N;
  const run = options.run ??
    ((args: readonly string[]) =>
      runCliProcess(args, options.cwd === undefined ? {} : { cwd: options.cwd }));
  const runs: StressRun[][] = new Array(total);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const iteration: StressRun[] = [];
      for (const step of steps) {
        const r = await run(step.args);
        iteration.push({ iteration: i, step: step.name, code: r.code, stdout: r.stdout, ms: r.ms });
      }
      runs[i] = iteration;
      done++;
      options.onProgress?.({ done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, total) }, worker));
  return evaluateStress(steps.map((s) => s.name), runs.flat(), options.calibration);
}

/**
 * Judges stress runs (pure): the hard pass rate (iterations whose every run has the exit code and
 * stdout of iteration 0, which must itself pass with exit 0), the soft pass rate (iterations whose
 * every run is within `budgets_ms`), both against `hard_pass_min` and `soft_pass_min`, and each
 * step's timings against the variance envelope. Missing runs fail.
 *
 * @param stepNames The steps of an iteration, in order.
 * @param runs Every run.
 * @param calibration Thresholds.
 * @returns The judgement.
 * @example
 * ```ts
 * import { evaluateStress } from "./stress.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const runs = [0, 1, 2].map((i) => ({ iteration: i, step: "acceptance", code: 0, stdout: "ok\n", ms: 50 + i }));
 * const r = evaluateStress(["acceptance"], runs, { ...DEFAULT_CALIBRATION, STRESS_N: 3 });
 * if (!r.pass || r.hardPassRate !== 1) throw new Error();
 * ```
 */
export function evaluateStress(
  stepNames: readonly string[],
  runs: readonly StressRun[],
  calibration: Calibration,
): StressResult {
  const n = calibration.STRESS_N;
  const budgets = calibration.budgets_ms as unknown as Readonly<Record<string, number>>;
  const byIteration: StressRun[][] = Array.from({ length: n }, () => []);
  for (const r of runs) byIteration[r.iteration]?.push(r);
  const ordered = byIteration.flatMap((it) =>
    stepNames.flatMap((name) => it.filter((r) => r.step === name))
  );
  const first = byIteration[0] ?? [];
  const reference = new Map(first.map((r) => [r.step, r]));
  const referenceOk = stepNames.every((s) => reference.get(s)?.code === 0);

  let hard = 0;
  let soft = 0;
  const hardFailures: number[] = [];
  byIteration.forEach((iteration, i) => {
    const complete = stepNames.every((s) => iteration.filter((r) => r.step === s).length === 1);
    const same = complete && referenceOk && iteration.every((r) => {
      const ref = reference.get(r.step);
      return ref !== undefined && r.code === ref.code && r.stdout === ref.stdout;
    });
    const within = complete && iteration.every((r) => {
      const budget = Object.hasOwn(budgets, r.step) ? budgets[r.step] : undefined;
      return budget !== undefined && r.ms <= budget;
    });
    if (same) hard++;
    else if (hardFailures.length < 20) hardFailures.push(i);
    if (within) soft++;
  });
  const hardPassRate = n > 0 ? hard / n : 0;
  const softPassRate = n > 0 ? soft / n : 0;

  const steps: StressStepResult[] = [];
  const criteria: StressCriterion[] = [
    {
      name: "runs completed",
      measured: `${byIteration.filter((it) => it.length === stepNames.length).length}/${n}`,
      required: `${n}/${n} (STRESS_N)`,
      pass: n > 0 && byIteration.every((it) => it.length === stepNames.length),
    },
    {
      name: "reference run passes",
      measured: stepNames.map((s) => `${s} exit ${reference.get(s)?.code ?? "none"}`).join(", "),
      required: "exit 0 for every command",
      pass: referenceOk,
    },
    {
      name: "hard pass rate (identical exit code and stdout)",
      measured: percent(hardPassRate),
      required: `>= ${percent(calibration.hard_pass_min)} (hard_pass_min)`,
      pass: hardPassRate >= calibration.hard_pass_min,
    },
    {
      name: "soft pass rate (within budgets_ms)",
      measured: percent(softPassRate),
      required: `>= ${percent(calibration.soft_pass_min)} (soft_pass_min)`,
      pass: softPassRate >= calibration.soft_pass_min,
    },
  ];
  for (const name of stepNames) {
    const mine = ordered.filter((r) => r.step === name);
    if (mine.length === 0) continue;
    const values = mine.map((r) => r.ms);
    const stats = summarize(values);
    const envelope = checkEnvelope(stats, calibration.variance_envelope);
    const ref = reference.get(name);
    steps.push({
      name,
      budgetMs: Object.hasOwn(budgets, name) ? budgets[name] ?? null : null,
      values,
      stats,
      envelope,
      reference: { code: ref?.code ?? -1, stdout: ref?.stdout ?? "" },
    });
    for (const c of envelope.criteria) {
      criteria.push({
        name: `${name}: ${c.key.replace("variance_envelope.max_", "")}`,
        measured: c.measured.toFixed(3),
        required: `<= ${c.limit} (${c.key})`,
        pass: c.pass,
      });
    }
  }
  return {
    pass: criteria.every((c) => c.pass) && steps.length === stepNames.length,
    n,
    hardPassRate,
    softPassRate,
    hardFailures,
    steps,
    criteria,
    runs: ordered,
  };
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
