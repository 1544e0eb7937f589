import assert from "node:assert/strict";
import { summarize } from "../../lib/certify/stats.ts";
import { checkEnvelope, checkEnvelopeAgainstFloor } from "../../lib/certify/variance_envelope.ts";

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

Deno.test("checkEnvelopeAgainstFloor() is the raw envelope on a quiet host and discounts a busy one", () => {
  const limits = { max_cv: 0.5, max_p95_over_p50: 2 };
  const runs = summarize([100, 400, 110, 105, 420, 98, 102, 380]);
  // A floor that does not spread: the runs are judged as they are, and their tail fails.
  const quiet = checkEnvelopeAgainstFloor(runs, summarize([20, 20, 20, 20]), limits);
  assert.equal(quiet.p95OverP50, runs.p95 / runs.p50);
  assert.ok(Math.abs(quiet.cv - runs.sd / runs.mean) < 1e-12);
  assert.equal(quiet.pass, false);
  // A floor that spreads as much (the host was busy in the same moments): the excess is judged.
  const busy = checkEnvelopeAgainstFloor(
    runs,
    summarize([20, 80, 22, 21, 84, 19, 20, 76]),
    limits,
  );
  assert.equal(busy.pass, true, JSON.stringify(busy.criteria));
  assert.ok(busy.host !== null && busy.host.p95OverP50 > 3);
  assert.ok(busy.p95Limit > runs.p95, "the p95 limit is widened by the floor's tail");
  // Nothing to judge against fails closed.
  const none = checkEnvelopeAgainstFloor(runs, summarize([0, 0]), limits);
  assert.equal(none.pass, false);
  assert.equal(checkEnvelope(runs, limits).pass, false);
});
