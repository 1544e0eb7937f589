/**
 * Pure part of `ingest`: check one new entry strictly, and insert its text into the KB's text.
 * The KB is never round-tripped through `JSON.parse`/`JSON.stringify`: every byte of the
 * existing entries stays (`1e400`, `0.10000000000000000000001`, escapes, hand formatting), the
 * new entry goes after the last one (or into the empty array), with the KB's line ending and the
 * entries' indentation. No I/O.
 *
 * @module
 */

import type { Diagnostic } from "../core/diagnostic.ts";
import { isPlainObject, parseKb } from "./kb_parse.ts";
import { scanJsonText } from "./json_text.ts";

/** A checked entry. */
export interface KbEntry {
  /** Its `id`, a non-empty string. */
  readonly id: string;
  /** The entry object. */
  readonly value: Record<string, unknown>;
  /** Its JSON text as given, without the white space around it: what is inserted. */
  readonly text: string;
}

/** Result of {@linkcode parseEntry}. */
export type EntryParseResult =
  | { readonly ok: true; readonly entry: KbEntry }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/** Result of {@linkcode appendEntry}. */
export type AppendEntryResult =
  | {
    readonly ok: true;
    /** The new KB text. */
    readonly text: string;
    /** Entries in the new KB. */
    readonly entries: number;
  }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/**
 * Checks the text of one new entry: strict JSON, a JSON object, with a non-empty string `id`.
 *
 * Reason codes: `ENTRY_BOM`, `ENTRY_EMPTY`, `ENTRY_JSON_INVALID` (with line), `ENTRY_NOT_OBJECT`,
 * `ENTRY_ID_MISSING` (absent, not a string, or blank), `ENTRY_DUPLICATE_MEMBER` (a member name
 * given twice in one object: a parser would silently keep one), `ENTRY_NUMBER_INEXACT` (a number
 * that does not survive a parse exactly: `1e400`, `1e-400`, `0.10000000000000000000001`, an
 * integer beyond 2^53; every reader of the KB would see another value than the one written).
 *
 * @param text The entry's JSON text.
 * @returns The entry, or the reason it is refused.
 * @example
 * ```ts
 * import { parseEntry } from "./kb_entry.ts";
 * const r = parseEntry('{"id":"KB-9","title":"x"}');
 * if (!r.ok || r.entry.id !== "KB-9") throw new Error();
 * if (parseEntry("[1]").ok) throw new Error();
 * ```
 */
export function parseEntry(text: string): EntryParseResult {
  let value: unknown;
  try {
    if (text.includes("\uFEFF")) throw new SyntaxError("BOM");
    value = JSON.parse(text);
  } catch {
    const r = parseKb(text, { codePrefix: "ENTRY_" });
    if (!r.ok) return r;
    return fail("ENTRY_JSON_INVALID", 1, "Invalid JSON");
  }
  if (!isPlainObject(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    return fail("ENTRY_NOT_OBJECT", 1, `The entry is ${kind}, not a JSON object`);
  }
  const id = value["id"];
  if (typeof id !== "string" || id.trim() === "") {
    return fail(
      "ENTRY_ID_MISSING",
      1,
      id === undefined
        ? 'The entry has no "id" member'
        : `The entry's "id" must be a non-empty string, found ${JSON.stringify(id)}`,
    );
  }
  const scan = scanJsonText(text);
  if (!scan.ok) return fail("ENTRY_JSON_INVALID", scan.line, `Invalid JSON: ${scan.message}`);
  const dup = scan.duplicates[0];
  if (dup !== undefined) {
    return fail(
      "ENTRY_DUPLICATE_MEMBER",
      dup.line,
      `The member name ${JSON.stringify(dup.name)} is given twice in one object`,
    );
  }
  const inexact = scan.inexactNumbers[0];
  if (inexact !== undefined) {
    return fail(
      "ENTRY_NUMBER_INEXACT",
      inexact.line,
      `The number ${inexact.token} does not survive a JSON parse exactly (it reads as ${
        JSON.stringify(Number(inexact.token))
      }); write it as a string`,
    );
  }
  return { ok: true, entry: { id, value, text: text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "") } };
}

/**
 * Inserts an entry into a KB's text: checks the KB (strict JSON, KB shape, a single `entries`
 * member), refuses a duplicate `id`, and inserts the entry's own text after the last entry (the
 * separator between the last two entries reused, so a hand-formatted KB keeps its look) or into an
 * empty array (on its own line, one indentation step in). Its line breaks become the KB's line
 * ending (the first one in the KB; LF if it has none) and its lines are indented like the entry.
 * Every other byte of the KB stays as it was.
 *
 * Reason codes: every `KB_` code of {@linkcode parseKb}, `KB_DUPLICATE_MEMBER` (two `entries`
 * members: which one is the KB's is ambiguous), `ENTRY_ID_DUPLICATE`.
 *
 * @param kbText The KB file's text.
 * @param entry The checked entry.
 * @returns The new text and entry count, or the reason nothing may be written.
 * @example
 * ```ts
 * import { appendEntry, parseEntry } from "./kb_entry.ts";
 * const e = parseEntry('{"id":"b"}');
 * if (!e.ok) throw new Error();
 * const r = appendEntry('[\r\n  {"id": "a", "n": 1e400}\r\n]\r\n', e.entry);
 * if (!r.ok || r.text !== '[\r\n  {"id": "a", "n": 1e400},\r\n  {"id":"b"}\r\n]\r\n') {
 *   throw new Error();
 * }
 * ```
 */
export function appendEntry(kbText: string, entry: KbEntry): AppendEntryResult {
  const parsed = parseKb(kbText, { codePrefix: "KB_" });
  if (!parsed.ok) return parsed;
  const { entries } = parsed.kb;
  const index = entries.findIndex((e) => e["id"] === entry.id);
  if (index !== -1) {
    return fail(
      "ENTRY_ID_DUPLICATE",
      null,
      `The KB already has an entry with id ${JSON.stringify(entry.id)} (entry ${index})`,
    );
  }
  const scan = scanJsonText(kbText);
  if (!scan.ok || scan.entries === null) {
    return fail(
      "KB_JSON_INVALID",
      scan.ok ? null : scan.line,
      "The KB's text could not be scanned",
    );
  }
  const span = scan.entries;
  if (span.memberCount > 1) {
    return fail(
      "KB_DUPLICATE_MEMBER",
      null,
      'The KB has two "entries" members; keep one before ingesting',
    );
  }
  const eol = /\r\n|\n/.exec(kbText)?.[0] ?? "\n";
  let text: string;
  const last = span.entries[span.entries.length - 1];
  if (last !== undefined) {
    const before = span.entries[span.entries.length - 2];
    const gap = before === undefined
      ? "," + kbText.slice(span.open + 1, last.start)
      : kbText.slice(before.end, last.start);
    const indent = /[ \t]*$/.exec(gap)![0];
    text = kbText.slice(0, last.end) + gap + reindent(entry.text, eol, indent) +
      kbText.slice(last.end);
  } else {
    const outer = lineIndent(kbText, span.open);
    const step = outer.startsWith("\t") || /\n\t/.test(kbText) ? "\t" : "  ";
    const inner = outer + step;
    text = kbText.slice(0, span.open + 1) + eol + inner + reindent(entry.text, eol, inner) + eol +
      outer + kbText.slice(span.close);
  }
  return { ok: true, text, entries: entries.length + 1 };
}

/** The entry's text with its line breaks turned into `eol` plus `indent`. */
function reindent(text: string, eol: string, indent: string): string {
  return text.split(/\r\n|\n|\r/).join(eol + indent);
}

/** The white space that starts the line holding offset `at`. */
function lineIndent(text: string, at: number): string {
  const start = text.lastIndexOf("\n", at) + 1;
  return /^[ \t]*/.exec(text.slice(start, at))![0];
}

function fail(code: string, line: number | null, message: string): {
  ok: false;
  diagnostic: Diagnostic;
} {
  return { ok: false, diagnostic: { code, line, message } };
}
