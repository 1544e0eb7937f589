import { equal, rejects } from "node:assert/strict";
import { retry, RetryExhaustedError } from "../../lib/core/retry.ts";

Deno.test("retry() makes at most 1 + retries attempts on transient errors", async () => {
  for (const retries of [0, 1, 3]) {
    let attempts = 0;
    await rejects(
      retry(() => {
        attempts++;
        return Promise.reject(new Error("flaky"));
      }, { retries, isTransient: () => true }),
      (e: unknown) => e instanceof RetryExhaustedError && e.attempts === retries + 1,
    );
    equal(attempts, retries + 1);
  }
});

Deno.test("retry() never retries an error that is not transient", async () => {
  let attempts = 0;
  await rejects(
    retry(() => {
      attempts++;
      return Promise.reject(new SyntaxError("corrupt"));
    }, { retries: 3, isTransient: (e) => !(e instanceof SyntaxError) }),
    SyntaxError,
  );
  equal(attempts, 1);
});

Deno.test("retry() returns the first success and reports each retry", async () => {
  const seen: number[] = [];
  let attempts = 0;
  const value = await retry((n) => {
    attempts++;
    return n < 3 ? Promise.reject(new Error("again")) : Promise.resolve(n * 10);
  }, { retries: 3, backoffMs: 1, isTransient: () => true, onRetry: (n) => seen.push(n) });
  equal(value, 30);
  equal(attempts, 3);
  equal(seen.join(","), "1,2");
});

Deno.test("retry() refuses a negative or fractional retry count", async () => {
  await rejects(retry(() => Promise.resolve(1), { retries: -1 }), RangeError);
  await rejects(retry(() => Promise.resolve(1), { retries: 1.5 }), RangeError);
});
