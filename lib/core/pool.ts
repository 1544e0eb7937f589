/**
 * The one worker pool: runs asynchronous work over a list with a bounded number in flight,
 * keeping the results in input order. Used to hash and copy files (`io/hash_stream.ts`,
 * proofpack export) and to run processes (the certification's chaos matrix and stress gate).
 *
 * @module
 */

/** Options of {@linkcode mapPool}. */
export interface MapPoolOptions {
  /** Work in flight at once. Default: the number of CPUs + 1, at least 2. */
  readonly concurrency?: number;
  /** Called after each item is done, with the count done and the total. */
  readonly onDone?: (done: number, total: number) => void;
}

/**
 * Runs `work` over `items` with at most `concurrency` at a time; results keep the input order.
 * The first error stops new work and is thrown once the running work has settled.
 *
 * @param items The inputs.
 * @param options `concurrency` and `onDone` progress.
 * @param work What to do with one input.
 * @returns The outputs, input order.
 * @throws The first error `work` threw.
 * @example
 * ```ts
 * import { mapPool } from "./pool.ts";
 * const out = await mapPool([3, 1, 2], { concurrency: 2 }, (n) => Promise.resolve(n * 2));
 * if (out.join() !== "6,2,4") throw new Error();
 * ```
 */
export async function mapPool<I, O>(
  items: readonly I[],
  options: MapPoolOptions,
  work: (item: I, index: number) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  const width = Math.max(1, Math.min(items.length, options.concurrency ?? defaultConcurrency()));
  let next = 0;
  let done = 0;
  let failed: { error: unknown } | null = null;
  async function lane(): Promise<void> {
    while (failed === null && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failed ??= { error };
        return;
      }
      done++;
      options.onDone?.(done, items.length);
    }
  }
  await Promise.all(Array.from({ length: width }, lane));
  if (failed !== null) throw (failed as { error: unknown }).error;
  return results;
}

function defaultConcurrency(): number {
  return Math.max(2, (globalThis.navigator?.hardwareConcurrency ?? 1) + 1);
}
