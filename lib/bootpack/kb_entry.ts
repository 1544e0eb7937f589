/**
 * Pure part of `ingest`: check one new entry, and compute the KB text with the entry appended,
 * keeping the KB's shape (array, or object with `entries`) and its line endings. No I/O.
 *
 * @module
 */

import type { Diagnostic } from "../core/diagnostic.ts";
import { isPlainObject, parseKb } from "./kb_parse.ts";

/** A checked entry. */
export interface KbEntry {
  /** Its `id`, a non-empty string. */
  readonly id: string;
  /** The entry object. */
  readonly value: Record<string, unknown>;
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
 * `ENTRY_ID_MISSING` (absent, not a string, or blank), `ENTRY_NUMBER_PRECISION` (an integer that
 * JSON numbers cannot hold exactly: it would be silently changed).
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
  const lossy = lossyInteger(text);
  if (lossy !== null) {
    return fail(
      "ENTRY_NUMBER_PRECISION",
      lossy.line,
      `The integer ${lossy.token} cannot be stored exactly in a JSON number; write it as a string`,
    );
  }
  return { ok: true, entry: { id, value } };
}

/**
 * Appends an entry to a KB's text: checks the KB (strict JSON, KB shape), refuses a duplicate
 * `id`, and writes the whole KB pretty-printed (two-space indent) with the KB's own line ending
 * (CRLF when its first line ends with CRLF) and its final newline kept or not as it was.
 *
 * Reason codes: every `KB_` code of {@linkcode parseKb}, `KB_NUMBER_PRECISION` (an integer the
 * rewrite would change), `ENTRY_ID_DUPLICATE`.
 *
 * @param kbText The KB file's text.
 * @param entry The checked entry.
 * @returns The new text and entry count, or the reason nothing may be written.
 * @example
 * ```ts
 * import { appendEntry, parseEntry } from "./kb_entry.ts";
 * const e = parseEntry('{"id":"b"}');
 * if (!e.ok) throw new Error();
 * const r = appendEntry('[\r\n  {"id": "a"}\r\n]\r\n', e.entry);
 * if (!r.ok || r.entries !== 2 || !r.text.includes('\r\n    "id": "b"\r\n')) throw new Error();
 * ```
 */
export function appendEntry(kbText: string, entry: KbEntry): AppendEntryResult {
  const parsed = parseKb(kbText, { codePrefix: "KB_" });
  if (!parsed.ok) return parsed;
  const lossy = lossyInteger(kbText);
  if (lossy !== null) {
    return fail(
      "KB_NUMBER_PRECISION",
      lossy.line,
      `The KB's integer ${lossy.token} cannot be rewritten exactly; write it as a string first`,
    );
  }
  const { document, entries } = parsed.kb;
  const index = entries.findIndex((e) => e["id"] === entry.id);
  if (index !== -1) {
    return fail(
      "ENTRY_ID_DUPLICATE",
      null,
      `The KB already has an entry with id ${JSON.stringify(entry.id)} (entry ${index})`,
    );
  }
  entries.push(entry.value);
  const eol = /\r\n|\n/.exec(kbText)?.[0] ?? "\n";
  const finalNewline = kbText.length === 0 || /\n$/.test(kbText);
  let text = JSON.stringify(document, null, 2);
  if (eol === "\r\n") text = text.replaceAll("\n", "\r\n");
  if (finalNewline) text += eol;
  return { ok: true, text, entries: entries.length };
}

function fail(code: string, line: number | null, message: string): {
  ok: false;
  diagnostic: Diagnostic;
} {
  return { ok: false, diagnostic: { code, line, message } };
}

const LONG_DIGITS = /\d{16,}/;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** The first integer literal outside strings that a double cannot hold exactly, if any. */
function lossyInteger(text: string): { token: string; line: number } | null {
  if (!LONG_DIGITS.test(text)) return null;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) continue;
      const token = m[0];
      if (m[1] === undefined && m[2] === undefined && BigInt(token) !== BigInt(Number(token))) {
        return { token, line };
      }
      i += token.length - 1;
    }
  }
  return null;
}
