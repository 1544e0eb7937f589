/**
 * Gate G2, budget: the calibration first, then each operation once against its `budgets_ms`.
 *
 * @module
 */

import { evaluateBudgets, type Measurement } from "./budget.ts";
import type { GateCriterion } from "./report.ts";
import { lastLine } from "./_output_lines.ts";
import { makeWorkspace, proofpackExportArgs } from "./scratch_workspace.ts";
import {
  calibrationCriterion,
  type Context,
  type GateRun,
  outcome,
  type ProcessRecord,
  record,
} from "./_gates.ts";

/**
 * G2 budget: the calibration is checked first (a null, missing, unknown or mistyped key fails the
 * gate with its `CALIBRATION_*` code, and nothing runs); then each operation once, in sequence,
 * plus G0's runs, against `budgets_ms`.
 *
 * @param ctx Calibration, scratch root, the copies to work on, the confined runner.
 * @returns The gate's outcome (criteria, verdict) and its evidence.
 * @example
 * ```ts ignore
 * import { gateG2 } from "./gate_g2.ts";
 * const { outcome } = await gateG2(ctx); // ctx: see `Context` in `_gates.ts`
 * if (!outcome.pass) console.error(outcome.criteria.filter((c) => !c.pass));
 * ```
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
    ["rebuild", ["rebuild", ws.bootpack, "--kb", ws.kb, "--map", ws.map]],
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
