/**
 * The one error shape of the library: every error a caller may catch carries a stable UPPER_SNAKE
 * `code`, and {@linkcode messageOf} / {@linkcode codeOf} are the one way to read any thrown value
 * (an `Error`, a coded error, or something that is not an `Error` at all).
 *
 * @module
 */

/** What every library error a caller may catch carries, besides its message. */
export interface CodedError extends Error {
  /** Stable UPPER_SNAKE reason code, e.g. `KB_READ_ONLY`, `LOCK_TIMEOUT`. */
  readonly code: string;
}

const CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/**
 * The message of a thrown value, whatever was thrown.
 *
 * @param error A caught value.
 * @returns Its message (`String(error)` for a value that is not an `Error`).
 * @example
 * ```ts
 * import { messageOf } from "./error.ts";
 * if (messageOf(new RangeError("Cannot use x")) !== "Cannot use x") throw new Error();
 * if (messageOf("plain") !== "plain") throw new Error();
 * ```
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The stable reason code of a thrown value, or `fallback` when it has none.
 *
 * @param error A caught value.
 * @param fallback The code to use when `error` carries no UPPER_SNAKE `code`.
 * @returns The code.
 * @example
 * ```ts
 * import { codeOf } from "./error.ts";
 * const e = Object.assign(new Error("Cannot lock"), { code: "LOCK_TIMEOUT" });
 * if (codeOf(e, "IO_ERROR") !== "LOCK_TIMEOUT") throw new Error();
 * if (codeOf(new Error("x"), "IO_ERROR") !== "IO_ERROR") throw new Error();
 * ```
 */
export function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CODE.test(code) ? code : fallback;
}

/**
 * Whether a thrown value is a {@linkcode CodedError}.
 *
 * @param error A caught value.
 * @returns `true` when it is an `Error` with an UPPER_SNAKE `code`.
 * @example
 * ```ts
 * import { isCodedError } from "./error.ts";
 * if (isCodedError(new Error("x"))) throw new Error();
 * ```
 */
export function isCodedError(error: unknown): error is CodedError {
  return error instanceof Error && codeOf(error, "") !== "";
}
