/**
 * Benchmarks of the hardening gates: what running the stress gate's processes two at a time buys
 * on this machine (the reason `certify` and `deno task stress` use a parallelism of 2).
 *
 * @module
 */

import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import type { BenchCommand, BenchResult, BenchSuite } from "./_harness.ts";

/** The hardening suite. */
export const suite: BenchSuite = {
  name: "hardening",
  async run(ctx): Promise<BenchResult[]> {
    const calibration = `${ctx.dir}/stress20.json`;
    // Timing only: a judgement that fails on a noisy machine must not abort the measurement.
    await Deno.writeTextFile(
      calibration,
      JSON.stringify({
        ...DEFAULT_CALIBRATION,
        STRESS_N: 20,
        hard_pass_min: 0,
        soft_pass_min: 0,
        variance_envelope: { max_cv: 1000, max_p95_over_p50: 1000 },
      }),
    );
    const stress = (parallel: number): BenchCommand => ({
      label: `stress, 20 iterations, --parallel ${parallel}`,
      argv: [
        ctx.deno,
        "run",
        "--no-prompt",
        "--allow-read",
        "--allow-run",
        `${ctx.root}/scripts/stress.ts`,
        "--calibration",
        calibration,
        "--parallel",
        String(parallel),
      ],
    });
    return [
      await ctx.compare({
        id: "stress20_parallel2_vs_parallel1",
        title: "G4 stress (20 x acceptance + selftest), 2 at a time / one at a time",
        ours: stress(2),
        baseline: stress(1),
        goal: { max: 1 },
        runs: Math.min(ctx.runs, 5),
      }),
    ];
  },
};
