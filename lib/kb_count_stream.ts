/**
 * Counting a KB's Entries and Blocking from a stream of text chunks, with bounded memory: the
 * large-file path of the gates (a whole 50 MiB KB parsed with `JSON.parse` costs five times its
 * size in memory). Built on `npm:@streamparser/json` (strict JSON, as `JSON.parse`): entries are
 * emitted one at a time and dropped once counted. Same rules and reason codes as
 * {@linkcode parseKb}.
 *
 * @module
 */

import type { Diagnostic } from "./diagnostic.ts";
import { isPlainObject, type KbSummary, type ParseKbOptions } from "./kb_parse.ts";

/** Result of {@linkcode KbStreamCounter.finish}. */
export type KbCountResult =
  | { readonly ok: true; readonly summary: KbSummary }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/** Counts a KB pushed as chunks of text or of UTF-8 bytes. */
export interface KbStreamCounter {
  /** Feeds the next chunk of the KB's text. Never throws: a problem is kept for `finish`. */
  push(text: string): void;
  /**
   * Feeds the next chunk as UTF-8 bytes (valid UTF-8, checked by the caller); the chunk may be
   * reused by the caller once this returns.
   */
  pushBytes(bytes: Uint8Array): void;
  /** Ends the input and gives the counts, or the first problem. */
  finish(): KbCountResult;
}

interface EmittedValue {
  readonly value?: unknown;
  readonly key?: string | number | undefined;
  readonly parent?: unknown;
  readonly stack: readonly { readonly key?: string | number | undefined }[];
}

/**
 * Creates a streaming KB counter (loads the streaming parser on first use, so that the gates pay
 * for it only on large files).
 *
 * @param options Line offset and reason-code prefix, as for {@linkcode parseKb}.
 * @returns The counter.
 * @example
 * ```ts
 * import { createKbStreamCounter } from "./kb_count_stream.ts";
 * const counter = await createKbStreamCounter();
 * counter.push('[{"id":"a","bloc');
 * counter.push('king":true},{"id":"b"}]');
 * const r = counter.finish();
 * if (!r.ok || r.summary.entries !== 2 || r.summary.blocking !== 1) throw new Error();
 * ```
 */
export async function createKbStreamCounter(
  options: ParseKbOptions = {},
): Promise<KbStreamCounter> {
  const { JSONParser, TokenType } = await import("@streamparser/json");
  const firstLine = options.firstLine ?? 1;
  const prefix = options.codePrefix ?? "KB_";
  const parser = new JSONParser({ paths: ["$.*", "$.entries.*"], keepStack: false });

  // Problems rank as in parseKb: a BOM anywhere first, then invalid JSON, then the KB shape.
  let bomProblem: Diagnostic | null = null;
  let jsonProblem: Diagnostic | null = null;
  let shapeProblem: Diagnostic | null = null;
  let lines = 0; // newlines pushed before the current chunk
  let bytes = 0; // bytes pushed before the current chunk
  let root: string | undefined; // first non-blank character of the document
  let entries = 0;
  let blocking = 0;
  let nonBoolean: number[] = [];
  let entriesArray: unknown = null; // identity of the "entries" array being counted
  let hasEntriesArray = false;
  let ended = false;

  const problem = (code: string, line: number | null, message: string): Diagnostic => ({
    code: prefix + code,
    line,
    message,
  });
  const reset = (array: unknown): void => {
    entriesArray = array;
    entries = 0;
    blocking = 0;
    nonBoolean = [];
  };
  const count = (entry: unknown): void => {
    if (!isPlainObject(entry)) {
      shapeProblem ??= problem(
        "ENTRY_NOT_OBJECT",
        firstLine,
        `Entry ${entries} is not a JSON object`,
      );
      entries++;
      return;
    }
    const flag = entry["blocking"];
    if (flag === true) blocking++;
    else if (flag !== undefined && flag !== false) nonBoolean.push(entries);
    entries++;
  };

  parser.onValue = (emitted: EmittedValue) => {
    const depth = emitted.stack.length;
    if (root === "[" && depth === 1) {
      count(emitted.value);
    } else if (root === "{" && depth === 2 && emitted.stack[1]?.key === "entries") {
      // A second "entries" member replaces the first, as in JSON.parse: count it afresh.
      if (emitted.parent !== entriesArray) reset(emitted.parent);
      count(emitted.value);
    } else if (root === "{" && depth === 1 && emitted.key === "entries") {
      hasEntriesArray = Array.isArray(emitted.value);
      // An empty "entries" array emits no entry, yet replaces an earlier one.
      if (!hasEntriesArray || emitted.value !== entriesArray) reset(emitted.value);
    }
  };
  parser.onEnd = () => {
    ended = true;
  };
  // The grammar's errors do not say where they are: remember where the last token started.
  // The parser also lets a trailing comma before the root object's closing brace through, which
  // JSON.parse rejects: refuse a comma right before any closing token here.
  let lastTokenOffset = -1;
  let lastToken = -1;
  parser.onToken = (info: { readonly token: number; readonly offset: number }) => {
    if (
      lastToken === TokenType.COMMA &&
      (info.token === TokenType.RIGHT_BRACE || info.token === TokenType.RIGHT_BRACKET)
    ) {
      lastTokenOffset = info.offset;
      throw new SyntaxError("Unexpected closing token after a comma");
    }
    lastToken = info.token;
    lastTokenOffset = info.offset;
  };

  let current: Uint8Array = new Uint8Array(0);
  const encoder = new TextEncoder();
  let scratch = new Uint8Array(1 << 16);
  let tail = new Uint8Array(0); // last two bytes pushed, to see a BOM cut between chunks

  /** 0-based line, inside the chunk being written, of a parser error. */
  const errorLine = (error: unknown): number => {
    const m = /at position "?(\d+)"?/.exec(error instanceof Error ? error.message : "");
    const offset = m ? Number(m[1]) : lastTokenOffset;
    if (offset < 0) return countNewlines(current, current.length);
    return countNewlines(current, Math.max(0, offset - bytes));
  };

  const pushBytes = (chunk: Uint8Array): void => {
    if (chunk.length === 0 || bomProblem) return;
    const bom = findBom(tail, chunk);
    if (bom !== -1) {
      bomProblem = problem(
        "BOM",
        firstLine + lines + countNewlines(chunk, Math.max(0, bom)),
        "Byte order mark U+FEFF in the JSON",
      );
      return;
    }
    tail = chunk.slice(Math.max(0, chunk.length - 2));
    if (root === undefined) {
      for (const b of chunk) {
        if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) {
          root = String.fromCharCode(b);
          break;
        }
      }
    }
    if (!jsonProblem) {
      current = chunk;
      try {
        parser.write(chunk);
      } catch (error) {
        jsonProblem = problem("JSON_INVALID", firstLine + lines + errorLine(error), invalid(error));
      }
      bytes += chunk.length;
    }
    lines += countNewlines(chunk, chunk.length);
  };

  return {
    pushBytes,
    push(text: string): void {
      if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
      const { written } = encoder.encodeInto(text, scratch);
      pushBytes(scratch.subarray(0, written));
    },
    finish(): KbCountResult {
      if (bomProblem) return { ok: false, diagnostic: bomProblem };
      if (root === undefined) {
        return { ok: false, diagnostic: problem("EMPTY", firstLine, "No JSON text") };
      }
      if (!jsonProblem && !ended) {
        try {
          parser.end();
        } catch (error) {
          jsonProblem = problem("JSON_INVALID", firstLine + lines, invalid(error));
        }
        if (!jsonProblem && !ended) {
          jsonProblem = problem("JSON_INVALID", firstLine + lines, "Invalid JSON: unexpected end");
        }
      }
      if (jsonProblem) return { ok: false, diagnostic: jsonProblem };
      if ((root !== "[" && root !== "{") || (root === "{" && !hasEntriesArray)) {
        shapeProblem = problem(
          "SHAPE",
          firstLine,
          'Not a KB: expected a JSON array of entries or an object with an "entries" array',
        );
      }
      if (shapeProblem) return { ok: false, diagnostic: shapeProblem };
      return {
        ok: true,
        summary: {
          shape: root === "[" ? "array" : "object",
          entries,
          blocking,
          nonBooleanBlocking: nonBoolean,
        },
      };
    },
  };
}

function invalid(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Positions count bytes of the whole stream: the line is given instead.
  return `Invalid JSON: ${
    message.replace(/ in state \w+$/, "").replace(/ at position "?\d+"?/, "")
  }`;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/** Offset in `chunk` of a UTF-8 BOM (EF BB BF), possibly begun in `tail`; -1 when none. */
function findBom(tail: Uint8Array, chunk: Uint8Array): number {
  for (let k = 1; k <= tail.length; k++) {
    // The BOM starts k bytes before the chunk.
    const joined = [...tail.subarray(tail.length - k), ...chunk.subarray(0, 3 - k)];
    if (joined.length === 3 && joined[0] === 0xef && joined[1] === 0xbb && joined[2] === 0xbf) {
      return 0;
    }
  }
  for (let i = chunk.indexOf(0xef); i !== -1; i = chunk.indexOf(0xef, i + 1)) {
    if (chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf) return i;
  }
  return -1;
}
