import assert from "node:assert/strict";
import { type Calibration, DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { gateG0 } from "../../lib/certify/gate_g0.ts";
import { withTempDir } from "../_helpers.ts";
import { contextIn } from "./_gate_context.ts";

Deno.test("gateG0() measures the runtime and the calibration instead of assuming them", async () => {
  await withTempDir(async (scratch) => {
    const good = await gateG0(await contextIn(scratch, DEFAULT_CALIBRATION));
    assert.equal(good.outcome.pass, true, JSON.stringify(good.outcome.criteria));
    const runtime = good.outcome.criteria.find((c) => c.criterion === "runtime")!;
    assert.match(runtime.measured, /an empty program exits 0 in \d+\.\d ms$/);
    const bad = { ...DEFAULT_CALIBRATION, retry_count: null } as unknown as Calibration;
    await Deno.mkdir(`${scratch}/again`);
    const r = await gateG0(await contextIn(`${scratch}/again`, bad));
    assert.equal(r.outcome.pass, false);
    const c = r.outcome.criteria.find((x) => x.criterion.startsWith("calibration"))!;
    assert.match(c.measured, /^CALIBRATION_NULL: .*key retry_count is null/);
  });
});
