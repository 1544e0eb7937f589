import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { appendEntry, type KbEntry, parseEntry } from "../../lib/bootpack/kb_entry.ts";

function entry(text: string): KbEntry {
  const r = parseEntry(text);
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r.entry;
}

function codeOf(text: string): string {
  const r = parseEntry(text);
  return r.ok ? "ok" : r.diagnostic.code;
}

Deno.test("appendEntry() inserts the entry's text, every existing byte kept, CRLF and indent", () => {
  const kb =
    '[\r\n  {"id": "a", "n": 1e400, "d": 0.10000000000000000000001, "s": "\\u00e9"}\r\n]\r\n';
  const r = appendEntry(kb, entry('{\n  "id": "b"\n}\n'));
  ok(r.ok);
  equal(
    r.text,
    '[\r\n  {"id": "a", "n": 1e400, "d": 0.10000000000000000000001, "s": "\\u00e9"},\r\n' +
      '  {\r\n    "id": "b"\r\n  }\r\n]\r\n',
  );
  equal(r.entries, 2);
});

Deno.test("appendEntry() reuses the separator of the last two entries (inline and tabs)", () => {
  const inline = appendEntry('[{"id":"a"}, {"id":"c"}]', entry('{"id":"b"}'));
  ok(inline.ok);
  equal(inline.text, '[{"id":"a"}, {"id":"c"}, {"id":"b"}]');
  const tabs = appendEntry('{\n\t"entries": [\n\t\t{"id":"a"}\n\t]\n}', entry('{"id":"b"}'));
  ok(tabs.ok);
  equal(tabs.text, '{\n\t"entries": [\n\t\t{"id":"a"},\n\t\t{"id":"b"}\n\t]\n}');
});

Deno.test("appendEntry() fills an empty array one step in, other members untouched", () => {
  const bare = appendEntry("[]", entry('{"id":"b"}'));
  ok(bare.ok);
  equal(bare.text, '[\n  {"id":"b"}\n]');
  const obj = appendEntry(
    '{\n  "v": 1e400,\n  "entries": [],\n  "z": true\n}\n',
    entry('{"id":"b"}'),
  );
  ok(obj.ok);
  equal(obj.text, '{\n  "v": 1e400,\n  "entries": [\n    {"id":"b"}\n  ],\n  "z": true\n}\n');
  equal(obj.entries, 1);
});

Deno.test("appendEntry() refuses a duplicate id, two entries members and an invalid KB", () => {
  const dup = appendEntry('[{"id":"b"}]', entry('{"id":"b"}'));
  ok(!dup.ok);
  equal(dup.diagnostic.code, "ENTRY_ID_DUPLICATE");
  const two = appendEntry('{"entries":[],"entries":[]}', entry('{"id":"b"}'));
  ok(!two.ok);
  equal(two.diagnostic.code, "KB_DUPLICATE_MEMBER");
  const bad = appendEntry('[\n{"id":"a"},\n]', entry('{"id":"b"}'));
  ok(!bad.ok);
  deepEqual([bad.diagnostic.code, bad.diagnostic.line], ["KB_JSON_INVALID", 3]);
});

Deno.test("parseEntry() refuses duplicate members and inexact numbers, with their line", () => {
  deepEqual(
    [
      '{"id":""}',
      "1",
      "{",
      '{"id":"A","id":"B"}',
      '{"id":"a","blocking":true,"blocking":false}',
      '{"id":"a","n":1e400}',
      '{"id":"a","n":-1e400}',
      '{"id":"a","n":1e-400}',
      '{"id":"a","n":0.10000000000000000000001}',
      '{"id":"a","n":9007199254740993}',
    ].map(codeOf),
    [
      "ENTRY_ID_MISSING",
      "ENTRY_NOT_OBJECT",
      "ENTRY_JSON_INVALID",
      "ENTRY_DUPLICATE_MEMBER",
      "ENTRY_DUPLICATE_MEMBER",
      "ENTRY_NUMBER_INEXACT",
      "ENTRY_NUMBER_INEXACT",
      "ENTRY_NUMBER_INEXACT",
      "ENTRY_NUMBER_INEXACT",
      "ENTRY_NUMBER_INEXACT",
    ],
  );
  const r = parseEntry('{\n"id":"a",\n"x":{"k":1,\n"k":2}}');
  ok(!r.ok);
  equal(r.diagnostic.line, 4);
  equal(codeOf('{"id":"a","n":"12345678901234567890","m":9007199254740992,"f":0.1}'), "ok");
});

Deno.test("appendEntry() result parses to the old entries plus the new one (property)", () => {
  const value = fc.jsonValue({ noUnicodeString: false }).filter((v) => !Number.isNaN(v));
  fc.assert(
    fc.property(
      fc.array(fc.dictionary(fc.string(), value), { maxLength: 5 }),
      fc.dictionary(fc.string(), value),
      fc.boolean(),
      (olds, extra, pretty) => {
        const list = olds.map((o, i) => ({ ...o, id: `o${i}` }));
        const kb = JSON.stringify(list, null, pretty ? 2 : undefined);
        const e = parseEntry(JSON.stringify({ ...extra, id: "new" }, null, pretty ? 2 : undefined));
        if (!e.ok) return; // an inexact number in the generated entry: refused, fine
        const r = appendEntry(kb, e.entry);
        if (kb.includes("\uFEFF")) {
          // SPEC §2: a U+FEFF anywhere in the KB's JSON is refused, even inside a string.
          ok(!r.ok);
          return;
        }
        ok(r.ok);
        deepEqual(JSON.parse(r.text), [...JSON.parse(kb), e.entry.value]);
      },
    ),
  );
});

Deno.test("appendEntry() turns every line break of the entry (CRLF, LF, lone CR) into the KB's", () => {
  const r = appendEntry('[\r\n  {"id":"a"}\r\n]', entry('{\r"id":"b",\n"n":1\r\n}'));
  ok(r.ok);
  equal(r.text, '[\r\n  {"id":"a"},\r\n  {\r\n  "id":"b",\r\n  "n":1\r\n  }\r\n]');
});
