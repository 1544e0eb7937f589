import assert from "node:assert/strict";
import fc from "fast-check";
import { percentile, summarize } from "../../lib/certify/stats.ts";

Deno.test("summarize() gives mean, sample sd, min, max, p50 and p95", () => {
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  assert.equal(s.mean, 5);
  assert.equal(s.sd, Math.sqrt(32 / 7));
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  assert.equal(s.p50, 4.5);
  assert.equal(s.p95, 8.3);
});

Deno.test("summarize() of one value has sd 0 and every percentile equal to it", () => {
  assert.deepEqual(summarize([42]), { n: 1, mean: 42, sd: 0, min: 42, max: 42, p50: 42, p95: 42 });
});

Deno.test("summarize() and percentile() reject empty and non-finite input", () => {
  assert.throws(() => summarize([]), RangeError);
  assert.throws(() => summarize([1, Number.NaN]), RangeError);
  assert.throws(() => summarize([Number.POSITIVE_INFINITY]), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], Number.NaN), RangeError);
});

Deno.test("percentile() interpolates between closest ranks and does not reorder its input", () => {
  const values = [40, 10, 30, 20];
  assert.equal(percentile(values, 0), 10);
  assert.equal(percentile(values, 100), 40);
  assert.equal(percentile(values, 50), 25);
  assert.equal(percentile(values, 95), 38.5);
  assert.deepEqual(values, [40, 10, 30, 20]);
});

Deno.test("summarize() keeps min <= p50 <= p95 <= max and min <= mean <= max (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
      (values) => {
        const s = summarize(values);
        const eps = 1e-9 * Math.max(1, s.max);
        return s.min <= s.p50 && s.p50 <= s.p95 + eps && s.p95 <= s.max + eps &&
          s.min - eps <= s.mean && s.mean <= s.max + eps && s.sd >= 0;
      },
    ),
  );
});

Deno.test("summarize() does not depend on the order of the values (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 100 }),
      (values) => {
        const a = summarize(values);
        const b = summarize([...values].reverse());
        return a.p50 === b.p50 && a.p95 === b.p95 && Math.abs(a.mean - b.mean) < 1e-9;
      },
    ),
  );
});
