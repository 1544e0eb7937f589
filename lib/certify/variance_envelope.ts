/**
 * The variance envelope of gate G4, pure: timings whose spread stays inside the calibrated limits
 * (`variance_envelope.max_cv`, `variance_envelope.max_p95_over_p50`). No I/O.
 *
 * @module
 */

import type { VarianceEnvelope } from "../core/calibration.ts";
import type { Stats } from "./stats.ts";

/** One limit of the envelope, measured. */
export interface EnvelopeCriterion {
  /** The calibration key, e.g. `variance_envelope.max_cv`. */
  readonly key: string;
  /** The measured value. */
  readonly measured: number;
  /** The calibrated limit (measured must be <= limit). */
  readonly limit: number;
  /** `measured <= limit`. */
  readonly pass: boolean;
}

/** Result of {@linkcode checkEnvelope}. */
export interface EnvelopeCheck {
  /** Every criterion passes. */
  readonly pass: boolean;
  /** Coefficient of variation `sd / mean`. */
  readonly cv: number;
  /** Ratio `p95 / p50`. */
  readonly p95OverP50: number;
  /** Allowed band `mean ± max_cv · mean`, for charts. */
  readonly band: { readonly low: number; readonly high: number };
  /** Largest p95 allowed, `max_p95_over_p50 · p50`, for charts. */
  readonly p95Limit: number;
  /** Each limit with its measured value. */
  readonly criteria: readonly EnvelopeCriterion[];
}

/**
 * Checks timings' statistics against the variance envelope: the coefficient of variation
 * (`sd / mean`) must not exceed `max_cv`, and `p95 / p50` must not exceed `max_p95_over_p50`.
 * A mean or median of zero or less cannot be judged and fails (fail closed).
 *
 * @param stats Statistics of the timings.
 * @param envelope The calibrated limits.
 * @returns The verdict and the measured values.
 * @example
 * ```ts
 * import { checkEnvelope } from "./variance_envelope.ts";
 * import { summarize } from "./stats.ts";
 * const r = checkEnvelope(summarize([50, 52, 49, 51]), { max_cv: 0.5, max_p95_over_p50: 3 });
 * if (!r.pass) throw new Error();
 * ```
 */
export function checkEnvelope(stats: Stats, envelope: VarianceEnvelope): EnvelopeCheck {
  const cv = stats.mean > 0 ? stats.sd / stats.mean : Number.POSITIVE_INFINITY;
  const p95OverP50 = stats.p50 > 0 ? stats.p95 / stats.p50 : Number.POSITIVE_INFINITY;
  const criteria: EnvelopeCriterion[] = [
    {
      key: "variance_envelope.max_cv",
      measured: cv,
      limit: envelope.max_cv,
      pass: cv <= envelope.max_cv,
    },
    {
      key: "variance_envelope.max_p95_over_p50",
      measured: p95OverP50,
      limit: envelope.max_p95_over_p50,
      pass: p95OverP50 <= envelope.max_p95_over_p50,
    },
  ];
  return {
    pass: criteria.every((c) => c.pass),
    cv,
    p95OverP50,
    band: {
      low: Math.max(0, stats.mean * (1 - envelope.max_cv)),
      high: stats.mean * (1 + envelope.max_cv),
    },
    p95Limit: stats.p50 * envelope.max_p95_over_p50,
    criteria,
  };
}
