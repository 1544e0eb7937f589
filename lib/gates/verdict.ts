/**
 * Pure decision of the read-only gates (SPEC §3): from the facts gathered about a BootPack and the
 * KB its POINTER names, the summary fields, the warnings and the verdict. No I/O.
 *
 * @module
 */

import { type Diagnostic, sortDiagnostics } from "../core/diagnostic.ts";
import type { KbSummary } from "../bootpack/kb_parse.ts";
import type { PointerSection } from "../bootpack/parse.ts";
import { sameSha256 } from "../core/sha256.ts";

/** What was learned about the external KB that the POINTER names. */
export interface KbFacts {
  /**
   * `ok`: read and parsed; `invalid`: read but not a KB; `unreachable`: could not be read;
   * `unmapped`: a Windows path this host cannot follow; `absent`: the POINTER has no usable Path.
   */
  readonly status: "ok" | "invalid" | "unreachable" | "unmapped" | "absent";
  /** The path opened on this host, when there is one. */
  readonly path: string | null;
  /** Why it is not `ok`, with code (`POINTER_UNREACHABLE`, `KB_JSON_INVALID`, …). */
  readonly problem: Diagnostic | null;
  /** SHA256 of the file's bytes (uppercase), when it was read. */
  readonly sha256: string | null;
  /** Counts, when it parsed as a KB. */
  readonly summary: KbSummary | null;
  /**
   * Whether the KB's text equals the SNAPSHOT's once line endings are normalised (SPEC §3: the
   * SNAPSHOT is an exact copy); `null` or absent when there was nothing to compare.
   */
  readonly sameAsSnapshot?: boolean | null;
}

/** Everything a gate learned, before any decision. */
export interface GateFacts {
  /** Which gate. */
  readonly command: GateCommand;
  /** The BootPack's path as given. */
  readonly bootpack: string;
  /** Violations of the BootPack format (read, encoding, SPEC §2), sorted by line. */
  readonly violations: readonly Diagnostic[];
  /** Non-blocking findings of the BootPack parser. */
  readonly parseWarnings: readonly Diagnostic[];
  /** SNAPSHOT counts, when the SNAPSHOT is valid. */
  readonly snapshot: KbSummary | null;
  /** The POINTER, when present. */
  readonly pointer: PointerSection | null;
  /** The external KB. */
  readonly kb: KbFacts;
  /** Selftest diagnostics (`null` for acceptance). */
  readonly diag: GateDiag | null;
}

/** Options of {@linkcode decideGate}. */
export interface DecideGateOptions {
  /** Turn every warning into a block. Default `false`. */
  readonly strict?: boolean;
}

/** A gate's whole result. */
export interface GateReport {
  /** Which gate. */
  readonly command: "acceptance" | "selftest";
  /** The BootPack's path as given. */
  readonly bootpack: string;
  /** The summary line's fields. */
  readonly summary: {
    /** Entries counted in the gate's own source (acceptance: SNAPSHOT; selftest: external KB). */
    readonly entries: number | null;
    /** Entries with `"blocking": true` in that source. */
    readonly blocking: number | null;
    /** The POINTER names a readable regular file on this host. */
    readonly ptr_exists: boolean;
    /** That file's SHA256 equals the POINTER's. */
    readonly ptr_sha_match: boolean;
    /** The POINTER's `Entries`. */
    readonly ptr_entries_note: number | null;
    /** Entries of the external KB, when it can be read and parsed. */
    readonly json_entries: number | null;
  };
  /** Selftest diagnostics (`null` for acceptance). */
  readonly diag: {
    /** First three characters of the Path as written, invisible ones escaped. */
    readonly First3: string | null;
    /** Length of the Path as written, in UTF-16 code units (as PowerShell counts). */
    readonly PathLength: number | null;
    /** The Path as written (quotes and all) names a regular file. */
    readonly "TestPath.Raw": boolean;
    /** The dequoted, mapped Path names a regular file. */
    readonly "TestPath.Dequoted": boolean;
    /** The long form (`\\?\UNC\…`, `\\?\Z:\…`) of the Path names a regular file. */
    readonly "TestPath.Long": boolean;
    /** The file could be opened and read. */
    readonly OpenReadOK: boolean;
    /** SHA256 of the file's bytes. */
    readonly KbSha: string | null;
    /** The POINTER's SHA256. */
    readonly PtrSha: string | null;
    /** The POINTER's Entries. */
    readonly PtrEntriesNote: number | null;
  } | null;
  /** Every blocking finding (the verdict names the first). */
  readonly violations: readonly Diagnostic[];
  /** Non-blocking findings, sorted by line. */
  readonly warnings: readonly Diagnostic[];
  /** `true` when the BootPack is up to date (SPEC §3). */
  readonly upToDate: boolean;
  /** The verdict. */
  readonly verdict: {
    /** `true` for `[PASS]`. */
    readonly pass: boolean;
    /** The block's reason code, `null` on pass. */
    readonly code: string | null;
    /** The verdict's text (after `[PASS] ` or `[GATE-BLOCK] CODE: `). */
    readonly text: string;
  };
}

/** The two read-only gates. */
export type GateCommand = GateReport["command"];

/** The final verdict. */
export type GateVerdict = GateReport["verdict"];

/** The selftest's `diag:` fields (contract §E, §H). */
export type GateDiag = NonNullable<GateReport["diag"]>;

/** The summary line's fields; `null` is printed `NA`. */
export type GateSummary = GateReport["summary"];

/**
 * Decides a gate from its facts: acceptance counts the SNAPSHOT and treats an unreachable pointer
 * as a warning; selftest counts the external KB and blocks when it cannot. Staleness is a
 * `STALE_*` warning; `strict` turns any warning into a block.
 *
 * @param facts What the gate learned.
 * @param options Strictness.
 * @returns The report.
 * @example
 * ```ts
 * import { decideGate } from "./verdict.ts";
 * const r = decideGate({
 *   command: "acceptance", bootpack: "b.txt", violations: [], parseWarnings: [],
 *   snapshot: { shape: "array", entries: 2, blocking: 0, nonBooleanBlocking: [] },
 *   pointer: null, diag: null,
 *   kb: { status: "absent", path: null, problem: null, sha256: null, summary: null },
 * });
 * if (!r.verdict.pass || r.summary.entries !== 2) throw new Error();
 * ```
 */
export function decideGate(facts: GateFacts, options: DecideGateOptions = {}): GateReport {
  const { command, pointer, kb } = facts;
  const own = command === "acceptance" ? facts.snapshot : kb.summary;
  const ptrSha = pointer?.sha256?.value ?? null;
  const ptrEntries = pointer?.entries?.value ?? null;
  const jsonEntries = kb.summary?.entries ?? null;
  const exists = kb.status === "ok" || kb.status === "invalid";
  const summary: GateSummary = {
    entries: own?.entries ?? null,
    blocking: own?.blocking ?? null,
    ptr_exists: exists,
    ptr_sha_match: exists && kb.sha256 !== null && ptrSha !== null && sameSha256(kb.sha256, ptrSha),
    ptr_entries_note: ptrEntries,
    json_entries: jsonEntries,
  };

  const violations: Diagnostic[] = [...facts.violations];
  const warnings: Diagnostic[] = [...facts.parseWarnings];
  const kbProblem = kb.problem;
  if (kbProblem) {
    if (command === "selftest") violations.push(kbProblem);
    else {
      warnings.push({
        ...kbProblem,
        message: `${kbProblem.message}; the SNAPSHOT alone decides acceptance`,
      });
    }
  }

  const kbName = kb.path ?? "the KB";
  for (const w of staleWarnings(facts, summary, kbName)) warnings.push(w);
  pushDuplicateWarnings(warnings, facts.snapshot, "the SNAPSHOT", null);
  if (kb.summary !== facts.snapshot) pushDuplicateWarnings(warnings, kb.summary, kbName, kb.path);
  const snapEntries = facts.snapshot?.entries ?? null;

  const upToDate = summary.ptr_exists && summary.ptr_sha_match &&
    ptrEntries !== null && ptrEntries === jsonEntries && summary.entries === jsonEntries &&
    (command === "selftest" || snapEntries === jsonEntries) && kb.sameAsSnapshot !== false;

  const sortedViolations = sortDiagnostics(violations);
  const sortedWarnings = sortDiagnostics(warnings);
  const verdict = verdictOf(sortedViolations, sortedWarnings, {
    strict: options.strict ?? false,
    source: command === "acceptance" ? "SNAPSHOT" : `KB ${kbName}`,
    summary,
    upToDate,
  });
  return {
    command,
    bootpack: facts.bootpack,
    summary,
    diag: facts.diag,
    violations: sortedViolations,
    warnings: sortedWarnings,
    upToDate,
    verdict,
  };
}

/** The `STALE_*` and `BLOCKING_NOT_BOOLEAN` warnings: what differs between SNAPSHOT, POINTER, KB. */
function staleWarnings(facts: GateFacts, summary: GateSummary, kbName: string): Diagnostic[] {
  const { pointer, kb } = facts;
  const own = facts.command === "acceptance" ? facts.snapshot : kb.summary;
  const ptrSha = pointer?.sha256?.value ?? null;
  const ptrEntries = summary.ptr_entries_note;
  const jsonEntries = summary.json_entries;
  const warnings: Diagnostic[] = [];
  if (summary.ptr_exists && ptrSha !== null && kb.sha256 !== null && !summary.ptr_sha_match) {
    warnings.push({
      code: "STALE_SHA",
      line: pointer?.sha256?.line ?? null,
      message:
        `POINTER SHA256 ${ptrSha} differs from ${kbName}'s ${kb.sha256}: rebuild the BootPack`,
    });
  }
  if (ptrEntries !== null && jsonEntries !== null && ptrEntries !== jsonEntries) {
    warnings.push({
      code: "STALE_ENTRIES",
      line: pointer?.entries?.line ?? null,
      message:
        `POINTER Entries=${ptrEntries} but ${kbName} has ${jsonEntries}: rebuild the BootPack`,
    });
  }
  const snapEntries = facts.snapshot?.entries ?? null;
  if (snapEntries !== null && jsonEntries !== null && snapEntries !== jsonEntries) {
    warnings.push({
      code: "STALE_SNAPSHOT",
      line: null,
      message:
        `SNAPSHOT has ${snapEntries} entries but ${kbName} has ${jsonEntries}: rebuild the BootPack`,
    });
  }
  if (kb.sameAsSnapshot === false && snapEntries === jsonEntries) {
    warnings.push({
      code: "STALE_SNAPSHOT",
      line: null,
      message:
        `SNAPSHOT's JSON text differs from ${kbName}'s (same ${jsonEntries} entries): rebuild the BootPack`,
    });
  }
  for (const index of own?.nonBooleanBlocking ?? []) {
    warnings.push({
      code: "BLOCKING_NOT_BOOLEAN",
      line: null,
      message:
        `Entry ${index} has a "blocking" member that is not true or false; it is not counted`,
    });
  }
  return warnings;
}

/** The verdict: the first violation blocks; with `strict`, the first warning; else a pass. */
function verdictOf(
  violations: readonly Diagnostic[],
  warnings: readonly Diagnostic[],
  o: { strict: boolean; source: string; summary: GateSummary; upToDate: boolean },
): GateVerdict {
  const first = violations[0];
  if (first) return { pass: false, code: first.code, text: located(first) };
  const w = warnings[0];
  if (o.strict && w) return { pass: false, code: w.code, text: `${located(w)} (--strict)` };
  const n = warnings.length;
  const state = o.upToDate
    ? "BootPack up to date"
    : `BootPack not up to date (${n} warning${n === 1 ? "" : "s"})`;
  const { entries, blocking } = o.summary;
  return {
    pass: true,
    code: null,
    text: `${o.source} accepted: ${entries} entries, ${blocking} blocking; ${state}`,
  };
}

/**
 * Prefixes a diagnostic's message with where it is: `line 12: …` or `KB.json.txt line 3: …`.
 *
 * @param d The diagnostic.
 * @returns The located message.
 * @example
 * ```ts
 * import { located } from "./verdict.ts";
 * if (located({ code: "X", line: 3, message: "Bad" }) !== "line 3: Bad") throw new Error();
 * ```
 */
export function located(d: Diagnostic): string {
  if (d.line === null) return d.file ? `${d.file}: ${d.message}` : d.message;
  return `${d.file ? d.file + " " : ""}line ${d.line}: ${d.message}`;
}

const MAX_DUPLICATE_WARNINGS = 10;

/** `[WARN] DUPLICATE_MEMBER` for member names given twice (a parser silently keeps one). */
function pushDuplicateWarnings(
  warnings: Diagnostic[],
  summary: KbSummary | null,
  source: string,
  file: string | null,
): void {
  const found = summary?.duplicateMembers ?? [];
  for (const d of found.slice(0, MAX_DUPLICATE_WARNINGS)) {
    warnings.push({
      code: "DUPLICATE_MEMBER",
      line: d.line,
      ...(file === null ? {} : { file }),
      message: `The member name ${
        JSON.stringify(d.name)
      } is given twice in one object of ${source}; a JSON parser silently keeps only one`,
    });
  }
  if (found.length > MAX_DUPLICATE_WARNINGS) {
    warnings.push({
      code: "DUPLICATE_MEMBER",
      line: null,
      message: `${found.length - MAX_DUPLICATE_WARNINGS} more duplicate member names in ${source}`,
    });
  }
}
