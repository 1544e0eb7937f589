/**
 * Gate G5, proofpack: export, verify, and three tampered copies that must fail.
 *
 * @module
 */

import type { CliProcessResult } from "./cli_process.ts";
import type { GateCriterion } from "./report.ts";
import { readFileBytes } from "../io/file_read.ts";
import { lastLine } from "./_output_lines.ts";
import { copyTree, makeWorkspace, proofpackExportArgs, treeDigest } from "./scratch_workspace.ts";
import { type Context, type GateRun, outcome, type ProcessRecord, record } from "./_gates.ts";

/**
 * G5 proofpack: export, verify, and verify three tampered copies (modified, missing, extra file).
 *
 * @param ctx Calibration, scratch root, the copies to work on, the confined runner.
 * @returns The gate's outcome (criteria, verdict) and its evidence.
 * @example
 * ```ts ignore
 * import { gateG5 } from "./gate_g5.ts";
 * const { outcome } = await gateG5(ctx); // ctx: see `Context` in `_gates.ts`
 * if (!outcome.pass) console.error(outcome.criteria.filter((c) => !c.pass));
 * ```
 */
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
