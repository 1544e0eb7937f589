import { deepEqual, equal, ok } from "node:assert/strict";
import { appendEntry, type KbEntry, parseEntry } from "../../lib/bootpack/kb_entry.ts";

function entry(text: string): KbEntry {
  const r = parseEntry(text);
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r.entry;
}

Deno.test("appendEntry() keeps the array shape, CRLF and a missing final newline", () => {
  const crlf = appendEntry('[\r\n  {"id": "a"}\r\n]\r\n', entry('{"id":"b"}'));
  ok(crlf.ok);
  equal(crlf.text, '[\r\n  {\r\n    "id": "a"\r\n  },\r\n  {\r\n    "id": "b"\r\n  }\r\n]\r\n');
  const bare = appendEntry("[]", entry('{"id":"b"}'));
  ok(bare.ok);
  equal(bare.text, '[\n  {\n    "id": "b"\n  }\n]');
});

Deno.test("appendEntry() keeps an object KB's other members in order", () => {
  const r = appendEntry('{"v":1,"entries":[],"z":true}\n', entry('{"id":"b"}'));
  ok(r.ok);
  deepEqual(JSON.parse(r.text), { v: 1, entries: [{ id: "b" }], z: true });
  equal(r.entries, 1);
});

Deno.test("appendEntry() refuses a duplicate id and an invalid KB with its code and line", () => {
  const dup = appendEntry('[{"id":"b"}]', entry('{"id":"b"}'));
  ok(!dup.ok);
  equal(dup.diagnostic.code, "ENTRY_ID_DUPLICATE");
  const bad = appendEntry('[\n{"id":"a"},\n]', entry('{"id":"b"}'));
  ok(!bad.ok);
  deepEqual([bad.diagnostic.code, bad.diagnostic.line], ["KB_JSON_INVALID", 3]);
});

Deno.test("parseEntry() checks JSON, object and id; a long integer inside a string is fine", () => {
  equal(entry('{"id":"a","n":"12345678901234567890"}').id, "a");
  const codes = ['{"id":""}', "1", "{", '{"id":"a","n":-12345678901234567890}'].map((t) => {
    const r = parseEntry(t);
    return r.ok ? "ok" : r.diagnostic.code;
  });
  deepEqual(codes, [
    "ENTRY_ID_MISSING",
    "ENTRY_NOT_OBJECT",
    "ENTRY_JSON_INVALID",
    "ENTRY_NUMBER_PRECISION",
  ]);
});
