/**
 * Gate G4, stress: N iterations of the read-only gates, each run as a separate process, with
 * bounded parallelism. The tool is deterministic, so every run must print exactly what the first
 * did (hard pass) and finish within its budget (soft pass). Every run is paired with a floor
 * process run just before it (an empty `deno run`: floor, run, floor, run…), and the runs'
 * spread is judged against the variance envelope relative to the floor's spread
 * ({@linkcode checkEnvelopeAgainstFloor}), so that a busy host, which spreads both, does not fail
 * the gate, and a real slowdown of some runs, which spreads only the runs, does. Each run over the
 * floor time around it ({@linkcode normalizeByFloor}) is reported and charted beside the raw
 * times. A failure of the envelope alone must reproduce: {@linkcode runStress} then runs a second
 * round of `STRESS_N` iterations and the gate fails only if that round fails too (a slowdown of the
 * tool shows in both rounds, a burst of host load in one); both rounds are in the result. Hard and
 * soft pass are never given a second round. {@linkcode runStress} runs the processes and reports
 * progress through a callback; {@linkcode evaluateStress} is the pure judgement.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { mapPool } from "../core/pool.ts";
import { type CliProcessResult, runCliProcess, runFloorProcess } from "./cli_process.ts";
import { normalizeByFloor } from "./load_normalize.ts";
import { type Stats, summarize } from "./stats.ts";
import {
  checkEnvelopeAgainstFloor,
  type EnvelopeCheck,
  type EnvelopeCriterion,
} from "./variance_envelope.ts";

/** One command that every stress iteration runs. */
export interface StressStep {
  /** The operation's name, a key of `budgets_ms` (e.g. `acceptance`). */
  readonly name: string;
  /** CLI arguments, the command first. */
  readonly args: readonly string[];
}

/** One process run and the floor process paired with it. */
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
  /** Wall-clock time in ms of the floor process run just before. */
  readonly floorMs: number;
  /** Exit code of that floor process. */
  readonly floorCode: number;
}

/** Progress of {@linkcode runStress}. */
export interface StressProgress {
  /** Iterations finished. */
  readonly done: number;
  /** Iterations in all (of this round). */
  readonly total: number;
  /** `1`, or `2` for the round that confirms an envelope failure. */
  readonly round: 1 | 2;
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
  /** Runs one floor process; default {@linkcode runFloorProcess}. */
  readonly floor?: () => Promise<CliProcessResult>;
  /**
   * Arguments added to one run (a test seam: e.g. `["--chaos", "LATENCY"]` on a share of the
   * iterations, a real slowdown the envelope must catch). Default: none.
   */
  readonly extraArgs?: (iteration: number, step: StressStep) => readonly string[];
}

/** One step's timings judged. */
export interface StressStepResult {
  /** The step's name. */
  readonly name: string;
  /** Its budget in ms. */
  readonly budgetMs: number | null;
  /** Raw wall-clock timings in ms, iteration order. */
  readonly values: readonly number[];
  /** Their statistics. */
  readonly stats: Stats;
  /** The paired floor timings in ms, iteration order. */
  readonly floorValues: readonly number[];
  /** Their statistics: the host's own spread. */
  readonly floorStats: Stats;
  /** Each run over the floor time around it ({@linkcode normalizeByFloor}), shown, not judged. */
  readonly normalized: readonly number[];
  /** Their statistics. */
  readonly normalizedStats: Stats;
  /** The envelope check: the runs' spread against the floor's. */
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
  /**
   * The first round, when its envelope alone failed and this result is the round that was run to
   * confirm it; `null` when one round decided.
   */
  readonly firstRound: StressResult | null;
}

/**
 * Runs `calibration.STRESS_N` iterations of `steps`; in each iteration the steps run one after the
 * other as separate processes, each right after a floor process (floor, run, floor, run…), and
 * `parallelism` iterations run at the same time. Then judges them with {@linkcode evaluateStress}.
 * When only the envelope failed, a second round of `STRESS_N` iterations decides: the result is
 * that round's judgement, with `firstRound` and two more criteria (round 2 passes; its reference
 * output equals round 1's).
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
  const names = steps.map((s) => s.name);
  const first = evaluateStress(
    names,
    await stressRound(steps, options, parallelism, 1),
    options.calibration,
  );
  if (first.pass || !envelopeAloneFailed(first)) return first;
  const second = evaluateStress(
    names,
    await stressRound(steps, options, parallelism, 2),
    options.calibration,
  );
  const same = steps.every((_, i) =>
    first.steps[i]?.reference.code === second.steps[i]?.reference.code &&
    first.steps[i]?.reference.stdout === second.steps[i]?.reference.stdout
  );
  const failedFirst = first.criteria.filter((c) => !c.pass).map((c) => `${c.name} ${c.measured}`);
  const criteria: StressCriterion[] = [
    {
      name: "round 1's envelope failure reproduced? (round 2 judged below)",
      measured: `round 1 failed ${failedFirst.join("; ")}`,
      required: "round 2 passes every criterion",
      pass: second.pass,
    },
    {
      name: "round 2's reference output equals round 1's",
      measured: same ? "equal" : "different",
      required: "equal",
      pass: same,
    },
    ...second.criteria,
  ];
  return { ...second, pass: second.pass && same, criteria, firstRound: first };
}

/** One round: `STRESS_N` iterations, each step after a floor process. */
async function stressRound(
  steps: readonly StressStep[],
  options: RunStressOptions,
  parallelism: number,
  round: 1 | 2,
): Promise<StressRun[]> {
  const total = options.calibration.STRESS_N;
  const run = options.run ??
    ((args: readonly string[]) =>
      runCliProcess(args, options.cwd === undefined ? {} : { cwd: options.cwd }));
  const floor = options.floor ?? (() => runFloorProcess());
  const iterations = Array.from({ length: total }, (_, i) => i);
  const runs = await mapPool(iterations, {
    concurrency: parallelism,
    onDone: (done) => options.onProgress?.({ done, total, round }),
  }, async (i) => {
    const iteration: StressRun[] = [];
    for (const step of steps) {
      const f = await floor();
      const extra = options.extraArgs?.((round - 1) * total + i, step) ?? [];
      const r = await run([...step.args, ...extra]);
      iteration.push({
        iteration: i,
        step: step.name,
        code: r.code,
        stdout: r.stdout,
        ms: r.ms,
        floorMs: f.ms,
        floorCode: f.code,
      });
    }
    return iteration;
  });
  return runs.flat();
}

/** Every criterion but the envelope's passed: the only failure a second round may confirm. */
function envelopeAloneFailed(result: StressResult): boolean {
  const envelope = new Set(
    result.steps.flatMap((s) => s.envelope.criteria.map((c) => envelopeCriterion(s, c).name)),
  );
  return result.steps.length > 0 &&
    result.criteria.every((c) => c.pass || envelope.has(c.name));
}

/**
 * Judges stress runs (pure): the hard pass rate (iterations whose every run has the exit code and
 * stdout of iteration 0, which must itself pass with exit 0), the soft pass rate (iterations whose
 * every run is within `budgets_ms`), both against `hard_pass_min` and `soft_pass_min`; every floor
 * process exited 0; and each step's spread against the floor's, inside the variance envelope
 * ({@linkcode checkEnvelopeAgainstFloor}). Missing runs fail.
 *
 * @param stepNames The steps of an iteration, in order.
 * @param runs Every run.
 * @param calibration Thresholds.
 * @returns The judgement.
 * @example
 * ```ts
 * import { evaluateStress } from "./stress.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const runs = [0, 1, 2].map((i) => ({
 *   iteration: i, step: "acceptance", code: 0, stdout: "ok\n", ms: 50 + i, floorMs: 20, floorCode: 0,
 * }));
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
  const byIteration: StressRun[][] = Array.from({ length: n }, () => []);
  for (const r of runs) byIteration[r.iteration]?.push(r);
  const ordered = byIteration.flatMap((it) =>
    stepNames.flatMap((name) => it.filter((r) => r.step === name))
  );
  const reference = new Map((byIteration[0] ?? []).map((r) => [r.step, r]));
  const rates = passRates(stepNames, byIteration, reference, calibration);
  const criteria = rateCriteria(stepNames, byIteration, reference, rates, calibration);
  const floors = ordered.filter((r) => r.floorCode === 0 && r.floorMs > 0).length;
  criteria.push({
    name: "floor processes (an empty deno run before each run) exit 0",
    measured: `${floors}/${ordered.length}`,
    required: `${ordered.length}/${ordered.length}`,
    pass: ordered.length > 0 && floors === ordered.length,
  });
  const steps: StressStepResult[] = [];
  for (const name of stepNames) {
    const step = judgeStep(name, ordered.filter((r) => r.step === name), reference, calibration);
    if (step === null) continue;
    steps.push(step);
    for (const c of step.envelope.criteria) criteria.push(envelopeCriterion(step, c));
  }
  return {
    pass: criteria.every((c) => c.pass) && steps.length === stepNames.length,
    n,
    hardPassRate: rates.hard,
    softPassRate: rates.soft,
    hardFailures: rates.hardFailures,
    steps,
    criteria,
    runs: ordered,
    firstRound: null,
  };
}

interface Rates {
  readonly hard: number;
  readonly soft: number;
  readonly hardFailures: number[];
  readonly referenceOk: boolean;
}

function budgetOf(calibration: Calibration, step: string): number | undefined {
  const budgets = calibration.budgets_ms as unknown as Readonly<Record<string, number>>;
  return Object.hasOwn(budgets, step) ? budgets[step] : undefined;
}

function passRates(
  stepNames: readonly string[],
  byIteration: readonly StressRun[][],
  reference: ReadonlyMap<string, StressRun>,
  calibration: Calibration,
): Rates {
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
      const budget = budgetOf(calibration, r.step);
      return budget !== undefined && r.ms <= budget;
    });
    if (same) hard++;
    else if (hardFailures.length < 20) hardFailures.push(i);
    if (within) soft++;
  });
  const n = byIteration.length;
  return {
    hard: n > 0 ? hard / n : 0,
    soft: n > 0 ? soft / n : 0,
    hardFailures,
    referenceOk,
  };
}

function rateCriteria(
  stepNames: readonly string[],
  byIteration: readonly StressRun[][],
  reference: ReadonlyMap<string, StressRun>,
  rates: Rates,
  calibration: Calibration,
): StressCriterion[] {
  const n = byIteration.length;
  const complete = byIteration.filter((it) => it.length === stepNames.length).length;
  return [
    {
      name: "runs completed",
      measured: `${complete}/${n}`,
      required: `${n}/${n} (STRESS_N)`,
      pass: n > 0 && complete === n,
    },
    {
      name: "reference run passes",
      measured: stepNames.map((s) => `${s} exit ${reference.get(s)?.code ?? "none"}`).join(", "),
      required: "exit 0 for every command",
      pass: rates.referenceOk,
    },
    {
      name: "hard pass rate (identical exit code and stdout)",
      measured: percent(rates.hard),
      required: `>= ${percent(calibration.hard_pass_min)} (hard_pass_min)`,
      pass: rates.hard >= calibration.hard_pass_min,
    },
    {
      name: "soft pass rate (within budgets_ms)",
      measured: percent(rates.soft),
      required: `>= ${percent(calibration.soft_pass_min)} (soft_pass_min)`,
      pass: rates.soft >= calibration.soft_pass_min,
    },
  ];
}

function judgeStep(
  name: string,
  mine: readonly StressRun[],
  reference: ReadonlyMap<string, StressRun>,
  calibration: Calibration,
): StressStepResult | null {
  if (mine.length === 0) return null;
  const floors = mine.map((r) => r.floorMs);
  // A floor that did not run leaves nothing to judge against: the envelope fails.
  const floorStats = floors.every((f) => Number.isFinite(f) && f > 0)
    ? summarize(floors)
    : NO_STATS;
  const normalized = normalizeByFloor(mine);
  const ref = reference.get(name);
  const stats = summarize(mine.map((r) => r.ms));
  return {
    name,
    budgetMs: budgetOf(calibration, name) ?? null,
    values: mine.map((r) => r.ms),
    stats,
    floorValues: floors,
    floorStats,
    normalized,
    normalizedStats: normalized.every(Number.isFinite) ? summarize(normalized) : NO_STATS,
    envelope: checkEnvelopeAgainstFloor(stats, floorStats, calibration.variance_envelope),
    reference: { code: ref?.code ?? -1, stdout: ref?.stdout ?? "" },
  };
}

const NO_STATS: Stats = { n: 0, mean: 0, sd: 0, min: 0, max: 0, p50: 0, p95: 0 };

/** An envelope criterion with the raw and the floor's figures it was computed from. */
function envelopeCriterion(step: StressStepResult, c: EnvelopeCriterion): StressCriterion {
  const cv = c.key.endsWith("max_cv");
  const raw = cv
    ? `cv ${(step.stats.sd / step.stats.mean).toFixed(3)} - floor cv ${
      step.envelope.host?.cv.toFixed(3)
    }, at least 0`
    : `p95/p50 ${(step.stats.p95 / step.stats.p50).toFixed(3)} / floor's ${
      step.envelope.host?.p95OverP50.toFixed(3)
    }`;
  return {
    name: `${step.name}: ${cv ? "cv" : "p95_over_p50"} against the floor's (load-normalised)`,
    measured: `${c.measured.toFixed(3)} = ${raw}`,
    required: `<= ${c.limit} (${c.key})`,
    pass: c.pass,
  };
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** G4's judgement as JSON evidence ({@linkcode stressEvidence}). */
export interface StressEvidence {
  /** The gate. */
  readonly gate: "G4";
  /** Every criterion met. */
  readonly pass: boolean;
  /** Iterations per round. */
  readonly n: number;
  /** Share of iterations with the reference's exit code and stdout. */
  readonly hard_pass_rate: number;
  /** Share of iterations within budget. */
  readonly soft_pass_rate: number;
  /** Iterations that differed from the reference, at most 20. */
  readonly hard_failures: readonly number[];
  /** The criteria. */
  readonly criteria: readonly StressCriterion[];
  /** Per step: raw, floor and normalised timings with their statistics, the envelope check. */
  readonly steps: readonly {
    readonly name: string;
    readonly budget_ms: number | null;
    readonly stats: Stats;
    readonly floor_stats: Stats;
    readonly normalized_stats: Stats;
    readonly envelope: EnvelopeCheck;
    readonly reference: { readonly code: number; readonly stdout: string };
    readonly ms: readonly number[];
    readonly floor_ms: readonly number[];
    readonly normalized: readonly number[];
  }[];
  /** The first round, when its envelope failure was put to a second round (this one). */
  readonly first_round: StressEvidence | null;
}

/**
 * The judgement as JSON evidence (pure): rates, criteria and, per step, the raw and the
 * load-normalised timings with their statistics; outputs only as each step's reference.
 *
 * @param result The judgement.
 * @param normalizeText Rewrites a reference output (e.g. a scratch folder to a placeholder).
 * @returns A JSON-ready object.
 * @example
 * ```ts
 * import { evaluateStress, stressEvidence } from "./stress.ts";
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * const runs = [0, 1].map((i) => ({
 *   iteration: i, step: "acceptance", code: 0, stdout: "ok\n", ms: 50, floorMs: 20, floorCode: 0,
 * }));
 * const e = stressEvidence(evaluateStress(["acceptance"], runs, { ...DEFAULT_CALIBRATION, STRESS_N: 2 }));
 * if (e.steps[0]?.normalized[0] !== 2.5) throw new Error();
 * ```
 */
export function stressEvidence(
  result: StressResult,
  normalizeText: (text: string) => string = (t) => t,
): StressEvidence {
  const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;
  return {
    gate: "G4",
    pass: result.pass,
    n: result.n,
    hard_pass_rate: result.hardPassRate,
    soft_pass_rate: result.softPassRate,
    hard_failures: result.hardFailures,
    criteria: result.criteria,
    steps: result.steps.map((s) => ({
      name: s.name,
      budget_ms: s.budgetMs,
      stats: s.stats,
      floor_stats: s.floorStats,
      normalized_stats: s.normalizedStats,
      envelope: s.envelope,
      reference: { code: s.reference.code, stdout: normalizeText(s.reference.stdout) },
      ms: s.values.map((v) => round(v, 1)),
      floor_ms: s.floorValues.map((v) => round(v, 1)),
      normalized: s.normalized.map((v) => round(v, 3)),
    })),
    first_round: result.firstRound === null
      ? null
      : stressEvidence(result.firstRound, normalizeText),
  };
}
