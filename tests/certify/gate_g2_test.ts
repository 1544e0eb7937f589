import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { gateG2 } from "../../lib/certify/gate_g2.ts";
import { withTempDir } from "../_helpers.ts";
import { contextIn } from "./_gate_context.ts";

Deno.test("gateG2() fails with CALIBRATION_NULL naming the key, and runs nothing", async () => {
  await withTempDir(async (scratch) => {
    const cal = { ...DEFAULT_CALIBRATION, budgets_ms: { ...DEFAULT_CALIBRATION.budgets_ms } };
    (cal.budgets_ms as Record<string, unknown>)["rebuild"] = null;
    const ctx = await contextIn(scratch, cal);
    const r = await gateG2(ctx);
    assert.equal(r.outcome.pass, false);
    assert.equal(r.outcome.criteria.length, 1);
    const [c] = r.outcome.criteria;
    assert.equal(c!.pass, false);
    assert.match(c!.measured, /^CALIBRATION_NULL: .*key budgets_ms\.rebuild is null/);
    assert.deepEqual(r.evidence, { gate: "G2", calibration: c!.measured, runs: [] });
    const left: string[] = [];
    for await (const e of Deno.readDir(scratch)) left.push(e.name);
    assert.deepEqual(left, [], "no workspace was made, no process ran");
  });
});

Deno.test("gateG2() fails the operation that exceeds its budget and passes the others", async () => {
  await withTempDir(async (scratch) => {
    const cal = {
      ...DEFAULT_CALIBRATION,
      budgets_ms: { ...DEFAULT_CALIBRATION.budgets_ms, acceptance: 1 },
    };
    const r = await gateG2(await contextIn(scratch, cal));
    assert.equal(r.outcome.pass, false);
    const by = new Map(r.outcome.criteria.map((c) => [c.criterion, c]));
    assert.equal(by.get("calibration (test calibration)")?.pass, true);
    const acceptance = by.get("acceptance: slowest run")!;
    assert.equal(acceptance.pass, false);
    assert.equal(acceptance.required, "<= 1 ms (budgets_ms.acceptance)");
    assert.match(acceptance.measured, /^\d+\.\d ms over 1 run$/);
    for (const op of ["selftest", "ingest", "rebuild", "proofpack_export", "proofpack_verify"]) {
      assert.equal(by.get(`${op}: slowest run`)?.pass, true, op);
    }
  });
});
