/**
 * Pure BootPack parser (SPEC §2, contract §C): bytes or text in, structure and every violation
 * out, each with a stable reason code and a 1-based line number. No I/O.
 *
 * @module
 */

import { type Diagnostic, sortDiagnostics } from "./diagnostic.ts";
import { type KbSummary, parseKb } from "./kb_parse.ts";
import { decodeUtf8 } from "./utf8.ts";

/** Header of the SNAPSHOT section. */
export const SNAPSHOT_HEADER = "BUG_KB_JSON";
/** Header of the POINTER section. */
export const POINTER_HEADER = "BUG_KB_JSON_POINTER";

/** One line of a text, with its terminator kept so that writers can rebuild the exact bytes. */
export interface Line {
  /** The line's text without its terminator and without a trailing CR. */
  readonly text: string;
  /** The exact terminator: `"\r\n"`, `"\n"`, or `""` for a last line without one. */
  readonly eol: string;
  /** A CR kept at the end of the line text when the terminator is `"\n"` (`"\r"` or `""`). */
  readonly cr: string;
}

/** The SNAPSHOT section as found (the first one when there are several). */
export interface SnapshotSection {
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
  /** Counts of the SNAPSHOT's KB when its JSON is valid, else `null`. */
  readonly kb: KbSummary | null;
}

/** One `Key=Value` line of the POINTER. */
export interface PointerField<T> {
  /** The value as parsed (Path: dequoted). */
  readonly value: T;
  /** The value exactly as written, trimmed. */
  readonly raw: string;
  /** 1-based line. */
  readonly line: number;
}

/** The POINTER section as found (the first one when there are several). */
export interface PointerSection {
  /** 1-based line of `[BUG_KB_JSON_POINTER]`. */
  readonly headerLine: number;
  /** 1-based line after the section's last line. */
  readonly endLine: number;
  /** `Path`, dequoted; `raw` keeps the quotes. */
  readonly path: PointerField<string> | null;
  /** `SHA256`, uppercased. */
  readonly sha256: PointerField<string> | null;
  /** `Entries`. */
  readonly entries: PointerField<number> | null;
}

/** A parsed BootPack: what was found, and every violation and warning. */
export interface BootPack {
  /** The text's lines, terminators kept: joining `text + cr + eol` gives the text back. */
  readonly lines: readonly Line[];
  /** First line terminator in the file, or `null` when it has none. */
  readonly lineEnding: "\r\n" | "\n" | null;
  /** The SNAPSHOT, or `null` when missing. */
  readonly snapshot: SnapshotSection | null;
  /** The POINTER, or `null` when missing. */
  readonly pointer: PointerSection | null;
  /** Every violation of SPEC §2, sorted by line. Empty when the BootPack is valid. */
  readonly violations: readonly Diagnostic[];
  /** Findings that do not block (unknown POINTER keys, ignored lines), sorted by line. */
  readonly warnings: readonly Diagnostic[];
}

/** Result of {@linkcode decodeBootPack}. */
export interface DecodedBootPack {
  /** The decoded text (BOM removed), or `null` when the bytes are not UTF-8. */
  readonly text: string | null;
  /** `BOOTPACK_EMPTY`, `BOOTPACK_BOM`, `BOOTPACK_INVALID_UTF8`. */
  readonly violations: readonly Diagnostic[];
}

const HEADER = /^\[([A-Za-z0-9_][A-Za-z0-9_ .-]*)\][ \t]*$/;
const POINTER_LINE = /^\s*([A-Za-z0-9_.-]+)\s*[=:]\s*(.*?)\s*$/;
const SHA256 = /^[0-9A-Fa-f]{64}$/;
const FENCE = "```";

/**
 * Decodes a BootPack's bytes: UTF-8 without BOM (a BOM is reported, then skipped so that the rest
 * can still be checked).
 *
 * @param bytes The file's bytes.
 * @returns The text (or `null`) and the encoding violations.
 * @example
 * ```ts
 * import { decodeBootPack } from "./bootpack_parse.ts";
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
    const line = firstInvalidUtf8Line(body);
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
 * import { joinLines, splitLines } from "./bootpack_parse.ts";
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
 * import { joinLines } from "./bootpack_parse.ts";
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
 * `POINTER_SHA256_MISSING`, `POINTER_SHA256_INVALID`, `POINTER_ENTRIES_MISSING`,
 * `POINTER_ENTRIES_INVALID`. Warning codes: `POINTER_UNKNOWN_KEY`, `POINTER_LINE_IGNORED`.
 *
 * @param text The BootPack's text (decoded, BOM removed).
 * @returns The sections found, the violations and the warnings.
 * @example
 * ```ts
 * import { parseBootPack } from "./bootpack_parse.ts";
 * const bp = parseBootPack("[BUG_KB_JSON]\n```json\n[]\n```\n");
 * if (!bp.violations.some((v) => v.code === "FENCE_LANG_TAG" && v.line === 2)) throw new Error();
 * ```
 */
export function parseBootPack(text: string): BootPack {
  const index = scanLines(text);
  const violations: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const sections = findSections(index);

  const snaps = sections.filter((s) => s.name === SNAPSHOT_HEADER);
  const ptrs = sections.filter((s) => s.name === POINTER_HEADER);

  let snapshot: SnapshotSection | null = null;
  if (snaps.length === 0) {
    violations.push({
      code: "SNAPSHOT_MISSING",
      line: null,
      message: `No [${SNAPSHOT_HEADER}] section (SNAPSHOT) in the BootPack`,
    });
  } else {
    for (const extra of snaps.slice(1)) {
      violations.push({
        code: "SNAPSHOT_DUPLICATE",
        line: extra.start + 1,
        message: `Second [${SNAPSHOT_HEADER}] section; the first is at line ${snaps[0]!.start + 1}`,
      });
    }
    snapshot = parseSnapshot(index, snaps[0]!, violations);
  }

  let pointer: PointerSection | null = null;
  if (ptrs.length === 0) {
    violations.push({
      code: "POINTER_MISSING",
      line: null,
      message: `No [${POINTER_HEADER}] section (POINTER) in the BootPack`,
    });
  } else {
    for (const extra of ptrs.slice(1)) {
      violations.push({
        code: "POINTER_DUPLICATE",
        line: extra.start + 1,
        message: `Second [${POINTER_HEADER}] section; the first is at line ${ptrs[0]!.start + 1}`,
      });
    }
    pointer = parsePointer(index, ptrs[0]!, violations, warnings);
  }

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
    warnings: sortDiagnostics(warnings),
  };
}

/**
 * The lines that can matter (those starting with `[` or a backtick), found with one regular
 * expression scan, with their 0-based line numbers; every other line is only ever counted. This
 * keeps a 200,000-line BootPack cheap to check.
 */
interface LineScan {
  readonly text: string;
  /** Candidate lines, in order. */
  readonly marks: readonly Mark[];
  /** Number of lines, as {@linkcode splitLines} counts them. */
  readonly count: number;
}

interface Mark {
  /** 0-based line number. */
  readonly line: number;
  /** Offset of the line's first character. */
  readonly offset: number;
  /** First character code. */
  readonly first: number;
  /** The line without terminator and trailing CR. */
  readonly text: string;
}

function scanLines(text: string): LineScan {
  const marks: Mark[] = [];
  const re = /^[[`]/gm;
  let line = 0;
  let pos = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const offset = m.index;
    // `^` in a multiline RegExp also matches after a lone CR or U+2028: only LF starts a line.
    if (offset > 0 && text.charCodeAt(offset - 1) !== 10) continue;
    line += countNewlines(text, pos, offset);
    pos = offset;
    marks.push({ line, offset, first: text.charCodeAt(offset), text: lineAt(text, offset) });
  }
  return { text, marks, count: line + countNewlines(text, pos, text.length) + 1 };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The line starting at `offset`, without terminator and trailing CR. */
function lineAt(text: string, offset: number): string {
  const nl = text.indexOf("\n", offset);
  let end = nl === -1 ? text.length : nl;
  if (end > offset && text.charCodeAt(end - 1) === 13) end--;
  return text.slice(offset, end);
}

/** Offset of the line after the one starting at `offset`, or `-1` when it is the last. */
function nextLine(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl === -1 ? -1 : nl + 1;
}

interface SectionSpan {
  readonly name: string;
  /** 0-based line of the header. */
  readonly start: number;
  /** Offset of the header line. */
  readonly startOffset: number;
  /** 0-based line after the last line. */
  end: number;
  /** Offset after the section's last character. */
  endOffset: number;
}

const BACKTICK = 0x60;

function isFenceLike(text: string): boolean {
  return text.startsWith(FENCE);
}

function isExactFence(text: string): boolean {
  return text.trimEnd() === FENCE;
}

/** Finds section headers; inside an open SNAPSHOT fence only the two known headers count. */
function findSections(index: LineScan): SectionSpan[] {
  const sections: SectionSpan[] = [];
  let current: SectionSpan | null = null;
  let fence: "before" | "open" | "closed" = "before";
  for (const mark of index.marks) {
    if (mark.first === BACKTICK) {
      if (current?.name === SNAPSHOT_HEADER && isFenceLike(mark.text)) {
        if (fence === "before") fence = "open";
        else if (fence === "open") fence = "closed";
      }
      continue;
    }
    const m = HEADER.exec(mark.text);
    if (!m) continue;
    const name = m[1]!;
    const inJson = current?.name === SNAPSHOT_HEADER && fence === "open";
    if (inJson && name !== SNAPSHOT_HEADER && name !== POINTER_HEADER) continue;
    if (current) {
      current.end = mark.line;
      current.endOffset = mark.offset;
    }
    current = {
      name,
      start: mark.line,
      startOffset: mark.offset,
      end: index.count,
      endOffset: index.text.length,
    };
    sections.push(current);
    fence = "before";
  }
  return sections;
}

function parseSnapshot(
  index: LineScan,
  span: SectionSpan,
  violations: Diagnostic[],
): SnapshotSection {
  const { text } = index;
  const base = { headerLine: span.start + 1, endLine: span.end + 1 };
  const none = { openFenceLine: null, closeFenceLine: null, json: null, kb: null };
  let line = span.start + 1;
  let offset = nextLine(text, span.startOffset);
  while (offset !== -1 && offset < span.endOffset && lineAt(text, offset).trim() === "") {
    offset = nextLine(text, offset);
    line++;
  }
  if (offset === -1 || offset >= span.endOffset) {
    violations.push({
      code: "FENCE_MISSING",
      line: span.start + 1,
      message: "The SNAPSHOT has no opening ``` fence",
    });
    return { ...base, ...none };
  }
  const openText = lineAt(text, offset);
  if (!isFenceLike(openText)) {
    violations.push({
      code: "FENCE_MISSING",
      line: line + 1,
      message: "The SNAPSHOT must start with a line that is exactly ```",
    });
    return { ...base, ...none };
  }
  if (!isExactFence(openText)) reportLangTag(openText, line, violations);
  const open = line;
  const openOffset = offset;

  const fences = index.marks.filter((m) =>
    m.first === BACKTICK && m.offset > openOffset && m.offset < span.endOffset &&
    isFenceLike(m.text)
  );
  const close = fences[0];
  if (!close) {
    violations.push({
      code: "FENCE_UNCLOSED",
      line: open + 1,
      message: "The SNAPSHOT's opening fence has no closing ``` line",
    });
    return { ...base, ...none, openFenceLine: open + 1 };
  }
  if (!isExactFence(close.text)) reportLangTag(close.text, close.line, violations);
  for (const extra of fences.slice(1)) {
    violations.push({
      code: "FENCE_UNBALANCED",
      line: extra.line + 1,
      message: "A fence after the SNAPSHOT's closing fence: the SNAPSHOT holds one fenced block",
    });
  }

  const json = text.slice(nextLine(text, openOffset), close.offset);
  const section = { ...base, openFenceLine: open + 1, closeFenceLine: close.line + 1, json };
  if (json.trim() === "") {
    violations.push({
      code: "SNAPSHOT_EMPTY",
      line: open + 1,
      message: "No JSON between the SNAPSHOT's fences",
    });
    return { ...section, kb: null };
  }
  const parsed = parseKb(json, { firstLine: open + 2, codePrefix: "SNAPSHOT_" });
  if (!parsed.ok) {
    violations.push(parsed.diagnostic);
    return { ...section, kb: null };
  }
  return { ...section, kb: parsed.kb.summary };
}

function reportLangTag(text: string, index: number, violations: Diagnostic[]): void {
  violations.push({
    code: "FENCE_LANG_TAG",
    line: index + 1,
    message: `A fence must be exactly \`\`\` with no language tag, found ${
      JSON.stringify(text.trimEnd())
    }`,
  });
}

function parsePointer(
  index: LineScan,
  span: SectionSpan,
  violations: Diagnostic[],
  warnings: Diagnostic[],
): PointerSection {
  const seen = new Map<string, number>();
  let path: PointerField<string> | null = null;
  let sha256: PointerField<string> | null = null;
  let entries: PointerField<number> | null = null;

  const { text: all } = index;
  let i = span.start;
  for (
    let offset = nextLine(all, span.startOffset);
    offset !== -1 && offset < span.endOffset;
    offset = nextLine(all, offset)
  ) {
    i++;
    const text = lineAt(all, offset);
    if (text.trim() === "") continue;
    const line = i + 1;
    const m = POINTER_LINE.exec(text);
    if (!m) {
      warnings.push({
        code: "POINTER_LINE_IGNORED",
        line,
        message: `Line in the POINTER is not Key=Value and is ignored: ${JSON.stringify(text)}`,
      });
      continue;
    }
    const key = m[1]!.toLowerCase();
    const raw = m[2]!;
    if (key !== "path" && key !== "sha256" && key !== "entries") {
      warnings.push({
        code: "POINTER_UNKNOWN_KEY",
        line,
        message: `Unknown POINTER key ${JSON.stringify(m[1])} is ignored`,
      });
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      violations.push({
        code: "POINTER_KEY_DUPLICATE",
        line,
        message: `POINTER key ${m[1]} appears again; the first is at line ${first}`,
      });
      continue;
    }
    seen.set(key, line);
    if (key === "path") path = parsePathValue(raw, line, violations);
    else if (key === "sha256") sha256 = parseShaValue(raw, line, violations);
    else entries = parseEntriesValue(raw, line, violations);
  }

  const header = span.start + 1;
  for (const [key, name] of [["path", "PATH"], ["sha256", "SHA256"], ["entries", "ENTRIES"]]) {
    if (!seen.has(key!)) {
      violations.push({
        code: `POINTER_${name}_MISSING`,
        line: header,
        message: `The POINTER has no ${
          key === "path" ? "Path" : key === "sha256" ? "SHA256" : "Entries"
        }= line`,
      });
    }
  }
  return { headerLine: header, endLine: span.end + 1, path, sha256, entries };
}

function parsePathValue(
  raw: string,
  line: number,
  violations: Diagnostic[],
): PointerField<string> | null {
  let value = raw;
  const q = raw[0];
  if (q === '"' || q === "'") {
    if (raw.length < 2 || raw[raw.length - 1] !== q) {
      violations.push({
        code: "POINTER_PATH_QUOTE",
        line,
        message: `Path opens a ${q} quote that it does not close`,
      });
      return null;
    }
    value = raw.slice(1, -1).trim();
  }
  if (value === "") {
    violations.push({ code: "POINTER_PATH_EMPTY", line, message: "Path is empty" });
    return null;
  }
  return { value, raw, line };
}

function parseShaValue(
  raw: string,
  line: number,
  violations: Diagnostic[],
): PointerField<string> | null {
  if (!SHA256.test(raw)) {
    violations.push({
      code: "POINTER_SHA256_INVALID",
      line,
      message: `SHA256 must be 64 hexadecimal digits, found ${JSON.stringify(raw)} (${
        [...raw].length
      } characters)`,
    });
    return null;
  }
  return { value: raw.toUpperCase(), raw, line };
}

function parseEntriesValue(
  raw: string,
  line: number,
  violations: Diagnostic[],
): PointerField<number> | null {
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value)) {
    violations.push({
      code: "POINTER_ENTRIES_INVALID",
      line,
      message: `Entries must be an integer >= 0, found ${JSON.stringify(raw)}`,
    });
    return null;
  }
  return { value, raw, line };
}

/** 1-based line of the first byte sequence that is not UTF-8. */
function firstInvalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    line++;
    start = end + 1;
  }
  return line;
}
