/**
 * Gate G2, pure: every operation's measured time against its budget in `budgets_ms` of the
 * calibration. An operation without a budget, a null or mistyped budget, or a budget with no
 * measurement fails: nothing is assumed. No I/O.
 *
 * @module
 */

/** One timed run of an operation. */
export interface Measurement {
  /** The operation, a key of `budgets_ms` (e.g. `acceptance`, `proofpack_verify`). */
  readonly operation: string;
  /** Wall-clock time in milliseconds. */
  readonly ms: number;
}

/** How one operation fares against its budget. */
export type BudgetStatus =
  | "WITHIN_BUDGET"
  | "OVER_BUDGET"
  | "NOT_MEASURED"
  | "CALIBRATION_NULL"
  | "CALIBRATION_MISSING_KEY"
  | "CALIBRATION_TYPE";

/** One operation's result. */
export interface BudgetResult {
  /** The operation. */
  readonly operation: string;
  /** The calibration key, `budgets_ms.<operation>`. */
  readonly key: string;
  /** The budget in ms, when the calibration gives a usable one. */
  readonly budgetMs: number | null;
  /** The slowest measured run in ms, when there is one. */
  readonly maxMs: number | null;
  /** Number of measured runs. */
  readonly samples: number;
  /** The status; only `WITHIN_BUDGET` passes. */
  readonly status: BudgetStatus;
  /** `status === "WITHIN_BUDGET"`. */
  readonly pass: boolean;
}

/** Result of {@linkcode evaluateBudgets}. */
export interface BudgetReport {
  /** Every operation passes (and there is at least one). */
  readonly pass: boolean;
  /** One result per operation: the budgets' keys in order, then unbudgeted operations. */
  readonly results: readonly BudgetResult[];
}

/**
 * Evaluates gate G2: for each operation of `budgets` (the calibration's `budgets_ms`, taken as
 * found, unvalidated, so that a null is reported and not thrown), the slowest of its measured runs
 * must not exceed the budget. A run of an operation that has no budget key fails with
 * `CALIBRATION_MISSING_KEY`; a null budget with `CALIBRATION_NULL`; a budget that is not an
 * integer > 0 with `CALIBRATION_TYPE`; a budget with no run with `NOT_MEASURED`.
 *
 * @param measurements Timed runs.
 * @param budgets The calibration's `budgets_ms` object.
 * @returns The verdict per operation and overall.
 * @example
 * ```ts
 * import { evaluateBudgets } from "./budget.ts";
 * const r = evaluateBudgets(
 *   [{ operation: "acceptance", ms: 80 }, { operation: "acceptance", ms: 2500 }],
 *   { acceptance: 2000 },
 * );
 * if (r.pass || r.results[0]?.status !== "OVER_BUDGET") throw new Error();
 * ```
 */
export function evaluateBudgets(
  measurements: readonly Measurement[],
  budgets: unknown,
): BudgetReport {
  const record = typeof budgets === "object" && budgets !== null && !Array.isArray(budgets)
    ? budgets as Record<string, unknown>
    : null;
  const byOperation = new Map<string, number[]>();
  for (const m of measurements) {
    const list = byOperation.get(m.operation) ?? [];
    list.push(m.ms);
    byOperation.set(m.operation, list);
  }
  const operations = [
    ...Object.keys(record ?? {}),
    ...[...byOperation.keys()].filter((op) => !record || !Object.hasOwn(record, op)),
  ];
  const results = operations.map((operation): BudgetResult => {
    const runs = byOperation.get(operation) ?? [];
    const maxMs = runs.length > 0 ? Math.max(...runs) : null;
    const key = `budgets_ms.${operation}`;
    const raw = record && Object.hasOwn(record, operation) ? record[operation] : undefined;
    const usable = typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0;
    const budgetMs = usable ? raw : null;
    let status: BudgetStatus;
    if (budgets === null) status = "CALIBRATION_NULL";
    else if (record === null) status = "CALIBRATION_TYPE";
    else if (raw === undefined) status = "CALIBRATION_MISSING_KEY";
    else if (raw === null) status = "CALIBRATION_NULL";
    else if (!usable) status = "CALIBRATION_TYPE";
    else if (maxMs === null) status = "NOT_MEASURED";
    else if (!Number.isFinite(maxMs) || maxMs > raw) status = "OVER_BUDGET";
    else status = "WITHIN_BUDGET";
    return {
      operation,
      key,
      budgetMs,
      maxMs,
      samples: runs.length,
      status,
      pass: status === "WITHIN_BUDGET",
    };
  });
  return { pass: results.length > 0 && results.every((r) => r.pass), results };
}
