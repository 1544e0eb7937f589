import assert from "node:assert/strict";
import { type Calibration, DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { confined, type Context, gateG0, gateG2 } from "../../lib/certify/_gates.ts";
import { ROOT, withTempDir } from "../_helpers.ts";

/** A gate context on a scratch folder holding copies of the bundled example. */
async function contextIn(scratch: string, cal: Calibration): Promise<Context> {
  return {
    cal,
    calibrationSource: "test calibration",
    scratch,
    source: {
      bootpackName: "bootpack.txt",
      bootpackBytes: await Deno.readFile(`${ROOT}/examples/bootpack.txt`),
      kbName: "BUG_KB.json.txt",
      kbBytes: await Deno.readFile(`${ROOT}/examples/BUG_KB.json.txt`),
      pointerPath: "\\\\DS-918\\kb\\BUG_KB.json.txt",
    },
    extra: [],
    progress: () => {},
    measurements: [],
    signal: undefined,
    run: (args, o) => confined(args, [scratch], o),
  };
}

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
