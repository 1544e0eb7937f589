import { deepEqual } from "node:assert/strict";
import fc from "fast-check";
import { createScanner, parse, type ParseError } from "jsonc-parser";

/** jsonc-parser's `SyntaxKind` values (a const enum, not importable here). */
const KIND = {
  LINE_COMMENT: 12,
  BLOCK_COMMENT: 13,
  LINE_BREAK: 14,
  TRIVIA: 15,
  UNKNOWN: 16,
  EOF: 17,
};
import { parseKb } from "../../lib/bootpack/kb_parse.ts";

/**
 * A strict JSON reader built on jsonc-parser, independent of `JSON.parse`: every token scanned
 * without error, no comment, white space only the four JSON characters, then its parse.
 */
function strictJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const scanner = createScanner(text, false);
  for (let kind = scanner.scan(); kind !== KIND.EOF; kind = scanner.scan()) {
    if (scanner.getTokenError() !== 0) return { ok: false };
    if (kind === KIND.LINE_COMMENT || kind === KIND.BLOCK_COMMENT) {
      return { ok: false };
    }
    if (kind === KIND.UNKNOWN) return { ok: false };
    const raw = text.slice(
      scanner.getTokenOffset(),
      scanner.getTokenOffset() + scanner.getTokenLength(),
    );
    if (kind === KIND.TRIVIA && !/^[ \t]*$/.test(raw)) return { ok: false };
    if (kind === KIND.LINE_BREAK && !/^(\r\n|\n|\r)$/.test(raw)) return { ok: false };
  }
  const errors: ParseError[] = [];
  const value = parse(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  return errors.length === 0 ? { ok: true, value } : { ok: false };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What a KB reader must answer, computed from the reference reader. */
function reference(text: string): unknown {
  if (text.includes("\ufeff")) return { ok: false, code: "SNAPSHOT_BOM" };
  if (!/[^ \t\n\r]/.test(text)) return { ok: false, code: "SNAPSHOT_EMPTY" };
  const r = strictJson(text);
  if (!r.ok) return { ok: false, code: "SNAPSHOT_JSON_INVALID" };
  const doc = r.value;
  const entries = Array.isArray(doc) ? doc : isObject(doc) ? doc["entries"] : undefined;
  if (!Array.isArray(entries)) return { ok: false, code: "SNAPSHOT_SHAPE" };
  let blocking = 0;
  const nonBooleanBlocking: number[] = [];
  for (const [i, e] of entries.entries()) {
    if (!isObject(e)) return { ok: false, code: "SNAPSHOT_ENTRY_NOT_OBJECT" };
    if (e["blocking"] === true) blocking++;
    else if (e["blocking"] !== undefined && e["blocking"] !== false) nonBooleanBlocking.push(i);
  }
  const shape = Array.isArray(doc) ? "array" : "object";
  return { ok: true, summary: { shape, entries: entries.length, blocking, nonBooleanBlocking } };
}

function read(text: string): unknown {
  const r = parseKb(text, { firstLine: 3, codePrefix: "SNAPSHOT_" });
  if (!r.ok) return { ok: false, code: r.diagnostic.code };
  // Duplicate member names are compared against JSON.parse and JSONTestSuite in
  // tests/bootpack/json_text_test.ts; the reference here does not find them.
  const { duplicateMembers: _, ...summary } = r.kb.summary;
  return { ok: true, summary };
}

const entry = fc.record({
  id: fc.string({ maxLength: 6 }),
  blocking: fc.constantFrom(true, false, "true", 1, null, undefined),
  nested: fc.option(fc.record({ blocking: fc.boolean() }), { nil: undefined }),
});

const kbText = fc.oneof(
  fc.array(entry).map((a) => JSON.stringify(a, null, 2)),
  fc.array(entry).map((a) => JSON.stringify({ version: 1, entries: a })),
  fc.json(),
  fc.constantFrom(
    '{"entries": [{"blocking": true}], "entries": []}',
    '{"entries": [1], "entries": [{"blocking": true}]}',
    '{"entries": [], "entries": {}}',
    '{"a": {"entries": []}, "entries": [{"x": 1}]}',
    '[{"s": "]}[{\\"\\\\"}, {"blocking": true, "t": "\\u005d"}]',
    '[{"n": 1e400, "m": -0.10000000000000000000001, "u": "\\ud800"}]',
    " [ ] ",
    '{"entries": 1}',
    "[1]",
    "[[]]",
    "null",
    "  ",
  ),
);

const CHARS =
  "{}[],:\"\\ \t\n\r0123456789-+.eE/'xtrufalsn\u0000\u001f\u00a0\ufeff\u2028\u000b\u000c*".split(
    "",
  );

Deno.test("parseKb() agrees with a jsonc-parser strict reader on generated and mutated KBs", () => {
  fc.assert(
    fc.property(
      kbText,
      fc.array(fc.record({ at: fc.nat(), ch: fc.constantFrom(...CHARS), del: fc.boolean() }), {
        maxLength: 3,
      }),
      (text, mutations) => {
        let t = text;
        for (const { at, ch, del } of mutations) {
          const i = t.length ? at % t.length : 0;
          t = del ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + ch + t.slice(i);
        }
        deepEqual(read(t), reference(t), JSON.stringify(t));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("parseKb() reports the line of invalid JSON from its first line", () => {
  const text = '[\n  {"id": "a"},\n  {"id": "b"}\n  {"id": "c"}\n]\n';
  const p = parseKb(text, { firstLine: 10 });
  deepEqual(p.ok ? null : [p.diagnostic.code, p.diagnostic.line], ["KB_JSON_INVALID", 13]);
});
