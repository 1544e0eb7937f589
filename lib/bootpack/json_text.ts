/**
 * A strict JSON scanner over the text itself, for what `JSON.parse` hides: where each KB entry
 * sits in the text (so that a writer can insert one without rewriting the others), member names
 * given twice in one object (`JSON.parse` silently keeps the last), and numbers that do not
 * survive a parse exactly (`1e400` becomes `Infinity`, `0.10000000000000000000001` becomes
 * `0.1`, `9007199254740993` becomes `9007199254740992`). No I/O.
 *
 * The scanner is iterative (an explicit stack, no recursion), so nesting depth and entry count
 * never overflow the call stack. It accepts exactly RFC 8259 JSON (what `JSON.parse` accepts,
 * without a BOM) and reports the first syntax error with its line. It runs mostly cold (once per
 * gate, in a fresh process, before the JIT has compiled it), so the character runs go to the
 * engine's own loops (`indexOf`, simple sticky expressions, none that backtracks), the JavaScript
 * sees tokens, and lines are counted only when one is reported.
 *
 * @module
 */

/** A member name given twice in one JSON object. */
export interface DuplicateMember {
  /** The name, decoded. */
  readonly name: string;
  /** 1-based line of its second (or later) occurrence. */
  readonly line: number;
}

/** A number literal whose parsed value differs from what is written. */
export interface InexactNumber {
  /** The literal as written. */
  readonly token: string;
  /** 1-based line. */
  readonly line: number;
}

/** Where a value sits in the text: `text.slice(start, end)` is its JSON. */
export interface JsonSpan {
  /** Offset of its first character. */
  readonly start: number;
  /** Offset after its last character. */
  readonly end: number;
}

/** Where the KB's entries array sits, when the text has the KB shape. */
export interface EntriesSpan {
  /** Offset of the array's `[`. */
  readonly open: number;
  /** Offset of the array's `]`. */
  readonly close: number;
  /** Each entry's span, in order. */
  readonly entries: readonly JsonSpan[];
  /** Occurrences of an `entries` member in the root object (2 or more is ambiguous). */
  readonly memberCount: number;
}

/** Result of {@linkcode scanJsonText}. */
export type JsonTextScan =
  | {
    readonly ok: true;
    /** Duplicate member names, in text order. */
    readonly duplicates: readonly DuplicateMember[];
    /** Numbers that do not survive a parse exactly, in text order. */
    readonly inexactNumbers: readonly InexactNumber[];
    /** The KB's entries array (root array, or the root object's `entries`), or `null`. */
    readonly entries: EntriesSpan | null;
  }
  | {
    readonly ok: false;
    /** 1-based line of the syntax error. */
    readonly line: number;
    /** What is wrong. */
    readonly message: string;
  };

interface Frame {
  readonly kind: "array" | "object";
  readonly open: number;
  /** Member names seen (objects). */
  readonly names: Set<string> | null;
  /** Whether this array is the KB's entries array. */
  readonly isEntries: boolean;
  /** What comes next: the first value or name (or the end), a value, a name, `:`, or `,`/end. */
  state: "first" | "value" | "name" | "colon" | "sep";
  /** Name of the member whose value comes next (objects). */
  member: string | null;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const SPACE = /[ \t\n\r]+/y;
/** What may not appear raw in a string: a quote is its end, a backslash an escape, a control. */
// deno-lint-ignore no-control-regex -- the control characters are what it looks for
const STRING_SPECIAL = /[\\\u0000-\u001f]/;
/** No exponent and at most 15 digits: always exact (IEEE doubles keep 15 significant digits). */
const SHORT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/**
 * Scans JSON text strictly (see the module doc).
 *
 * @param text The JSON text.
 * @returns The duplicates, inexact numbers and entry spans, or the first syntax error.
 * @example
 * ```ts
 * import { scanJsonText } from "./json_text.ts";
 * const r = scanJsonText('[{"id":"a","id":"b"},\n{"n":1e400}]');
 * if (!r.ok || r.duplicates[0]?.name !== "id" || r.inexactNumbers[0]?.line !== 2) throw new Error();
 * if (r.entries?.entries.length !== 2) throw new Error();
 * ```
 */
export function scanJsonText(text: string): JsonTextScan {
  return new Scanner(text).run();
}

/** One pass over the text with an explicit stack of open containers. */
class Scanner {
  readonly #text: string;
  readonly #stack: Frame[] = [];
  readonly #duplicates: DuplicateMember[] = [];
  readonly #inexact: InexactNumber[] = [];
  readonly #spans: JsonSpan[] = [];
  #entries: { open: number; close: number } | null = null;
  #memberCount = 0;
  /** Lines counted up to `#lineOffset` (offsets reported only grow). */
  #line = 1;
  #lineOffset = 0;
  #i = 0;
  #done = false;

  constructor(text: string) {
    this.#text = text;
  }

  run(): JsonTextScan {
    const text = this.#text;
    while (this.#i < text.length) {
      const c = text.charCodeAt(this.#i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        SPACE.lastIndex = this.#i;
        SPACE.test(text);
        this.#i = SPACE.lastIndex;
        continue;
      }
      if (this.#done) return this.#fail("Unexpected text after the JSON value");
      const error = this.#step(c);
      if (error !== null) return this.#fail(error);
    }
    if (!this.#done) return this.#fail("Unexpected end of the JSON text");
    const entries = this.#entries === null
      ? null
      : { ...this.#entries, entries: this.#spans, memberCount: this.#memberCount };
    return { ok: true, duplicates: this.#duplicates, inexactNumbers: this.#inexact, entries };
  }

  /** Consumes the token at `#i` (not white space); gives an error message, or `null`. */
  #step(c: number): string | null {
    const top = this.#stack[this.#stack.length - 1];
    const state = top?.state ?? "value";
    if (top !== undefined && state === "sep") return this.#separator(top, c);
    if (top !== undefined && state === "colon") {
      if (c !== 0x3a /* : */) return 'Expected ":" after a member name';
      top.state = "value";
      this.#i++;
      return null;
    }
    if (top !== undefined && state === "first" && (c === 0x5d || c === 0x7d)) {
      return this.#close(top, c);
    }
    if (top?.kind === "object" && (state === "first" || state === "name")) {
      return this.#memberName(top, c);
    }
    return this.#value(top, c);
  }

  #separator(top: Frame, c: number): string | null {
    if (c === 0x2c /* , */) {
      top.state = top.kind === "array" ? "value" : "name";
      this.#i++;
      return null;
    }
    if (c === 0x5d || c === 0x7d) return this.#close(top, c);
    return `Expected "," or "${top.kind === "array" ? "]" : "}"}"`;
  }

  #close(top: Frame, c: number): string | null {
    if ((c === 0x5d) !== (top.kind === "array")) return `Unexpected "${String.fromCharCode(c)}"`;
    this.#stack.pop();
    if (top.isEntries) this.#entries = { open: top.open, close: this.#i };
    this.#i++;
    this.#endValue(top.open);
    return null;
  }

  #memberName(top: Frame, c: number): string | null {
    if (c !== 0x22) return "Expected a member name in double quotes";
    const end = stringEnd(this.#text, this.#i);
    if (end < 0) return "Unterminated or invalid string";
    const name = decodeString(this.#text, this.#i, end);
    if (top.names!.has(name)) this.#duplicates.push({ name, line: this.#lineAt(this.#i) });
    top.names!.add(name);
    if (this.#stack.length === 1 && name === "entries") this.#memberCount++;
    top.member = name;
    top.state = "colon";
    this.#i = end;
    return null;
  }

  #value(top: Frame | undefined, c: number): string | null {
    const text = this.#text;
    const start = this.#i;
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      const kind = c === 0x5b ? "array" : "object";
      const isEntries = kind === "array" &&
        (top === undefined || (this.#stack.length === 1 && top.kind === "object" &&
          top.member === "entries"));
      const names = kind === "object" ? new Set<string>() : null;
      this.#stack.push({ kind, open: start, names, isEntries, state: "first", member: null });
      if (isEntries) this.#spans.length = 0;
      this.#i++;
      return null;
    }
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, start);
      if (end < 0) return "Unterminated or invalid string";
      this.#i = end;
    } else {
      NUMBER.lastIndex = start;
      const n = NUMBER.exec(text);
      LITERAL.lastIndex = start;
      const token = n?.[0] ?? LITERAL.exec(text)?.[0];
      if (token === undefined) return `Unexpected character ${JSON.stringify(text[start])}`;
      if (n !== null && !exactNumber(token)) {
        this.#inexact.push({ token, line: this.#lineAt(start) });
      }
      this.#i = start + token.length;
    }
    this.#endValue(start);
    return null;
  }

  /** A value that started at `start` ends at `#i`. */
  #endValue(start: number): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) {
      this.#done = true;
      return;
    }
    if (top.isEntries) this.#spans.push({ start, end: this.#i });
    top.state = "sep";
  }

  #fail(message: string): JsonTextScan {
    return { ok: false, line: this.#lineAt(Math.min(this.#i, this.#text.length)), message };
  }

  /** 1-based line of `offset`, counting on from the last line asked for. */
  #lineAt(offset: number): number {
    const text = this.#text;
    let nl = text.indexOf("\n", this.#lineOffset);
    while (nl !== -1 && nl < offset) {
      this.#line++;
      nl = text.indexOf("\n", nl + 1);
    }
    this.#lineOffset = offset;
    return this.#line;
  }
}

/**
 * Tells whether a JSON number literal keeps its exact decimal value through `JSON.parse`: its
 * value as written equals the value of the shortest text of the double it parses to.
 *
 * @param token A JSON number literal.
 * @returns `false` for `1e400`, `1e-400`, `0.10000000000000000000001`, `9007199254740993`.
 * @example
 * ```ts
 * import { exactNumber } from "./json_text.ts";
 * if (!exactNumber("0.1") || !exactNumber("1.50E2") || exactNumber("1e400")) throw new Error();
 * ```
 */
export function exactNumber(token: string): boolean {
  if (token.length <= 17 && SHORT_NUMBER.test(token) && token.replace(/[-.]/g, "").length <= 15) {
    return true;
  }
  const value = Number(token);
  if (!Number.isFinite(value)) return false;
  return decimalKey(token) === decimalKey(String(value));
}

/** A canonical form of a decimal literal's exact value: `digits e exponent`, sign for non-zero. */
function decimalKey(literal: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (m === null) return literal;
  const frac = m[3] ?? "";
  let digits = (m[2] ?? "") + frac;
  let exponent = BigInt(m[4] ?? "0") - BigInt(frac.length);
  digits = digits.replace(/^0+/, "");
  if (digits === "") return "0";
  const trailing = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += BigInt(trailing);
  return `${m[1]}${digits}e${exponent}`;
}

/** Offset after the string literal starting at `start` (a `"`), or -1 when it is invalid. */
function stringEnd(text: string, start: number): number {
  // Most strings have no escape and no control character: the engine finds the end.
  const quote = text.indexOf('"', start + 1);
  if (quote === -1) return -1;
  if (!STRING_SPECIAL.test(text.slice(start + 1, quote))) return quote + 1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) continue;
    const e = text[i + 1];
    if (e === "u") {
      if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) return -1;
      i += 5;
    } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
      i++;
    } else {
      return -1;
    }
  }
  return -1;
}

function decodeString(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  return raw.includes("\\") ? JSON.parse(raw) as string : raw.slice(1, -1);
}
