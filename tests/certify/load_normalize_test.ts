import assert from "node:assert/strict";
import { normalizeByFloor } from "../../lib/certify/load_normalize.ts";

Deno.test("normalizeByFloor() divides by the median floor of the neighbouring iterations", () => {
  // Iteration 2's own floor stalled (90 ms): its neighbours' median (10 ms) is used instead.
  const floors = [10, 10, 90, 10, 10];
  const runs = floors.map((floorMs, iteration) => ({ iteration, ms: 30, floorMs }));
  assert.deepEqual(normalizeByFloor(runs), [3, 3, 3, 3, 3]);
  // With radius 0 each run is divided by its own floor: the stall makes the run look fast.
  assert.deepEqual(normalizeByFloor(runs, { radius: 0 }).map((v) => v.toFixed(2)), [
    "3.00",
    "3.00",
    "0.33",
    "3.00",
    "3.00",
  ]);
});

Deno.test("normalizeByFloor() follows a load that changes, and pools every step of an iteration", () => {
  const runs = [0, 1, 2, 3].flatMap((iteration) => {
    const load = iteration < 2 ? 1 : 4;
    return [
      { iteration, ms: 50 * load, floorMs: 20 * load },
      { iteration, ms: 60 * load, floorMs: 20 * load },
    ];
  });
  const r = normalizeByFloor(runs, { radius: 0 });
  assert.deepEqual(r, [2.5, 3, 2.5, 3, 2.5, 3, 2.5, 3]);
});

Deno.test("normalizeByFloor() gives NaN when a floor did not run, and rejects a bad radius", () => {
  const r = normalizeByFloor([
    { iteration: 0, ms: 30, floorMs: 10 },
    { iteration: 1, ms: 30, floorMs: 0 },
    { iteration: 5, ms: 30, floorMs: 10 },
  ], { radius: 1 });
  assert.ok(Number.isNaN(r[0]!) && Number.isNaN(r[1]!));
  assert.equal(r[2], 3);
  assert.throws(() => normalizeByFloor([], { radius: -1 }), RangeError);
  assert.throws(() => normalizeByFloor([], { radius: 0.5 }), RangeError);
});
