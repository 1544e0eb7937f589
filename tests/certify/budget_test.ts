import assert from "node:assert/strict";
import { evaluateBudgets, type Measurement } from "../../lib/certify/budget.ts";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";

const ALL: Measurement[] = Object.keys(DEFAULT_CALIBRATION.budgets_ms).map((operation) => ({
  operation,
  ms: 10,
}));

Deno.test("evaluateBudgets() passes when every operation's slowest run is within budget", () => {
  const r = evaluateBudgets(
    [...ALL, { operation: "acceptance", ms: DEFAULT_CALIBRATION.budgets_ms.acceptance }],
    DEFAULT_CALIBRATION.budgets_ms,
  );
  assert.equal(r.pass, true);
  assert.deepEqual(r.results.map((x) => x.operation), Object.keys(DEFAULT_CALIBRATION.budgets_ms));
  const acceptance = r.results[0]!;
  assert.equal(acceptance.samples, 2);
  assert.equal(acceptance.maxMs, DEFAULT_CALIBRATION.budgets_ms.acceptance);
  assert.equal(acceptance.key, "budgets_ms.acceptance");
});

Deno.test("evaluateBudgets() fails G2 when one run exceeds its budget", () => {
  const r = evaluateBudgets(
    [...ALL, { operation: "rebuild", ms: DEFAULT_CALIBRATION.budgets_ms.rebuild + 1 }],
    DEFAULT_CALIBRATION.budgets_ms,
  );
  assert.equal(r.pass, false);
  const failed = r.results.filter((x) => !x.pass);
  assert.deepEqual(failed.map((x) => [x.operation, x.status]), [["rebuild", "OVER_BUDGET"]]);
});

Deno.test("evaluateBudgets() fails a null budget with CALIBRATION_NULL", () => {
  const r = evaluateBudgets(ALL, { ...DEFAULT_CALIBRATION.budgets_ms, selftest: null });
  assert.equal(r.pass, false);
  assert.deepEqual(r.results.filter((x) => !x.pass).map((x) => [x.key, x.status]), [
    ["budgets_ms.selftest", "CALIBRATION_NULL"],
  ]);
  assert.equal(evaluateBudgets(ALL, null).results[0]!.status, "CALIBRATION_NULL");
});

Deno.test("evaluateBudgets() fails a mistyped budget with CALIBRATION_TYPE", () => {
  for (const bad of ["2000", 0, -5, 1.5, true]) {
    const r = evaluateBudgets(ALL, { ...DEFAULT_CALIBRATION.budgets_ms, ingest: bad });
    assert.equal(r.pass, false);
    assert.equal(r.results.find((x) => x.operation === "ingest")!.status, "CALIBRATION_TYPE");
  }
  assert.equal(evaluateBudgets(ALL, [1, 2]).pass, false);
});

Deno.test("evaluateBudgets() fails an operation with no budget key (CALIBRATION_MISSING_KEY)", () => {
  const r = evaluateBudgets(
    [...ALL, { operation: "certify", ms: 1 }],
    DEFAULT_CALIBRATION.budgets_ms,
  );
  assert.equal(r.pass, false);
  assert.deepEqual(r.results.at(-1), {
    operation: "certify",
    key: "budgets_ms.certify",
    budgetMs: null,
    maxMs: 1,
    samples: 1,
    status: "CALIBRATION_MISSING_KEY",
    pass: false,
  });
});

Deno.test("evaluateBudgets() fails a budget that was never measured (NOT_MEASURED)", () => {
  const r = evaluateBudgets(ALL.slice(1), DEFAULT_CALIBRATION.budgets_ms);
  assert.equal(r.pass, false);
  assert.deepEqual([r.results[0]!.status, r.results[0]!.maxMs], ["NOT_MEASURED", null]);
});

Deno.test("evaluateBudgets() fails closed on nothing to evaluate and on a non-finite time", () => {
  assert.equal(evaluateBudgets([], {}).pass, false);
  const r = evaluateBudgets([{ operation: "acceptance", ms: Number.NaN }], { acceptance: 10 });
  assert.equal(r.results[0]!.status, "OVER_BUDGET");
});
