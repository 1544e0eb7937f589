import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { exactNumber, scanJsonText } from "../../lib/bootpack/json_text.ts";
import { ROOT } from "../_helpers.ts";

const SUITE = `${ROOT}/../../shared/data/JSONTestSuite/test_parsing`;

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return !text.includes("\uFEFF");
  } catch {
    return false;
  }
}

Deno.test("scanJsonText() accepts exactly what JSON.parse accepts on JSONTestSuite", async () => {
  let dir = SUITE;
  try {
    await Deno.stat(dir);
  } catch {
    dir = "/work/shared/data/JSONTestSuite/test_parsing";
  }
  let checked = 0;
  const disagree: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    const bytes = await Deno.readFile(`${dir}/${e.name}`);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      continue;
    }
    checked++;
    if (scanJsonText(text).ok !== parses(text)) disagree.push(e.name);
  }
  ok(checked > 250, `only ${checked} corpus files`);
  deepEqual(disagree, []);
});

Deno.test("scanJsonText() agrees with JSON.parse on generated and mutated JSON", () => {
  fc.assert(
    fc.property(fc.json(), fc.nat(), fc.string({ maxLength: 2 }), (json, at, junk) => {
      equal(scanJsonText(json).ok, true);
      const k = json.length === 0 ? 0 : at % json.length;
      const mutated = json.slice(0, k) + junk + json.slice(k + 1);
      equal(scanJsonText(mutated).ok, parses(mutated), mutated);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("scanJsonText() finds the entries' spans of an array KB and of an object KB", () => {
  const arr = '[ {"id":"a"},\n  {"id":"b","x":[1,{"y":2}]} ]';
  const r = scanJsonText(arr);
  ok(r.ok && r.entries);
  deepEqual(r.entries.entries.map((s) => arr.slice(s.start, s.end)), [
    '{"id":"a"}',
    '{"id":"b","x":[1,{"y":2}]}',
  ]);
  equal(arr[r.entries.open], "[");
  equal(r.entries.close, arr.length - 1);
  const obj = '{"v":[9],"entries":[{"id":"a"}],"z":{"entries":[1]}}';
  const o = scanJsonText(obj);
  ok(o.ok && o.entries);
  deepEqual(o.entries.entries.map((s) => obj.slice(s.start, s.end)), ['{"id":"a"}']);
  equal(o.entries.memberCount, 1);
  const none = scanJsonText('{"v":1}');
  ok(none.ok);
  equal(none.entries, null);
});

Deno.test("scanJsonText() reports duplicate member names with their line, escapes decoded", () => {
  const r = scanJsonText(
    '[{"id":"A",\n"id":"B"},\n{"blocking":true,"blocking":false},{"a":{"\\u0061":1,"a":2}}]',
  );
  ok(r.ok);
  deepEqual(r.duplicates, [
    { name: "id", line: 2 },
    { name: "blocking", line: 3 },
    { name: "a", line: 3 },
  ]);
  const root = scanJsonText('{"entries":[],\r\n"entries":[{"id":"x"}]}');
  ok(root.ok && root.entries);
  equal(root.entries.memberCount, 2);
  equal(root.entries.entries.length, 1);
});

Deno.test("exactNumber() refuses exactly the literals a parse changes", () => {
  for (const t of ["0", "-0", "0.1", "1.50E2", "1e21", "123456789012345680000", "5e-324", "-2.5"]) {
    ok(exactNumber(t), t);
  }
  for (
    const t of [
      "1e400",
      "-1e400",
      "1e-400",
      "0.10000000000000000000001",
      "9007199254740993",
      "-12345678901234567890",
    ]
  ) ok(!exactNumber(t), t);
  const r = scanJsonText('{"a":[1e400,\n-1e400,1e-400],"b":"1e400"}');
  ok(r.ok);
  deepEqual(r.inexactNumbers, [
    { token: "1e400", line: 1 },
    { token: "-1e400", line: 2 },
    { token: "1e-400", line: 2 },
  ]);
});

Deno.test("exactNumber() agrees with a round trip for every double", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
      ok(exactNumber(JSON.stringify(d)));
    }),
  );
});

Deno.test("scanJsonText() handles 200,000 entries and deep nesting without overflow", () => {
  const big = "[" + Array.from({ length: 200_000 }, (_, i) => `{"id":"E${i}"}`).join(",\n") + "]";
  const r = scanJsonText(big);
  ok(r.ok && r.entries);
  equal(r.entries.entries.length, 200_000);
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  ok(scanJsonText(deep).ok);
});
