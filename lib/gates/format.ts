/**
 * Pure formatting of a gate report (SPEC §3): the summary line, the `diag:` line, `[WARN]` lines
 * and the verdict line, or one JSON object carrying the same. No I/O.
 *
 * @module
 */

import type { Diagnostic } from "../core/diagnostic.ts";
import { type GateDiag, type GateReport, type GateSummary, located } from "./verdict.ts";

/**
 * Formats the summary line: `entries=N|blocking=N|ptr_exists=B|ptr_sha_match=B|ptr_entries_note=N|json_entries=N`.
 *
 * @param s The summary.
 * @returns The line, without terminator.
 * @example
 * ```ts
 * import { formatSummaryLine } from "./format.ts";
 * const line = formatSummaryLine({ entries: 3, blocking: 1, ptr_exists: true, ptr_sha_match: false, ptr_entries_note: 3, json_entries: null });
 * if (line !== "entries=3|blocking=1|ptr_exists=True|ptr_sha_match=False|ptr_entries_note=3|json_entries=NA") throw new Error(line);
 * ```
 */
export function formatSummaryLine(s: GateSummary): string {
  return [
    `entries=${value(s.entries)}`,
    `blocking=${value(s.blocking)}`,
    `ptr_exists=${value(s.ptr_exists)}`,
    `ptr_sha_match=${value(s.ptr_sha_match)}`,
    `ptr_entries_note=${value(s.ptr_entries_note)}`,
    `json_entries=${value(s.json_entries)}`,
  ].join("|");
}

/**
 * Formats the selftest's `diag:` line, `key=value` pairs separated by `|` (a character no Windows
 * path contains).
 *
 * @param d The diagnostics.
 * @returns The line, without terminator.
 * @example
 * ```ts
 * import { formatDiagLine } from "./format.ts";
 * const line = formatDiagLine({ First3: "\\\\D", PathLength: 27, "TestPath.Raw": false, "TestPath.Dequoted": true, "TestPath.Long": true, OpenReadOK: true, KbSha: null, PtrSha: null, PtrEntriesNote: 3 });
 * if (!line.startsWith("diag: First3=\\\\D|PathLength=27|TestPath.Raw=False")) throw new Error(line);
 * ```
 */
export function formatDiagLine(d: GateDiag): string {
  return "diag: " +
    (Object.entries(d) as [string, string | number | boolean | null][])
      .map(([k, v]) => `${k}=${value(v)}`)
      .join("|");
}

/**
 * Formats a warning line: `[WARN] CODE: text`.
 *
 * @param d The warning.
 * @returns The line, without terminator.
 * @example
 * ```ts
 * import { formatWarnLine } from "./format.ts";
 * if (formatWarnLine({ code: "STALE_SHA", line: 9, message: "x" }) !== "[WARN] STALE_SHA: line 9: x") throw new Error();
 * ```
 */
export function formatWarnLine(d: Diagnostic): string {
  return `[WARN] ${d.code}: ${located(d)}`;
}

/**
 * Formats a whole report as the gates print it on stdout: summary, `diag:` (selftest), warnings,
 * verdict; each line ends with `\n`.
 *
 * @param report The report.
 * @returns The text.
 * @example
 * ```ts
 * import { runGate } from "./gate.ts";
 * import { formatGateText } from "./format.ts";
 * const text = formatGateText(await runGate("acceptance", "examples/bootpack.txt"));
 * if (!text.startsWith("entries=")) throw new Error(text);
 * ```
 */
export function formatGateText(report: GateReport): string {
  const lines = [formatSummaryLine(report.summary)];
  if (report.diag) lines.push(formatDiagLine(report.diag));
  for (const w of report.warnings) lines.push(formatWarnLine(w));
  const v = report.verdict;
  lines.push(v.pass ? `[PASS] ${v.text}` : `[GATE-BLOCK] ${v.code}: ${v.text}`);
  return lines.join("\n") + "\n";
}

/** The `--json` form of a gate report. */
export interface GateJson {
  /** `acceptance` or `selftest`. */
  readonly command: string;
  /** The BootPack's path as given. */
  readonly bootpack: string;
  /** The summary line's fields (`NA` is `null`). */
  readonly summary: GateSummary;
  /** Selftest diagnostics, `null` for acceptance. */
  readonly diag: GateDiag | null;
  /** `[WARN]` findings. */
  readonly warnings: readonly Diagnostic[];
  /** Blocking findings; the verdict names the first. */
  readonly violations: readonly Diagnostic[];
  /** The BootPack is up to date (SPEC §3). */
  readonly up_to_date: boolean;
  /** The verdict line's content. */
  readonly verdict: {
    /** `PASS` or `GATE-BLOCK`. */
    readonly status: "PASS" | "GATE-BLOCK";
    /** The block's reason code, `null` on pass. */
    readonly code: string | null;
    /** The verdict's text. */
    readonly text: string;
  };
  /** The process's exit code: 0 pass, 1 blocked. */
  readonly exit_code: number;
}

/**
 * Gives the `--json` object of a report: the same fields, warnings, violations and verdict as the
 * text (`NA` is `null`, booleans are JSON booleans).
 *
 * @param report The report.
 * @returns A JSON-ready object.
 * @example
 * ```ts
 * import { runGate } from "./gate.ts";
 * import { gateReportJson } from "./format.ts";
 * const json = gateReportJson(await runGate("acceptance", "examples/bootpack.txt"));
 * if (json.verdict.status !== "PASS" || json.exit_code !== 0) throw new Error();
 * ```
 */
export function gateReportJson(report: GateReport): GateJson {
  const v = report.verdict;
  return {
    command: report.command,
    bootpack: report.bootpack,
    summary: report.summary,
    diag: report.diag,
    warnings: report.warnings,
    violations: report.violations,
    up_to_date: report.upToDate,
    verdict: { status: v.pass ? "PASS" : "GATE-BLOCK", code: v.code, text: v.text },
    exit_code: v.pass ? 0 : 1,
  };
}

function value(v: string | number | boolean | null): string {
  if (v === null) return "NA";
  if (v === true) return "True";
  if (v === false) return "False";
  return String(v);
}
