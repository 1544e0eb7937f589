/**
 * Bounded retry: an operation is tried at most `1 + retries` times, and only errors the caller
 * classifies as transient are retried. Corruption and bad input are never transient.
 *
 * @module
 */

import { messageOf } from "./error.ts";

/** Options of {@linkcode retry}. */
export interface RetryOptions {
  /** Retries after the first attempt (calibration `retry_count`). Required: no silent default. */
  readonly retries: number;
  /** Delay before the first retry in ms, doubled for each further retry. Default `0`. */
  readonly backoffMs?: number;
  /** Tells whether an error may pass if tried again. Default: nothing is transient. */
  readonly isTransient?: (error: unknown) => boolean;
  /** Called before each retry, with the attempt number that failed (1-based) and its error. */
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

/** The last error of an operation that failed every allowed attempt, with the count. */
export class RetryExhaustedError extends Error {
  /** `RETRY_EXHAUSTED`. */
  readonly code = "RETRY_EXHAUSTED";
  /** Attempts made, `1 + retries`. */
  readonly attempts: number;

  /**
   * Creates the error.
   *
   * @param attempts Attempts made.
   * @param cause The last attempt's error.
   */
  constructor(attempts: number, cause: unknown) {
    super(
      `Cannot complete after ${attempts} attempts: ${messageOf(cause)}`,
      { cause },
    );
    this.name = "RetryExhaustedError";
    this.attempts = attempts;
  }
}

/**
 * Runs `operation` until it succeeds, it throws an error that is not transient (rethrown as is),
 * or `1 + retries` attempts have failed (then a {@linkcode RetryExhaustedError} whose `cause` is
 * the last error).
 *
 * @param operation The work; receives the 1-based attempt number.
 * @param options Retry count, backoff and classification.
 * @returns What the operation returned.
 * @throws {RetryExhaustedError} When every allowed attempt failed with a transient error.
 * @example
 * ```ts
 * import { retry } from "./retry.ts";
 * let calls = 0;
 * const v = await retry(() => {
 *   calls++;
 *   if (calls < 3) throw new Error("flaky");
 *   return Promise.resolve("ok");
 * }, { retries: 3, isTransient: () => true });
 * if (v !== "ok" || calls !== 3) throw new Error();
 * ```
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  if (!Number.isSafeInteger(options.retries) || options.retries < 0) {
    throw new RangeError(`Cannot retry "${options.retries}" times: expected an integer >= 0`);
  }
  const isTransient = options.isTransient ?? (() => false);
  const attempts = options.retries + 1;
  for (let attempt = 1;; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (attempt >= attempts) throw new RetryExhaustedError(attempt, error);
      options.onRetry?.(attempt, error);
      const delay = (options.backoffMs ?? 0) * 2 ** (attempt - 1);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
