import assert from "node:assert/strict";
import { mapPool } from "../../lib/core/pool.ts";

Deno.test("mapPool() keeps the input order and bounds the work in flight", async () => {
  let inFlight = 0;
  let most = 0;
  const done: number[] = [];
  const out = await mapPool(
    [5, 1, 4, 2, 3],
    { concurrency: 2, onDone: (n) => done.push(n) },
    async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    },
  );
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
  assert.deepEqual(done, [1, 2, 3, 4, 5]);
});

Deno.test("mapPool() stops at the first error and throws it", async () => {
  let started = 0;
  try {
    await mapPool([1, 2, 3, 4, 5, 6], { concurrency: 2 }, async (n) => {
      started++;
      await new Promise((r) => setTimeout(r, 1));
      if (n === 2) throw new RangeError("two");
      return n;
    });
    throw new Error("no throw");
  } catch (error) {
    assert.ok(error instanceof RangeError && error.message === "two");
  }
  assert.ok(started < 6, `started ${started}`);
});
