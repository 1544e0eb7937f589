/**
 * Gate G0, preflight: the runtime starts a program, the calibration is complete, and acceptance
 * and selftest pass on a copy of the BootPack.
 *
 * @module
 */

import { cliInvocation, runFloorProcess } from "./cli_process.ts";
import type { GateCriterion } from "./report.ts";
import { verdictLine } from "./_output_lines.ts";
import { makeWorkspace, normalizeOutput } from "./scratch_workspace.ts";
import {
  calibrationCriterion,
  type Context,
  type GateRun,
  outcome,
  type ProcessRecord,
  record,
} from "./_gates.ts";

/**
 * G0 preflight: the runtime starts the CLI; acceptance and selftest pass on a copy.
 *
 * @param ctx Calibration, scratch root, the copies to work on, the confined runner.
 * @returns The gate's outcome (criteria, verdict) and its evidence.
 * @example
 * ```ts ignore
 * import { gateG0 } from "./gate_g0.ts";
 * const { outcome } = await gateG0(ctx); // ctx: see `Context` in `_gates.ts`
 * if (!outcome.pass) console.error(outcome.criteria.filter((c) => !c.pass));
 * ```
 */
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
