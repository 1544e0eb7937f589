/**
 * Descriptive statistics of timings, pure: mean, sample standard deviation, percentiles. Used by
 * gate G4 (stress) and its chart. No I/O.
 *
 * @module
 */

/** Summary statistics of a series of numbers (timings in ms). */
export interface Stats {
  /** Number of values. */
  readonly n: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Sample standard deviation (divisor `n - 1`); `0` for a single value. */
  readonly sd: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Median (50th percentile). */
  readonly p50: number;
  /** 95th percentile. */
  readonly p95: number;
}

/**
 * Gives the `p`-th percentile with linear interpolation between closest ranks (the definition
 * spreadsheets and NumPy use by default: rank `(n - 1) * p / 100`).
 *
 * @param values The values, in any order (not modified).
 * @param p The percentile, from 0 to 100.
 * @returns The percentile.
 * @throws {RangeError} When `values` is empty, contains a non-finite number, or `p` is outside 0..100.
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * if (percentile([1, 2, 3, 4], 50) !== 2.5) throw new Error();
 * if (percentile([10, 20], 95) !== 19.5) throw new Error();
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  checkValues(values);
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Cannot take percentile "${p}": expected 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  const rank = (sorted.length - 1) * p / 100;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

/**
 * Summarizes a series: count, mean, sample standard deviation, min, max, p50, p95.
 *
 * @param values The values (at least one, all finite).
 * @returns The statistics.
 * @throws {RangeError} When `values` is empty or contains a non-finite number.
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
 * if (s.mean !== 5 || s.p50 !== 4.5 || s.max !== 9) throw new Error();
 * ```
 */
export function summarize(values: readonly number[]): Stats {
  checkValues(values);
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  return {
    n,
    mean,
    sd,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
  };
}

function checkValues(values: readonly number[]): void {
  if (values.length === 0) throw new RangeError('Cannot summarize "[]": no values');
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`Cannot summarize "${v}": not a finite number`);
  }
}
