/**
 * Pure parsing of a KB's JSON text (`BUG_KB.json.txt` or a SNAPSHOT): strict JSON, KB shape,
 * Entries and Blocking counts. No I/O.
 *
 * @module
 */

import type { Diagnostic } from "../core/diagnostic.ts";
import { countNewlines, jsonErrorLine, shortJsonMessage } from "./_json_error.ts";
import { messageOf } from "../core/error.ts";
import { scanJsonText } from "./json_text.ts";

/** What a valid KB holds, as the gates count it. */
export type KbSummary = ParsedKb["summary"];

/** Result of {@linkcode parseKb}: the KB, or the one reason it is not a KB. */
export type KbParseResult =
  | {
    readonly ok: true;
    /** The KB, parsed. */
    readonly kb: {
      /** Entries and Blocking counts. */
      readonly summary: {
        /** `array` for a bare JSON array, `object` for an object with an `entries` array. */
        readonly shape: "array" | "object";
        /** Number of entry objects. */
        readonly entries: number;
        /** Number of entries whose `blocking` member is the JSON boolean `true`. */
        readonly blocking: number;
        /** 0-based indexes of entries with a `blocking` member that is not a boolean. */
        readonly nonBooleanBlocking: readonly number[];
        /** Member names given twice in one object (lines in the file), which `JSON.parse` hides; absent when none. */
        readonly duplicateMembers?: readonly { readonly name: string; readonly line: number }[];
      };
      /** The whole parsed JSON document. */
      readonly document: unknown[] | Record<string, unknown>;
      /** The entries array inside `document` (the same array object). */
      readonly entries: Record<string, unknown>[];
    };
  }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/** A parsed KB: the summary plus the parsed value, for writers that change it. */
export type ParsedKb = Extract<KbParseResult, { readonly ok: true }>["kb"];

/** Options of {@linkcode parseKb}. */
export interface ParseKbOptions {
  /** Line number (1-based) of the text's first line in its file, for messages. Default `1`. */
  readonly firstLine?: number;
  /** Prefix of the reason codes, e.g. `SNAPSHOT_` or `KB_`. Default `KB_`. */
  readonly codePrefix?: string;
}

/**
 * Parses KB JSON text strictly (JSON, not JSONC) and checks the KB shape: a JSON array of entry
 * objects, or an object whose `entries` member is that array.
 *
 * Reason codes (after the prefix): `BOM` (U+FEFF anywhere), `EMPTY`, `JSON_INVALID` (with the
 * line of the parse error), `SHAPE` (not an array or an object with an `entries` array),
 * `ENTRY_NOT_OBJECT` (an entry that is not a JSON object).
 *
 * @param text The JSON text.
 * @param options Line offset and code prefix.
 * @returns The KB, or a diagnostic.
 * @example
 * ```ts
 * import { parseKb } from "./kb_parse.ts";
 * const r = parseKb('[{"id":"a","blocking":true},{"id":"b"}]');
 * if (!r.ok || r.kb.summary.entries !== 2 || r.kb.summary.blocking !== 1) throw new Error();
 * ```
 */
export function parseKb(text: string, options: ParseKbOptions = {}): KbParseResult {
  const firstLine = options.firstLine ?? 1;
  const prefix = options.codePrefix ?? "KB_";
  const fail = (code: string, line: number | null, message: string): KbParseResult => ({
    ok: false,
    diagnostic: { code: prefix + code, line, message },
  });

  const bom = text.indexOf("\uFEFF");
  if (bom !== -1) {
    return fail("BOM", firstLine + countNewlines(text, bom), "Byte order mark U+FEFF in the JSON");
  }
  // Blank as JSON sees it: other white space (U+00A0, U+2028...) is invalid JSON, not empty.
  if (!/[^ \t\n\r]/.test(text)) return fail("EMPTY", firstLine, "No JSON text");

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = messageOf(error);
    const line = firstLine + jsonErrorLine(text, message);
    return fail("JSON_INVALID", line, `Invalid JSON: ${shortJsonMessage(message)}`);
  }

  let entries: unknown;
  let shape: KbSummary["shape"];
  if (Array.isArray(document)) {
    entries = document;
    shape = "array";
  } else if (isPlainObject(document) && Array.isArray(document["entries"])) {
    entries = document["entries"];
    shape = "object";
  } else {
    return fail(
      "SHAPE",
      firstLine,
      'Not a KB: expected a JSON array of entries or an object with an "entries" array',
    );
  }

  const list = entries as unknown[];
  let blocking = 0;
  const nonBooleanBlocking: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!isPlainObject(entry)) {
      return fail(
        "ENTRY_NOT_OBJECT",
        firstLine,
        `Entry ${i} is ${describeJson(entry)}, not a JSON object`,
      );
    }
    const flag = entry["blocking"];
    if (flag === true) blocking++;
    else if (flag !== undefined && flag !== false) nonBooleanBlocking.push(i);
  }
  const scan = mayNameTwice(text, document) ? scanJsonText(text) : null;
  const duplicateMembers = scan?.ok
    ? scan.duplicates.map((d) => ({ name: d.name, line: d.line + firstLine - 1 }))
    : [];
  return {
    ok: true,
    kb: {
      summary: {
        shape,
        entries: list.length,
        blocking,
        nonBooleanBlocking,
        ...(duplicateMembers.length > 0 ? { duplicateMembers } : {}),
      },
      document: document as unknown[] | Record<string, unknown>,
      entries: list as Record<string, unknown>[],
    },
  };
}

/**
 * Whether the text may give a member name twice in one object; `false` is a proof that it does
 * not, without the strict scan (which costs a gate, run cold, several times `JSON.parse`). Every
 * member name is a closing quote, maybe white space, then a colon; a string that holds `"` then
 * `:` looks the same. The parsed objects hold one key per distinct name. So colons after a quote =
 * names + such strings, keys = names - repeats, and equal counts leave no repeat.
 */
function mayNameTwice(text: string, document: unknown): boolean {
  // for-in is the fastest walk of the keys, and JSON.parse's objects have only their own: unless
  // something made a property of Object.prototype enumerable, then the walk would count it too.
  for (const _ in Object.prototype) return true;
  let colons = 0;
  for (let i = text.indexOf(":"); i !== -1; i = text.indexOf(":", i + 1)) {
    let j = i - 1;
    let c = text.charCodeAt(j);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(--j);
    if (c === 0x22) colons++;
  }
  let keys = 0;
  const stack: unknown[] = [document];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === "object" && item !== null) stack.push(item);
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key in record) {
      keys++;
      const item = record[key];
      if (typeof item === "object" && item !== null) stack.push(item);
    }
  }
  return colons !== keys;
}

/**
 * Tells whether a value is a JSON object (not `null`, not an array).
 *
 * @param value Any parsed JSON value.
 * @returns `true` for a plain object.
 * @example
 * ```ts
 * import { isPlainObject } from "./kb_parse.ts";
 * if (!isPlainObject({}) || isPlainObject([]) || isPlainObject(null)) throw new Error();
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
