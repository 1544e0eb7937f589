/**
 * The BootPack format rules (SPEC §2) as one incremental scanner over text chunks: sections,
 * SNAPSHOT fences, POINTER keys, every violation with its line. `parseBootPack` feeds it a whole
 * text; the gates' large-file path feeds it chunks as they are read, so that a 50 MiB BootPack is
 * checked with bounded memory. The SNAPSHOT's JSON is not parsed here: its text is handed to a
 * sink, piece by piece, with its position. Internal.
 *
 * Only lines that start with `[` or a backtick can change anything outside the POINTER and the
 * lines before the opening fence; they are found with one regular expression per chunk, and every
 * other line is only counted, which keeps a 200,000-line SNAPSHOT cheap.
 *
 * @module
 */

import type { Diagnostic } from "../core/diagnostic.ts";
import { codeUnitHex } from "../core/escape.ts";

/** Header of the SNAPSHOT section. */
export const SNAPSHOT_HEADER = "BUG_KB_JSON";
/** Header of the POINTER section. */
export const POINTER_HEADER = "BUG_KB_JSON_POINTER";

const HEADER = /^\[([A-Za-z0-9_][A-Za-z0-9_ .-]*)\][ \t]*$/;
const POINTER_LINE = /^\s*([A-Za-z0-9_.-]+)\s*[=:]\s*(.*?)\s*$/;
const SHA256 = /^[0-9A-Fa-f]{64}$/;
const FENCE = "```";
const BACKTICK = 0x60;

/** One parsed `Key=Value` POINTER line. */
export interface ScannedField<T> {
  /** The value (Path: dequoted; SHA256: uppercased). */
  readonly value: T;
  /** The value as written, trimmed. */
  readonly raw: string;
  /** 1-based line. */
  readonly line: number;
}

/** What the scanner found. */
export interface ScanResult {
  /** Number of lines, as `splitLines` counts them. */
  readonly lineCount: number;
  /** The first SNAPSHOT, or `null`. */
  readonly snapshot: {
    readonly headerLine: number;
    readonly endLine: number;
    readonly openFenceLine: number | null;
    readonly closeFenceLine: number | null;
    /** The JSON between the fences is complete (both fences found) and not blank. */
    readonly jsonComplete: boolean;
    /** 1-based line of the JSON's first line. */
    readonly jsonFirstLine: number;
    /** Offsets of the JSON text in the whole stream (characters), when complete. */
    readonly jsonStart: number;
    readonly jsonEnd: number;
  } | null;
  /** The first POINTER, or `null`. */
  readonly pointer: {
    readonly headerLine: number;
    readonly endLine: number;
    readonly path: ScannedField<string> | null;
    readonly sha256: ScannedField<string> | null;
    readonly entries: ScannedField<number> | null;
    /** 1-based line of each key's first occurrence, its value valid or not. */
    readonly keyLines: Readonly<Partial<Record<"path" | "sha256" | "entries", number>>>;
  } | null;
  /** Violations found by the scanner, missing sections included (not the JSON's own). */
  readonly violations: Diagnostic[];
  /** Warnings found by the scanner. */
  readonly warnings: Diagnostic[];
}

/** Receives the SNAPSHOT's JSON text as it streams by. */
export interface JsonSink {
  /** The next piece of the JSON text. */
  write(piece: string): void;
}

type SnapState = "none" | "await" | "json" | "after";

/** Incremental BootPack scanner: `push` decoded text chunks, then `finish`. */
export class BootPackScanner {
  #sink: JsonSink | null;
  #carry = "";
  /** Absolute offset of the start of `#carry`. */
  #base = 0;
  /** 0-based line number of the line starting at `#base`. */
  #line = 0;
  #violations: Diagnostic[] = [];
  #warnings: Diagnostic[] = [];

  #current: { name: string; line: number } | null = null;
  #headerFence: "before" | "open" | "closed" = "before";
  #firstSnapshot: number | null = null;
  #firstPointer: number | null = null;

  #snap: SnapState = "none";
  #snapHeader = 0;
  #snapEnd = 0;
  #open: number | null = null;
  #close: number | null = null;
  #jsonStart = 0;
  #jsonEnd = 0;
  #jsonNonBlank = false;
  #jsonComplete = false;

  #inPointer = false;
  #ptrHeader = 0;
  #ptrEnd = 0;
  #seen = new Map<string, number>();
  #path: ScannedField<string> | null = null;
  #sha: ScannedField<string> | null = null;
  #entries: ScannedField<number> | null = null;

  /**
   * Creates a scanner.
   *
   * @param sink Receives the SNAPSHOT's JSON pieces, or `null` when only positions are wanted.
   */
  constructor(sink: JsonSink | null = null) {
    this.#sink = sink;
  }

  /**
   * Scans the next chunk of text.
   *
   * @param chunk Decoded text, any length, cut anywhere.
   */
  push(chunk: string): void {
    const text = this.#carry + chunk;
    const nl = text.lastIndexOf("\n");
    if (nl === -1) {
      this.#carry = text;
      return;
    }
    this.#region(text.slice(0, nl + 1));
    this.#carry = text.slice(nl + 1);
  }

  /**
   * Ends the input.
   *
   * @returns What was found.
   */
  finish(): ScanResult {
    if (this.#carry !== "") this.#region(this.#carry);
    this.#carry = "";
    const lineCount = this.#line + 1;
    this.#endSection(lineCount);
    if (this.#firstSnapshot === null) {
      this.#violations.push({
        code: "SNAPSHOT_MISSING",
        line: null,
        message: `No [${SNAPSHOT_HEADER}] section (SNAPSHOT) in the BootPack`,
      });
    }
    if (this.#firstPointer === null) {
      this.#violations.push({
        code: "POINTER_MISSING",
        line: null,
        message: `No [${POINTER_HEADER}] section (POINTER) in the BootPack`,
      });
    }
    return {
      lineCount,
      snapshot: this.#firstSnapshot === null ? null : {
        headerLine: this.#snapHeader + 1,
        endLine: this.#snapEnd + 1,
        openFenceLine: this.#open === null ? null : this.#open + 1,
        closeFenceLine: this.#close === null ? null : this.#close + 1,
        jsonComplete: this.#jsonComplete,
        jsonFirstLine: this.#open === null ? 0 : this.#open + 2,
        jsonStart: this.#jsonStart,
        jsonEnd: this.#jsonEnd,
      },
      pointer: this.#firstPointer === null ? null : {
        headerLine: this.#ptrHeader + 1,
        endLine: this.#ptrEnd + 1,
        path: this.#path,
        sha256: this.#sha,
        entries: this.#entries,
        keyLines: Object.fromEntries(this.#seen),
      },
      violations: this.#violations,
      warnings: this.#warnings,
    };
  }

  /** Scans whole lines (the last may lack its LF only at the very end). */
  #region(r: string): void {
    // Next "\n[" and "\n`" at or after the current position (string search, not a RegExp: a
    // regular expression runs interpreted until V8 tiers it up, which made the first long
    // SNAPSHOT cost 3 ms).
    let bracket = -2;
    let backtick = -2;
    let p = 0;
    while (p < r.length) {
      if (this.#snap === "await" || this.#inPointer) {
        p = this.#oneLine(r, p);
        continue;
      }
      // Jump to the next line that starts with `[` or a backtick (only LF starts a line).
      let q: number;
      const c = r.charCodeAt(p);
      if (c === 0x5b || c === BACKTICK) {
        q = p;
      } else {
        if (bracket !== -1 && bracket < p) bracket = r.indexOf("\n[", p - 1);
        if (backtick !== -1 && backtick < p) backtick = r.indexOf("\n`", p - 1);
        const next = Math.min(
          bracket === -1 ? Infinity : bracket,
          backtick === -1 ? Infinity : backtick,
        );
        q = next === Infinity ? r.length : next + 1;
      }
      if (q > p) {
        if (this.#snap === "json") this.#feed(r, p, q);
        this.#line += countNewlines(r, p, q);
        p = q;
      }
      if (p < r.length) p = this.#oneLine(r, p);
    }
    this.#base += r.length;
  }

  /** Scans the line starting at `p`; gives the offset of the next line. */
  #oneLine(r: string, p: number): number {
    const nl = r.indexOf("\n", p);
    const next = nl === -1 ? r.length : nl + 1;
    let end = nl === -1 ? r.length : nl;
    if (end > p && r.charCodeAt(end - 1) === 13) end--;
    const text = r.slice(p, end);
    const line = this.#line;
    if (!this.#header(text, line)) {
      if (this.#inPointer) this.#pointerLine(text, line);
      else if (this.#snap === "await") this.#awaitLine(text, line, next);
      else if (r.charCodeAt(p) === BACKTICK && text.startsWith(FENCE)) this.#fence(text, line, p);
      else if (this.#snap === "json") this.#feed(r, p, next);
    }
    if (nl !== -1) this.#line++;
    return next;
  }

  /** Handles a header line; `false` when the line is not one. */
  #header(text: string, line: number): boolean {
    if (text.charCodeAt(0) !== 0x5b) return false;
    const m = HEADER.exec(text);
    if (!m) return false;
    const name = m[1]!;
    const inJson = this.#current?.name === SNAPSHOT_HEADER && this.#headerFence === "open";
    if (inJson && name !== SNAPSHOT_HEADER && name !== POINTER_HEADER) return false;
    this.#endSection(line);
    this.#current = { name, line };
    this.#headerFence = "before";
    if (name === SNAPSHOT_HEADER) {
      if (this.#firstSnapshot === null) {
        this.#firstSnapshot = line;
        this.#snapHeader = line;
        this.#snap = "await";
      } else {
        this.#violations.push({
          code: "SNAPSHOT_DUPLICATE",
          line: line + 1,
          message: `Second [${SNAPSHOT_HEADER}] section; the first is at line ${
            this.#firstSnapshot + 1
          }`,
        });
      }
    } else if (name === POINTER_HEADER) {
      if (this.#firstPointer === null) {
        this.#firstPointer = line;
        this.#ptrHeader = line;
        this.#inPointer = true;
      } else {
        this.#violations.push({
          code: "POINTER_DUPLICATE",
          line: line + 1,
          message: `Second [${POINTER_HEADER}] section; the first is at line ${
            this.#firstPointer + 1
          }`,
        });
      }
    }
    return true;
  }

  /** Closes the current section before line `line` (0-based). */
  #endSection(line: number): void {
    const current = this.#current;
    if (!current) return;
    if (current.line === this.#firstSnapshot && this.#snapEnd === 0) {
      this.#snapEnd = line;
      if (this.#snap === "await") {
        this.#violations.push({
          code: "FENCE_MISSING",
          line: current.line + 1,
          message: "The SNAPSHOT has no opening ``` fence",
        });
      } else if (this.#snap === "json") {
        this.#violations.push({
          code: "FENCE_UNCLOSED",
          line: this.#open! + 1,
          message: "The SNAPSHOT's opening fence has no closing ``` line",
        });
      }
      this.#snap = "none";
    }
    if (current.line === this.#firstPointer && this.#inPointer) {
      this.#ptrEnd = line;
      this.#inPointer = false;
      const header = current.line + 1;
      for (
        const [key, name, label] of [
          ["path", "PATH", "Path"],
          ["sha256", "SHA256", "SHA256"],
          ["entries", "ENTRIES", "Entries"],
        ] as const
      ) {
        if (!this.#seen.has(key)) {
          this.#violations.push({
            code: `POINTER_${name}_MISSING`,
            line: header,
            message: `The POINTER has no ${label}= line`,
          });
        }
      }
    }
    this.#current = null;
  }

  /** A line between `[BUG_KB_JSON]` and its opening fence. */
  #awaitLine(text: string, line: number, next: number): void {
    if (text.trim() === "") return;
    if (text.startsWith(FENCE)) {
      this.#headerFence = "open";
      if (text.trimEnd() !== FENCE) this.#langTag(text, line);
      this.#open = line;
      this.#snap = "json";
      this.#jsonStart = this.#base + next;
      return;
    }
    this.#violations.push({
      code: "FENCE_MISSING",
      line: line + 1,
      message: "The SNAPSHOT must start with a line that is exactly ```",
    });
    this.#snap = "none";
  }

  /** A fence-like line outside the await state. */
  #fence(text: string, line: number, p: number): void {
    if (this.#current?.name === SNAPSHOT_HEADER) {
      if (this.#headerFence === "before") this.#headerFence = "open";
      else if (this.#headerFence === "open") this.#headerFence = "closed";
    }
    if (this.#current === null || this.#current.line !== this.#firstSnapshot) return;
    if (this.#snap === "json") {
      if (text.trimEnd() !== FENCE) this.#langTag(text, line);
      this.#close = line;
      this.#jsonEnd = this.#base + p;
      this.#snap = "after";
      if (!this.#jsonNonBlank) {
        this.#violations.push({
          code: "SNAPSHOT_EMPTY",
          line: this.#open! + 1,
          message: "No JSON between the SNAPSHOT's fences",
        });
      } else {
        this.#jsonComplete = true;
      }
    } else if (this.#snap === "after") {
      this.#violations.push({
        code: "FENCE_UNBALANCED",
        line: line + 1,
        message: "A fence after the SNAPSHOT's closing fence: the SNAPSHOT holds one fenced block",
      });
    }
  }

  #feed(r: string, from: number, to: number): void {
    const piece = r.slice(from, to);
    if (!this.#jsonNonBlank && /[^ \t\n\r]/.test(piece)) this.#jsonNonBlank = true;
    this.#sink?.write(piece);
  }

  #langTag(text: string, line: number): void {
    this.#violations.push({
      code: "FENCE_LANG_TAG",
      line: line + 1,
      message: `A fence must be exactly \`\`\` with no language tag, found ${
        JSON.stringify(text.trimEnd())
      }`,
    });
  }

  #pointerLine(text: string, index: number): void {
    if (text.trim() === "") return;
    const line = index + 1;
    const m = POINTER_LINE.exec(text);
    if (!m) {
      this.#warnings.push({
        code: "POINTER_LINE_IGNORED",
        line,
        message: `Line in the POINTER is not Key=Value and is ignored: ${JSON.stringify(text)}`,
      });
      return;
    }
    const key = m[1]!.toLowerCase();
    const raw = m[2]!;
    if (key !== "path" && key !== "sha256" && key !== "entries") {
      this.#warnings.push({
        code: "POINTER_UNKNOWN_KEY",
        line,
        message: `Unknown POINTER key ${JSON.stringify(m[1])} is ignored`,
      });
      return;
    }
    const first = this.#seen.get(key);
    if (first !== undefined) {
      this.#violations.push({
        code: "POINTER_KEY_DUPLICATE",
        line,
        message: `POINTER key ${m[1]} appears again; the first is at line ${first}`,
      });
      return;
    }
    this.#seen.set(key, line);
    if (key === "path") this.#path = parsePathValue(raw, line, this.#violations);
    else if (key === "sha256") this.#sha = parseShaValue(raw, line, this.#violations);
    else this.#entries = parseEntriesValue(raw, line, this.#violations);
  }
}

function countNewlines(text: string, from: number, to: number): number {
  if (to - from > 4096) {
    // One native scan beats a loop of indexOf calls on long runs (a SNAPSHOT's lines).
    return text.slice(from, to).match(/\n/g)?.length ?? 0;
  }
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function parsePathValue(
  raw: string,
  line: number,
  violations: Diagnostic[],
): ScannedField<string> | null {
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
  // No file system names a file with a NUL, and Windows none with another C0 control: such a Path
  // can never be opened, so it is a format error, not an I/O error to retry.
  // deno-lint-ignore no-control-regex
  const bad = /[\u0000-\u001f]/.exec(value);
  if (bad) {
    const at = `U+${codeUnitHex(bad[0])}`;
    violations.push({
      code: "POINTER_PATH_INVALID",
      line,
      message: `Path holds the control character ${at}, which no file name can hold`,
    });
    return null;
  }
  return { value, raw, line };
}

function parseShaValue(
  raw: string,
  line: number,
  violations: Diagnostic[],
): ScannedField<string> | null {
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
): ScannedField<number> | null {
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
