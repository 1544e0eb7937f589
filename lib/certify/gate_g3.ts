/**
 * Gate G3, chaos: every command under every fault mode fails closed ({@linkcode runChaosMatrix}).
 *
 * @module
 */

import { chaosCommands, type ChaosMatrixResult, runChaosMatrix } from "./chaos_matrix.ts";
import type { GateCriterion } from "./report.ts";
import { lastLine } from "./_output_lines.ts";
import { confined, type Context, type GateRun, outcome, round } from "./_gates.ts";

/**
 * G3 chaos: the matrix of {@linkcode runChaosMatrix}, summarized per command.
 *
 * @param ctx Calibration, scratch root, the copies to work on, the confined runner.
 * @returns The gate's outcome (criteria, verdict) and its evidence.
 * @example
 * ```ts ignore
 * import { gateG3 } from "./gate_g3.ts";
 * const { outcome } = await gateG3(ctx); // ctx: see `Context` in `_gates.ts`
 * if (!outcome.pass) console.error(outcome.criteria.filter((c) => !c.pass));
 * ```
 */
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
