/**
 * Gate G4, stress: `STRESS_N` iterations, each run paired with a floor process, judged against the
 * host ({@linkcode runStress}).
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { runFloorProcess } from "./cli_process.ts";
import type { GateCriterion } from "./report.ts";
import {
  runStress,
  type RunStressOptions,
  stressEvidence,
  type StressResult,
  type StressStepResult,
} from "./stress.ts";
import { makeWorkspace, normalizeOutput } from "./scratch_workspace.ts";
import { confined, type Context, type GateRun, outcome } from "./_gates.ts";

/**
 * G4 stress: `STRESS_N` iterations of acceptance and selftest, each run paired with a floor
 * process, judged by {@linkcode runStress}: the runs' spread against the floors'. `extraArgs` is the
 * test seam of {@linkcode RunStressOptions} (a slowdown injected in some runs).
 *
 * @param ctx Calibration, scratch root, the copies to work on, the confined runner.
 * @param parallelism Iterations run at the same time.
 * @param extraArgs Test seam: arguments added to some runs.
 * @returns The gate's outcome (criteria, verdict) and its evidence.
 * @example
 * ```ts ignore
 * import { gateG4 } from "./gate_g4.ts";
 * const { outcome } = await gateG4(ctx, 2); // ctx: see `Context` in `_gates.ts`
 * if (!outcome.pass) console.error(outcome.criteria.filter((c) => !c.pass));
 * ```
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
      onProgress: ({ done, round }) => {
        const label = round === 1 ? "G4 Stress" : "G4 Stress, round 2 (the envelope failed)";
        if (done % every === 0 || done === total) ctx.progress(`${label}: ${done}/${total}`);
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
        "floor of the iterations within 3 of its own, shown; when the envelope alone failed, " +
        "a second round decided (first_round is the first)",
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
