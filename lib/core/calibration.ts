/**
 * Calibration: the single source of every threshold (`budgets/calibration.json`). The repository's
 * file is built into the program as its default; `--calibration FILE` (JSONC accepted) replaces it.
 * Every key is required and typed: a missing file, a missing, unknown, null or mistyped key fails
 * closed with a {@linkcode CalibrationError} naming the key. Nothing falls back silently.
 *
 * @module
 */

import builtin from "../../budgets/calibration.json" with { type: "json" };
import { messageOf } from "./error.ts";

/** Every threshold the tools use. */
export interface Calibration {
  /** Schema version, `1`. */
  readonly version: number;
  /** Per-command budgets. */
  readonly budgets_ms: {
    /** `acceptance` on one BootPack. */
    readonly acceptance: number;
    /** `selftest` on one BootPack. */
    readonly selftest: number;
    /** One `ingest`. */
    readonly ingest: number;
    /** One `rebuild`. */
    readonly rebuild: number;
    /** One `proofpack export`. */
    readonly proofpack_export: number;
    /** One `proofpack verify`. */
    readonly proofpack_verify: number;
  };
  /** Longest wait for a writer's lock before giving up. */
  readonly lock_wait_ms: number;
  /** Poll interval while waiting for a lock. */
  readonly lock_poll_ms: number;
  /** Retries after a transient I/O error (attempts = 1 + retries). */
  readonly retry_count: number;
  /** Base backoff between retries, doubled each retry. */
  readonly retry_backoff_ms: number;
  /** A single read that takes longer than this is a timeout (transient). */
  readonly io_timeout_ms: number;
  /** Delay the LATENCY chaos mode adds to each read. */
  readonly chaos_latency_ms: number;
  /**
   * Largest BootPack or KB a command reads, in bytes: a larger one is refused
   * (`BOOTPACK_TOO_LARGE`, `KB_TOO_LARGE`) before it is read.
   */
  readonly max_input_bytes: number;
  /** Number of runs of the stress gate G4. */
  readonly STRESS_N: number;
  /** Number of parallel writer processes of the concurrency gate G1. */
  readonly concurrency_writers: number;
  /** Minimum hard pass rate (identical output) of G4, 0..1. */
  readonly hard_pass_min: number;
  /** Minimum soft pass rate (within budget) of G4, 0..1. */
  readonly soft_pass_min: number;
  /** G4's variance envelope. */
  readonly variance_envelope: {
    /** Largest coefficient of variation (sd / mean) of a command's timings. */
    readonly max_cv: number;
    /** Largest ratio of the 95th to the 50th percentile. */
    readonly max_p95_over_p50: number;
  };
}

/** Thresholds of the variance envelope that gate G4 checks timings against. */
export type VarianceEnvelope = Calibration["variance_envelope"];

/** Per-command time budgets in milliseconds (gate G2). */
export type CommandBudgets = Calibration["budgets_ms"];

/** Reason codes of {@linkcode CalibrationError}. */
export type CalibrationCode =
  | "CALIBRATION_MISSING_FILE"
  | "CALIBRATION_INVALID"
  | "CALIBRATION_NULL"
  | "CALIBRATION_MISSING_KEY"
  | "CALIBRATION_UNKNOWN_KEY"
  | "CALIBRATION_TYPE";

/** A calibration that cannot be used; `key` names the offending key (dotted), when there is one. */
export class CalibrationError extends Error {
  /** Stable reason code. */
  readonly code: CalibrationCode;
  /** Dotted key path, e.g. `budgets_ms.acceptance`, or `null`. */
  readonly key: string | null;

  /**
   * Creates the error.
   *
   * @param code Reason code.
   * @param key Offending key, or `null`.
   * @param message Human-readable message.
   */
  constructor(code: CalibrationCode, key: string | null, message: string) {
    super(message);
    this.name = "CalibrationError";
    this.code = code;
    this.key = key;
  }
}

type Kind = "int" | "posint" | "number" | "ratio" | { readonly [key: string]: Kind };

const SCHEMA: { readonly [key: string]: Kind } = {
  version: "posint",
  budgets_ms: {
    acceptance: "posint",
    selftest: "posint",
    ingest: "posint",
    rebuild: "posint",
    proofpack_export: "posint",
    proofpack_verify: "posint",
  },
  lock_wait_ms: "posint",
  lock_poll_ms: "posint",
  retry_count: "int",
  retry_backoff_ms: "int",
  io_timeout_ms: "posint",
  chaos_latency_ms: "int",
  max_input_bytes: "posint",
  STRESS_N: "posint",
  concurrency_writers: "posint",
  hard_pass_min: "ratio",
  soft_pass_min: "ratio",
  variance_envelope: { max_cv: "number", max_p95_over_p50: "number" },
};

/**
 * Checks a parsed calibration document against the schema.
 *
 * @param value The parsed document.
 * @param source Where it came from, for messages.
 * @returns The calibration, typed.
 * @throws {CalibrationError} On a null, missing, unknown or mistyped key.
 * @example
 * ```ts
 * import { CalibrationError, DEFAULT_CALIBRATION, validateCalibration } from "./calibration.ts";
 * const bad = { ...DEFAULT_CALIBRATION, retry_count: null };
 * try {
 *   validateCalibration(bad, "test");
 *   throw new Error("accepted a null");
 * } catch (e) {
 *   if (!(e instanceof CalibrationError) || e.code !== "CALIBRATION_NULL") throw e;
 * }
 * ```
 */
export function validateCalibration(value: unknown, source: string): Calibration {
  checkObject(value, SCHEMA, "", source);
  return value as Calibration;
}

function checkObject(
  value: unknown,
  schema: { readonly [key: string]: Kind },
  prefix: string,
  source: string,
): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const key = prefix.replace(/\.$/, "");
    throw new CalibrationError(
      "CALIBRATION_TYPE",
      key || null,
      `Cannot use calibration "${source}": ${
        key ? `key ${key}` : "the document"
      } must be an object, found ${JSON.stringify(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in schema)) {
      throw new CalibrationError(
        "CALIBRATION_UNKNOWN_KEY",
        prefix + key,
        `Cannot use calibration "${source}": unknown key ${prefix + key}`,
      );
    }
  }
  for (const [key, kind] of Object.entries(schema)) {
    const path = prefix + key;
    if (!(key in record)) {
      throw new CalibrationError(
        "CALIBRATION_MISSING_KEY",
        path,
        `Cannot use calibration "${source}": key ${path} is missing`,
      );
    }
    const v = record[key];
    if (v === null) {
      throw new CalibrationError(
        "CALIBRATION_NULL",
        path,
        `Cannot use calibration "${source}": key ${path} is null`,
      );
    }
    if (typeof kind === "object") {
      checkObject(v, kind, path + ".", source);
    } else if (!fits(v, kind)) {
      throw new CalibrationError(
        "CALIBRATION_TYPE",
        path,
        `Cannot use calibration "${source}": key ${path} must be ${describe(kind)}, found ${
          JSON.stringify(v)
        }`,
      );
    }
  }
}

function fits(v: unknown, kind: Exclude<Kind, object>): boolean {
  if (typeof v !== "number" || !Number.isFinite(v)) return false;
  switch (kind) {
    case "int":
      return Number.isSafeInteger(v) && v >= 0;
    case "posint":
      return Number.isSafeInteger(v) && v > 0;
    case "number":
      return v > 0;
    case "ratio":
      return v >= 0 && v <= 1;
  }
}

function describe(kind: Exclude<Kind, object>): string {
  return {
    int: "an integer >= 0",
    posint: "an integer > 0",
    number: "a number > 0",
    ratio: "a number from 0 to 1",
  }[kind];
}

/** The calibration built into the program: `budgets/calibration.json` at build time. */
export const DEFAULT_CALIBRATION: Calibration = validateCalibration(
  builtin,
  "budgets/calibration.json (built in)",
);

/**
 * Parses calibration text (JSONC: comments and trailing commas accepted) and validates it.
 *
 * @param text The file's text.
 * @param source Where it came from, for messages.
 * @returns The calibration.
 * @throws {CalibrationError} `CALIBRATION_INVALID` on a syntax error, or any schema error.
 * @example
 * ```ts
 * import { parseCalibration } from "./calibration.ts";
 * try {
 *   await parseCalibration("{ // nothing\n}", "inline");
 *   throw new Error("accepted an empty calibration");
 * } catch (e) {
 *   if ((e as { code?: string }).code !== "CALIBRATION_MISSING_KEY") throw e;
 * }
 * ```
 */
export async function parseCalibration(text: string, source: string): Promise<Calibration> {
  // Loaded on demand: the gates must not pay for the npm package at start-up.
  const { parse, printParseErrorCode } = await import("jsonc-parser");
  const errors: import("jsonc-parser").ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const line = text.slice(0, first.offset).split("\n").length;
    throw new CalibrationError(
      "CALIBRATION_INVALID",
      null,
      `Cannot parse calibration "${source}": ${printParseErrorCode(first.error)} at line ${line}`,
    );
  }
  return validateCalibration(value, source);
}

/**
 * Reads and validates a calibration file, or gives the built-in one (`budgets/calibration.json`,
 * built into the program) when no path is given.
 *
 * @param path The file (JSON or JSONC). Default: the built-in calibration.
 * @returns The calibration.
 * @throws {CalibrationError} `CALIBRATION_MISSING_FILE` when it cannot be read, or any parse or
 * schema error.
 * @example
 * ```ts
 * import { loadCalibration } from "./calibration.ts";
 * const c = await loadCalibration("budgets/calibration.json");
 * if (c.retry_count !== 3) throw new Error();
 * if ((await loadCalibration()).retry_count !== c.retry_count) throw new Error();
 * ```
 */
export async function loadCalibration(path?: string): Promise<Calibration> {
  if (path === undefined) return DEFAULT_CALIBRATION;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = messageOf(error);
    throw new CalibrationError(
      "CALIBRATION_MISSING_FILE",
      null,
      `Cannot read calibration "${path}": ${why}`,
    );
  }
  return await parseCalibration(text, path);
}
