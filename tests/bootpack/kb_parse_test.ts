import { deepEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { parseKb } from "../../lib/bootpack/kb_parse.ts";
import { scanJsonText } from "../../lib/bootpack/json_text.ts";

function problem(text: string, firstLine = 1): { code: string; line: number | null } | null {
  const r = parseKb(text, { firstLine });
  return r.ok ? null : { code: r.diagnostic.code, line: r.diagnostic.line };
}

Deno.test("parseKb() counts entries and blocking true (JSON boolean only)", () => {
  const r = parseKb(
    '[{"id":"a","blocking":true},{"id":"b","blocking":"true"},{"id":"c","blocking":false}]',
  );
  equal(r.ok, true);
  if (r.ok) {
    deepEqual(r.kb.summary, { shape: "array", entries: 3, blocking: 1, nonBooleanBlocking: [1] });
  }
});

Deno.test("parseKb() accepts an object with an entries array and keeps its other members", () => {
  const r = parseKb('{"version":2,"entries":[{"id":"a","blocking":true}]}');
  equal(r.ok && r.kb.summary.shape, "object");
  equal(r.ok && (r.kb.document as Record<string, unknown>)["version"], 2);
  equal(r.ok && r.kb.entries.length, 1);
});

Deno.test("parseKb() rejects what is not a KB, with a code and line", () => {
  deepEqual(problem("", 5), { code: "KB_EMPTY", line: 5 });
  deepEqual(problem("{}"), { code: "KB_SHAPE", line: 1 });
  deepEqual(problem('{"entries": 3}'), { code: "KB_SHAPE", line: 1 });
  deepEqual(problem("[1]"), { code: "KB_ENTRY_NOT_OBJECT", line: 1 });
  deepEqual(problem("[null]"), { code: "KB_ENTRY_NOT_OBJECT", line: 1 });
  deepEqual(problem("[[]]"), { code: "KB_ENTRY_NOT_OBJECT", line: 1 });
  deepEqual(problem('[\n{"a":1}\n\uFEFF]'), { code: "KB_BOM", line: 3 });
  deepEqual(problem('[\n{"a":1},\n]', 10), { code: "KB_JSON_INVALID", line: 12 });
  deepEqual(problem('[\n{"a":1}\n'), { code: "KB_JSON_INVALID", line: 3 });
  deepEqual(problem("[\n{'a':1}]"), { code: "KB_JSON_INVALID", line: 2 });
  deepEqual(problem("[\n{}]\n// comment"), { code: "KB_JSON_INVALID", line: 3 });
});

Deno.test("parseKb() locates the line of an unexpected token anywhere in a long KB", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 0, max: 60 }),
      fc.constantFrom("x", "'", "/", "#"),
      (n, at, bad) => {
        const k = at % n;
        const lines = Array.from(
          { length: n },
          (_, i) => `  {"id": "e${i}", "pad": "${"p".repeat(i % 13)}"},`,
        );
        lines[k] = `  ${bad}{"id": "bad"},`;
        const text = "[\n" + lines.join("\n") + '\n  {"id": "last"}\n]';
        deepEqual(problem(text), { code: "KB_JSON_INVALID", line: k + 2 });
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("parseKb() counts generated KBs exactly", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          id: fc.string(),
          blocking: fc.constantFrom(true, false, undefined, "yes", 1, null),
        }),
      ),
      fc.boolean(),
      (entries, wrap) => {
        const clean = entries.map((e) => (e.blocking === undefined ? { id: e.id } : e));
        const r = parseKb(JSON.stringify(wrap ? { entries: clean } : clean, null, 2));
        equal(r.ok, true);
        if (!r.ok) return;
        equal(r.kb.summary.entries, entries.length);
        equal(r.kb.summary.blocking, entries.filter((e) => e.blocking === true).length);
        equal(
          r.kb.summary.nonBooleanBlocking.length,
          entries.filter((e) => e.blocking !== undefined && typeof e.blocking !== "boolean").length,
        );
      },
    ),
  );
});

Deno.test("parseKb() reports every repeated member name the strict scan finds, and only those", () => {
  // Texts built by hand, so that names repeat, and string values hold `":` (which the quick
  // count of member names also matches): the quick proof of no repeat must never hide one.
  const name = fc.constantFrom("id", "blocking", "title", "a\\u0069d", "x");
  const leaf = fc.constantFrom('"v"', '"\\":"', '"a\\" :"', '":"', "1", "true", "null", "[]");
  const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(fc.tuple(name, tie("v")), { maxLength: 4 }).map((members) =>
        `{${members.map(([k, v]) => `"${k}" :${v}`).join(",\n")}}`
      ),
    ),
  })).v;
  const entry = fc.array(fc.tuple(name, value), { maxLength: 5 }).map((members) =>
    `{${members.map(([k, v]) => `"${k}": ${v}`).join(", ")}}`
  );
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
      const text = `[\n${entries.join(",\n")}\n]`;
      const r = parseKb(text);
      equal(r.ok, true);
      if (!r.ok) return;
      const scan = scanJsonText(text);
      equal(scan.ok, true);
      if (!scan.ok) return;
      deepEqual(r.kb.summary.duplicateMembers ?? [], scan.duplicates);
    }),
    { numRuns: 500 },
  );
});
