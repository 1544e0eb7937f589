/**
 * Pure BootPack parser (SPEC §2, contract §C): bytes or text in, structure and every violation
 * out, each with a stable reason code and a 1-based line number. No I/O.
 *
 * @module
 */

import { type Diagnostic, sortDiagnostics } from "../core/diagnostic.ts";
import { type KbParseResult, type KbSummary, parseKb } from "./kb_parse.ts";
import { BootPackScanner } from "./_scan.ts";
import { decodeUtf8, invalidUtf8Line } from "../core/utf8.ts";

export { POINTER_HEADER, SNAPSHOT_HEADER } from "./_scan.ts";

/** One `Key=Value` line of the POINTER. */
export interface PointerField<T> {
  /** The value as parsed (Path: dequoted). */
  readonly value: T;
  /** The value exactly as written, trimmed. */
  readonly raw: string;
  /** 1-based line. */
  readonly line: number;
}

/** A parsed BootPack: what was found, and every violation and warning. */
export interface BootPack {
  /** The text's lines, terminators kept: joining `text + cr + eol` gives the text back. */
  readonly lines: readonly {
    /** The line's text without its terminator and without a trailing CR. */
    readonly text: string;
    /** The exact terminator: `"\r\n"`, `"\n"`, or `""` for a last line without one. */
    readonly eol: string;
    /** A CR kept at the end of the line text when the terminator is `"\n"` (`"\r"` or `""`). */
    readonly cr: string;
  }[];
  /** First line terminator in the file, or `null` when it has none. */
  readonly lineEnding: "\r\n" | "\n" | null;
  /** The SNAPSHOT, or `null` when missing. */
  readonly snapshot: {
    /** 1-based line of `[BUG_KB_JSON]`. */
    readonly headerLine: number;
    /** 1-based line after the section's last line (next header, or lines + 1). */
    readonly endLine: number;
    /** 1-based line of the opening fence, or `null` if none was found. */
    readonly openFenceLine: number | null;
    /** 1-based line of the closing fence, or `null` if none was found. */
    readonly closeFenceLine: number | null;
    /** The exact text between the fences (terminators included), or `null`. */
    readonly json: string | null;
    /** Offset of `json` in the parsed text (UTF-16 code units), or `null`. */
    readonly jsonOffset: number | null;
    /** Counts of the SNAPSHOT's KB when its JSON is valid, else `null`. */
    readonly kb: Extract<KbParseResult, { readonly ok: true }>["kb"]["summary"] | null;
  } | null;
  /** The POINTER, or `null` when missing. */
  readonly pointer: {
    /** 1-based line of `[BUG_KB_JSON_POINTER]`. */
    readonly headerLine: number;
    /** 1-based line after the section's last line. */
    readonly endLine: number;
    /** `Path`, dequoted; `raw` keeps the quotes. */
    readonly path: {
      /** The value as parsed (Path: dequoted). */
      readonly value: string;
      /** The value exactly as written, trimmed. */
      readonly raw: string;
      /** 1-based line. */
      readonly line: number;
    } | null;
    /** `SHA256`, uppercased. */
    readonly sha256: {
      /** The value as parsed (Path: dequoted). */
      readonly value: string;
      /** The value exactly as written, trimmed. */
      readonly raw: string;
      /** 1-based line. */
      readonly line: number;
    } | null;
    /** `Entries`. */
    readonly entries: {
      /** The value as parsed (Path: dequoted). */
      readonly value: number;
      /** The value exactly as written, trimmed. */
      readonly raw: string;
      /** 1-based line. */
      readonly line: number;
    } | null;
    /**
     * 1-based line of each key's first occurrence, also when its value is invalid (a writer
     * rewrites that line).
     */
    readonly keyLines: Readonly<Partial<Record<"path" | "sha256" | "entries", number>>>;
  } | null;
  /** Every violation of SPEC §2, sorted by line. Empty when the BootPack is valid. */
  readonly violations: readonly Diagnostic[];
  /** Findings that do not block (unknown POINTER keys, ignored lines), sorted by line. */
  readonly warnings: readonly Diagnostic[];
}

/** One line of a text, with its terminator kept so that writers can rebuild the exact bytes. */
export type Line = BootPack["lines"][number];

/** The SNAPSHOT section as found (the first one when there are several). */
export type SnapshotSection = NonNullable<BootPack["snapshot"]>;

/** The POINTER section as found (the first one when there are several). */
export type PointerSection = NonNullable<BootPack["pointer"]>;

/** Result of {@linkcode decodeBootPack}. */
export interface DecodedBootPack {
  /** The decoded text (BOM removed), or `null` when the bytes are not UTF-8. */
  readonly text: string | null;
  /** `BOOTPACK_EMPTY`, `BOOTPACK_BOM`, `BOOTPACK_INVALID_UTF8`. */
  readonly violations: readonly Diagnostic[];
}

/**
 * Decodes a BootPack's bytes: UTF-8 without BOM (a BOM is reported, then skipped so that the rest
 * can still be checked).
 *
 * @param bytes The file's bytes.
 * @returns The text (or `null`) and the encoding violations.
 * @example
 * ```ts
 * import { decodeBootPack } from "./parse.ts";
 * const r = decodeBootPack(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]));
 * if (r.text !== "A" || r.violations[0]?.code !== "BOOTPACK_BOM") throw new Error();
 * ```
 */
export function decodeBootPack(bytes: Uint8Array): DecodedBootPack {
  const violations: Diagnostic[] = [];
  if (bytes.length === 0) {
    return {
      text: null,
      violations: [{ code: "BOOTPACK_EMPTY", line: null, message: "The BootPack file is empty" }],
    };
  }
  let body = bytes;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    violations.push({
      code: "BOOTPACK_BOM",
      line: 1,
      message: "The BootPack starts with a UTF-8 byte order mark; it must be UTF-8 without BOM",
    });
    body = bytes.subarray(3);
  }
  const text = decodeUtf8(body);
  if (text !== null) return { text, violations };
  {
    const line = invalidUtf8Line(body);
    violations.push({
      code: "BOOTPACK_INVALID_UTF8",
      line,
      message: "The BootPack is not valid UTF-8",
    });
    return { text: null, violations };
  }
}

/**
 * Splits text into lines, keeping each terminator, so that writers can rebuild it byte for byte.
 *
 * @param text Any text.
 * @returns The lines; a text ending with a terminator has a last line `{text: "", eol: ""}`.
 * @example
 * ```ts
 * import { joinLines, splitLines } from "./parse.ts";
 * const t = "a\r\nb\nc";
 * if (joinLines(splitLines(t)) !== t) throw new Error();
 * ```
 */
export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl === -1) {
      const rest = text.slice(start);
      const cr = rest.endsWith("\r") ? "\r" : "";
      lines.push({ text: cr ? rest.slice(0, -1) : rest, eol: "", cr });
      return lines;
    }
    if (nl > start && text.charCodeAt(nl - 1) === 13) {
      lines.push({ text: text.slice(start, nl - 1), eol: "\r\n", cr: "" });
    } else {
      lines.push({ text: text.slice(start, nl), eol: "\n", cr: "" });
    }
    start = nl + 1;
  }
}

/**
 * Joins lines made by {@linkcode splitLines} back into text.
 *
 * @param lines The lines.
 * @returns The exact text.
 * @example
 * ```ts
 * import { joinLines } from "./parse.ts";
 * if (joinLines([{ text: "a", cr: "", eol: "\n" }]) !== "a\n") throw new Error();
 * ```
 */
export function joinLines(lines: readonly Line[]): string {
  let out = "";
  for (const l of lines) out += l.text + l.cr + l.eol;
  return out;
}

/**
 * Parses a BootPack's text and reports every violation of SPEC §2 at once.
 *
 * Violation codes: `SNAPSHOT_MISSING`, `SNAPSHOT_DUPLICATE`, `FENCE_MISSING`, `FENCE_LANG_TAG`,
 * `FENCE_UNCLOSED`, `FENCE_UNBALANCED`, `SNAPSHOT_EMPTY`, `SNAPSHOT_BOM`, `SNAPSHOT_JSON_INVALID`,
 * `SNAPSHOT_SHAPE`, `SNAPSHOT_ENTRY_NOT_OBJECT`, `POINTER_MISSING`, `POINTER_DUPLICATE`,
 * `POINTER_KEY_DUPLICATE`, `POINTER_PATH_MISSING`, `POINTER_PATH_EMPTY`, `POINTER_PATH_QUOTE`,
 * `POINTER_PATH_INVALID` (a control character, NUL included), `POINTER_SHA256_MISSING`, `POINTER_SHA256_INVALID`, `POINTER_ENTRIES_MISSING`,
 * `POINTER_ENTRIES_INVALID`. Warning codes: `POINTER_UNKNOWN_KEY`, `POINTER_LINE_IGNORED`.
 *
 * @param text The BootPack's text (decoded, BOM removed).
 * @returns The sections found, the violations and the warnings.
 * @example
 * ```ts
 * import { parseBootPack } from "./parse.ts";
 * const fence = "`".repeat(3);
 * const bp = parseBootPack(`[BUG_KB_JSON]\n${fence}json\n[]\n${fence}\n`);
 * if (!bp.violations.some((v) => v.code === "FENCE_LANG_TAG" && v.line === 2)) throw new Error();
 * ```
 */
export function parseBootPack(text: string): BootPack {
  const scanner = new BootPackScanner();
  scanner.push(text);
  const scan = scanner.finish();
  const violations: Diagnostic[] = [...scan.violations];

  let snapshot: SnapshotSection | null = null;
  if (scan.snapshot !== null) {
    const s = scan.snapshot;
    const json = s.closeFenceLine === null ? null : text.slice(s.jsonStart, s.jsonEnd);
    let kb: KbSummary | null = null;
    if (s.jsonComplete && json !== null) {
      const parsed = parseKb(json, { firstLine: s.jsonFirstLine, codePrefix: "SNAPSHOT_" });
      if (parsed.ok) kb = parsed.kb.summary;
      else violations.push(parsed.diagnostic);
    }
    snapshot = {
      headerLine: s.headerLine,
      endLine: s.endLine,
      openFenceLine: s.openFenceLine,
      closeFenceLine: s.closeFenceLine,
      json,
      jsonOffset: json === null ? null : s.jsonStart,
      kb,
    };
  }

  const pointer: PointerSection | null = scan.pointer === null ? null : { ...scan.pointer };

  const nl = text.indexOf("\n");
  let lines: Line[] | undefined;
  return {
    // Split on demand: a gate on a 20,000-entry BootPack needs no 200,000 line objects.
    get lines(): readonly Line[] {
      return lines ??= splitLines(text);
    },
    lineEnding: nl === -1 ? null : nl > 0 && text.charCodeAt(nl - 1) === 13 ? "\r\n" : "\n",
    snapshot,
    pointer,
    violations: sortDiagnostics(violations),
    warnings: sortDiagnostics(scan.warnings),
  };
}
