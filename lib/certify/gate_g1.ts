/**
 * Gate G1, concurrency, as `certify` runs it: {@linkcode runConcurrencyGate} on a workspace, with
 * the BootPack.
 *
 * @module
 */

import { runConcurrencyGate } from "./concurrency.ts";
import { makeWorkspace } from "./scratch_workspace.ts";
import { confined, type Context, type GateRun, outcome, record } from "./_gates.ts";

/**
 * G1 concurrency: {@linkcode runConcurrencyGate} on a workspace, with the BootPack: writers, then
 * rebuilds, a clean rebuild and acceptance; every entry once, KB valid, no file left behind.
 *
 * @param ctx Calibration, scratch root, the copies to work on, the confined runner.
 * @returns The gate's outcome (criteria, verdict) and its evidence.
 * @example
 * ```ts ignore
 * import { gateG1 } from "./gate_g1.ts";
 * const { outcome } = await gateG1(ctx); // ctx: see `Context` in `_gates.ts`
 * if (!outcome.pass) console.error(outcome.criteria.filter((c) => !c.pass));
 * ```
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
