import { deepEqual } from "node:assert/strict";
import fc from "fast-check";
import { createKbStreamCounter } from "../../lib/gates/kb_count_stream.ts";
import { parseKb } from "../../lib/bootpack/kb_parse.ts";

function streamed(text: string, cuts: number[]): unknown {
  const counter = createKbStreamCounter({ firstLine: 3, codePrefix: "SNAPSHOT_" });
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (text.length + 1))].sort((a, b) => a - b)) {
    counter.push(text.slice(at, cut));
    at = Math.max(at, cut);
  }
  counter.push(text.slice(at));
  const r = counter.finish();
  return r.ok ? { ok: true, summary: r.summary } : { ok: false, code: r.diagnostic.code };
}

function whole(text: string): unknown {
  const r = parseKb(text, { firstLine: 3, codePrefix: "SNAPSHOT_" });
  if (!r.ok) return { ok: false, code: r.diagnostic.code };
  // The stream counter does not look for duplicate member names (the in-memory path does).
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
    " [ ] ",
    '{"entries": 1}',
    "[1]",
    "[[]]",
    "null",
    "  ",
  ),
);

const CHARS = "{}[],:\"\\ \t\n\r0123456789-+.eE/'xtrufalsn\u0000\u001f\ufeff\u2028".split("");

Deno.test("createKbStreamCounter() agrees with parseKb() on generated and mutated KBs, cut anywhere", () => {
  fc.assert(
    fc.property(
      kbText,
      fc.array(fc.record({ at: fc.nat(), ch: fc.constantFrom(...CHARS), del: fc.boolean() }), {
        maxLength: 2,
      }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (text, mutations, cuts) => {
        let t = text;
        for (const { at, ch, del } of mutations) {
          const i = t.length ? at % t.length : 0;
          t = del ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + ch + t.slice(i);
        }
        deepEqual(streamed(t, cuts), whole(t), JSON.stringify(t));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("createKbStreamCounter() reports the line of invalid JSON like parseKb()", () => {
  const text = '[\n  {"id": "a"},\n  {"id": "b"}\n  {"id": "c"}\n]\n';
  const counter = createKbStreamCounter({ firstLine: 10 });
  counter.push(text.slice(0, 20));
  counter.push(text.slice(20));
  const r = counter.finish();
  deepEqual(r.ok ? null : [r.diagnostic.code, r.diagnostic.line], ["KB_JSON_INVALID", 13]);
  const p = parseKb(text, { firstLine: 10 });
  deepEqual(p.ok ? null : p.diagnostic.line, 13);
});
