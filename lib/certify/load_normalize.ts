/**
 * Load normalisation of gate G4's timings, pure: a run's wall-clock time divided by how long the
 * host took, at that moment, to start a program that does nothing (the floor process, an empty
 * `deno run`). The report and chart show it beside the raw times; the envelope itself judges the
 * runs' spread against the floors' (`variance_envelope.ts`), which measured steadier on a loaded
 * host than any per-run ratio.
 *
 * Each run is divided by the median of the floor times of the iterations around it (`radius`
 * iterations either side, every step's floor): one floor process is itself noisy on a loaded
 * host, and dividing by one noisy number adds its noise to the run's, while the median of its
 * neighbours follows the load as it changes and ignores a single stall. Measured on 2 shared
 * cores at load 13 plus two busy loops, 60 runs of `acceptance`, the worst p95/p50 over any 16
 * consecutive runs: raw 3.04, one paired floor 3.85, radius 1 2.40, radius 2 2.04, radius 3 1.77.
 *
 * @module
 */

/** One run and the floor process paired with it. */
export interface FloorPairedRun {
  /** Iteration, 0-based. */
  readonly iteration: number;
  /** Wall-clock time of the run in ms. */
  readonly ms: number;
  /** Wall-clock time of the floor process run just before it, in ms. */
  readonly floorMs: number;
}

/** Options of {@linkcode normalizeByFloor}. */
export interface NormalizeByFloorOptions {
  /** Iterations either side whose floors are pooled. Default `3`. */
  readonly radius?: number;
}

/**
 * Divides each run's time by the median floor time of the iterations within `radius` of its own.
 * A run whose pooled floors are not all positive and finite gives `NaN` (the envelope then fails:
 * a measure that cannot be taken does not pass).
 *
 * @param runs The runs, in any order.
 * @param options `radius`.
 * @returns One ratio per run, in the order of `runs`.
 * @throws {RangeError} When `radius` is not an integer >= 0.
 * @example
 * ```ts
 * import { normalizeByFloor } from "./load_normalize.ts";
 * const runs = [0, 1, 2].map((i) => ({ iteration: i, ms: 60 * (i + 1), floorMs: 20 * (i + 1) }));
 * const r = normalizeByFloor(runs, { radius: 0 });
 * if (r.join() !== "3,3,3") throw new Error(r.join());
 * ```
 */
export function normalizeByFloor(
  runs: readonly FloorPairedRun[],
  options: NormalizeByFloorOptions = {},
): number[] {
  const radius = options.radius ?? 3;
  if (!Number.isSafeInteger(radius) || radius < 0) {
    throw new RangeError(`Cannot normalise with radius "${radius}": expected an integer >= 0`);
  }
  const floors = new Map<number, number[]>();
  for (const r of runs) {
    const list = floors.get(r.iteration) ?? [];
    list.push(r.floorMs);
    floors.set(r.iteration, list);
  }
  return runs.map((r) => {
    const pooled: number[] = [];
    for (let i = r.iteration - radius; i <= r.iteration + radius; i++) {
      pooled.push(...(floors.get(i) ?? []));
    }
    if (!pooled.every((f) => Number.isFinite(f) && f > 0)) return Number.NaN;
    return r.ms / median(pooled);
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
