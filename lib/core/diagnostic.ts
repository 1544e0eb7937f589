/**
 * The one shape every check reports a finding in: a stable reason code, the 1-based line it is
 * about (or `null` for a finding about a whole file) and a sentence for people.
 *
 * @module
 */

/** A finding of a parser or gate: a violation (blocks) or a warning (does not, unless strict). */
export interface Diagnostic {
  /** Stable UPPER_SNAKE reason code, e.g. `FENCE_LANG_TAG`. */
  readonly code: string;
  /** 1-based line number in the file the finding is about, or `null` for the whole file. */
  readonly line: number | null;
  /** Human-readable explanation, sentence case, no trailing period. */
  readonly message: string;
  /** The file `line` counts in, when it is not the file under check (e.g. the external KB). */
  readonly file?: string;
}

/**
 * Orders diagnostics by line (whole-file findings first), keeping the input order for ties.
 *
 * @param diagnostics The findings to order.
 * @returns A new array, sorted.
 * @example
 * ```ts
 * import { sortDiagnostics } from "./diagnostic.ts";
 * const sorted = sortDiagnostics([{ code: "B", line: 9, message: "b" }, { code: "A", line: 2, message: "a" }]);
 * if (sorted[0]?.code !== "A") throw new Error("unsorted");
 * ```
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => ((a.d.line ?? 0) - (b.d.line ?? 0)) || a.i - b.i)
    .map(({ d }) => d);
}
