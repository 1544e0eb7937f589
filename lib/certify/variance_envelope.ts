/**
 * The variance envelope of gate G4, pure: timings whose spread stays inside the calibrated limits
 * (`variance_envelope.max_cv`, `variance_envelope.max_p95_over_p50`). G4 judges the spread
 * against the host's ({@linkcode checkEnvelopeAgainstFloor}): the runs' spread over the spread of
 * the floor processes run between them, so that a busy host, which spreads both, does not fail
 * it, while a slowdown of some runs, which spreads only the runs, does. No I/O.
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
  /** The floor's own spread the measures were divided by; `null` when judged raw. */
  readonly host: { readonly cv: number; readonly p95OverP50: number } | null;
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
  const criteria = envelopeCriteria(cv, p95OverP50, envelope);
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
    host: null,
  };
}

/**
 * Checks run timings against the variance envelope relative to the host: the runs' coefficient
 * of variation less the floor's (never below 0), and the runs' `p95 / p50` divided by the floor's
 * (which is at least 1). On a quiet host the floor barely spreads and this is the raw envelope;
 * on a busy host the floor spreads as much as the runs and only the excess is judged, however
 * noisy both are. The band and the p95 limit are given in the runs' own unit, widened by the
 * floor's spread, for charts.
 * A mean or median of zero or less, in the runs or the floor, cannot be judged and fails.
 *
 * @param runs Statistics of the run timings.
 * @param floor Statistics of the floor timings taken between them.
 * @param envelope The calibrated limits.
 * @returns The verdict and the measured (load-normalised) values.
 * @example
 * ```ts
 * import { checkEnvelopeAgainstFloor } from "./variance_envelope.ts";
 * import { summarize } from "./stats.ts";
 * // A busy host: runs and floors spread alike, so the runs' spread is the host's.
 * const runs = summarize([100, 150, 300, 120, 500, 110]);
 * const floor = summarize([20, 30, 70, 25, 100, 22]);
 * const r = checkEnvelopeAgainstFloor(runs, floor, { max_cv: 0.5, max_p95_over_p50: 2 });
 * if (!r.pass || r.host === null) throw new Error(JSON.stringify(r.criteria));
 * ```
 */
export function checkEnvelopeAgainstFloor(
  runs: Stats,
  floor: Stats,
  envelope: VarianceEnvelope,
): EnvelopeCheck {
  const ok = runs.mean > 0 && runs.p50 > 0 && floor.mean > 0 && floor.p50 > 0;
  const floorCv = ok ? floor.sd / floor.mean : Number.POSITIVE_INFINITY;
  const floorP = ok ? Math.max(1, floor.p95 / floor.p50) : Number.POSITIVE_INFINITY;
  const cv = ok ? Math.max(0, runs.sd / runs.mean - floorCv) : Number.POSITIVE_INFINITY;
  const p95OverP50 = ok ? runs.p95 / runs.p50 / floorP : Number.POSITIVE_INFINITY;
  const criteria = envelopeCriteria(cv, p95OverP50, envelope);
  const width = ok ? envelope.max_cv + floorCv : 0;
  return {
    pass: criteria.every((c) => c.pass),
    cv,
    p95OverP50,
    band: { low: Math.max(0, runs.mean * (1 - width)), high: runs.mean * (1 + width) },
    p95Limit: ok ? runs.p50 * envelope.max_p95_over_p50 * floorP : 0,
    criteria,
    host: { cv: floorCv, p95OverP50: floorP },
  };
}

/** The envelope's two criteria on the measured (raw or load-normalised) spread. */
function envelopeCriteria(
  cv: number,
  p95OverP50: number,
  envelope: VarianceEnvelope,
): EnvelopeCriterion[] {
  return [
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
}
