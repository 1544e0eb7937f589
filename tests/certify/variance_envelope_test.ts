import assert from "node:assert/strict";
import { summarize } from "../../lib/certify/stats.ts";
import { checkEnvelope } from "../../lib/certify/variance_envelope.ts";

const ENVELOPE = { max_cv: 0.5, max_p95_over_p50: 3 };

Deno.test("checkEnvelope() passes tight timings and reports cv, p95/p50 and the band", () => {
  const r = checkEnvelope(summarize([100, 100, 100, 100]), ENVELOPE);
  assert.equal(r.pass, true);
  assert.equal(r.cv, 0);
  assert.equal(r.p95OverP50, 1);
  assert.deepEqual(r.band, { low: 50, high: 150 });
  assert.equal(r.p95Limit, 300);
  assert.deepEqual(r.criteria.map((c) => [c.key, c.pass]), [
    ["variance_envelope.max_cv", true],
    ["variance_envelope.max_p95_over_p50", true],
  ]);
});

Deno.test("checkEnvelope() fails a coefficient of variation above max_cv", () => {
  const stats = { n: 3, mean: 100, sd: 60, min: 40, max: 160, p50: 100, p95: 150 };
  const r = checkEnvelope(stats, ENVELOPE);
  assert.equal(r.pass, false);
  assert.equal(r.criteria[0]!.pass, false);
  assert.equal(r.criteria[0]!.measured, 0.6);
  assert.equal(r.criteria[1]!.pass, true);
});

Deno.test("checkEnvelope() fails a tail heavier than max_p95_over_p50", () => {
  const stats = { n: 20, mean: 60, sd: 20, min: 40, max: 400, p50: 50, p95: 151 };
  const r = checkEnvelope(stats, ENVELOPE);
  assert.equal(r.pass, false);
  assert.equal(r.criteria[1]!.pass, false);
  assert.equal(r.criteria[1]!.measured, 3.02);
});

Deno.test("checkEnvelope() passes exactly at the limits and fails just above", () => {
  const at = { n: 2, mean: 100, sd: 50, min: 50, max: 150, p50: 50, p95: 150 };
  assert.equal(checkEnvelope(at, ENVELOPE).pass, true);
  assert.equal(checkEnvelope({ ...at, sd: 50.001 }, ENVELOPE).pass, false);
  assert.equal(checkEnvelope({ ...at, p95: 150.001 }, ENVELOPE).pass, false);
});

Deno.test("checkEnvelope() fails closed on a zero mean or median", () => {
  const zero = { n: 2, mean: 0, sd: 0, min: 0, max: 0, p50: 0, p95: 0 };
  const r = checkEnvelope(zero, ENVELOPE);
  assert.equal(r.pass, false);
  assert.equal(r.cv, Number.POSITIVE_INFINITY);
});
