import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import { type BootPack, joinLines, parseBootPack } from "../../lib/bootpack/parse.ts";
import { renderBootPack, type RenderKb } from "../../lib/bootpack/render.ts";

const OLD_SHA = "0123456789abcdef".repeat(4);

const textLine = fc.string({ maxLength: 30 }).filter((s) =>
  !s.includes("[") && !s.includes("`") && !s.includes("\n") && !s.includes("\r")
);

const bootpackArb = fc.record({
  crlf: fc.boolean(),
  intro: fc.array(textLine, { maxLength: 3 }),
  notes: fc.option(fc.array(textLine, { maxLength: 3 }), { nil: null }),
  snapshot: fc.constantFrom("fenced", "tagged", "blank", "absent"),
  oldJson: fc.constantFrom("[]", '[{"id":"x"}]', "{bad", '{"entries": [1]}'),
  pointer: fc.boolean(),
  keys: fc.subarray(["Path", "SHA256", "Entries"] as const, { minLength: 0 }),
  sep: fc.constantFrom("=", ":", " = "),
  quote: fc.constantFrom("", '"', "'"),
  unknownKey: fc.boolean(),
  pointerFirst: fc.boolean(),
  finalNewline: fc.boolean(),
});

type Pack = typeof bootpackArb extends fc.Arbitrary<infer T> ? T : never;

function buildBootPack(p: Pack): string {
  const parts: string[] = [...p.intro];
  const snapshot: string[] = [];
  if (p.snapshot !== "absent") {
    snapshot.push("[BUG_KB_JSON]");
    if (p.snapshot === "blank") snapshot.push("");
    else snapshot.push(p.snapshot === "tagged" ? "```json" : "```", p.oldJson, "```");
  }
  const pointer: string[] = [];
  if (p.pointer) {
    pointer.push("[BUG_KB_JSON_POINTER]");
    for (const k of p.keys) {
      const v = k === "Path"
        ? `${p.quote}\\\\DS-918\\kb\\BUG_KB.json.txt${p.quote}`
        : k === "SHA256"
        ? OLD_SHA
        : "7";
      pointer.push(`${k}${p.sep}${v}`);
    }
    if (p.unknownKey) pointer.push("Owner=ops");
  }
  if (p.pointerFirst) parts.push(...pointer, ...snapshot);
  else parts.push(...snapshot, ...pointer);
  if (p.notes) parts.push("[NOTES]", ...p.notes);
  const eol = p.crlf ? "\r\n" : "\n";
  return parts.join(eol) + (p.finalNewline ? eol : "");
}

const kbArb = fc.record({
  ids: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 6 }),
  crlf: fc.boolean(),
  object: fc.boolean(),
  finalNewline: fc.boolean(),
  sha: fc.stringMatching(/^[0-9a-f]{64}$/),
}).map((k): RenderKb => {
  const entries = k.ids.map((id) => ({ id }));
  let text = JSON.stringify(k.object ? { entries } : entries, null, 2);
  if (k.finalNewline) text += "\n";
  if (k.crlf) text = text.replaceAll("\n", "\r\n");
  return { text, sha256: k.sha, entries: entries.length, path: "/srv/kb/BUG_KB.json.txt" };
});

/** Lines outside the SNAPSHOT and POINTER sections, joined back to text. */
function outside(bp: BootPack): string {
  const inSection = (line: number): boolean =>
    [bp.snapshot, bp.pointer].some((s) => s !== null && line >= s.headerLine && line < s.endLine);
  return joinLines(bp.lines.filter((_, i) => !inSection(i + 1)));
}

Deno.test("renderBootPack() gives a valid, up-to-date BootPack that keeps every other byte", () => {
  fc.assert(
    fc.property(bootpackArb, kbArb, (p, kb) => {
      const old = buildBootPack(p);
      const r = renderBootPack(old, kb);
      if (!r.ok) throw new Error(`${r.diagnostic.code}: ${r.diagnostic.message}\n${old}`);
      const bp = parseBootPack(r.text);
      deepEqual(bp.violations, []);
      const eol = parseBootPack(old).lineEnding ?? (kb.text.includes("\r\n") ? "\r\n" : "\n");
      const expected = kb.text.replace(/\r?\n$/, "").split(/\r?\n/).join(eol) + eol;
      equal(bp.snapshot?.json, expected, "SNAPSHOT is not the KB's text");
      equal(bp.snapshot?.kb?.entries, kb.entries);
      equal(bp.pointer?.sha256?.raw, kb.sha256.toUpperCase());
      equal(bp.pointer?.entries?.value, kb.entries);
      const oldPath = parseBootPack(old).pointer?.path?.raw;
      equal(bp.pointer?.path?.raw, oldPath ?? kb.path, "Path not kept as written");
      // Every byte outside the two sections is kept; appending adds only line breaks.
      const before = outside(parseBootPack(old));
      const after = outside(bp);
      ok(after.startsWith(before), "bytes outside the sections changed");
      ok(/^[\r\n]*$/.test(after.slice(before.length)), "more than line breaks were added");
      // Idempotent.
      const again = renderBootPack(r.text, kb);
      ok(again.ok);
      equal(again.text, r.text, "a second rebuild changed the BootPack");
    }),
    { numRuns: 400 },
  );
});

Deno.test("renderBootPack() keeps CRLF, keeps a UNC Path, writes the POINTER canonically", () => {
  const old = "intro\r\n[BUG_KB_JSON]\r\n```json\r\n[]\r\n```\r\n\r\n[BUG_KB_JSON_POINTER]\r\n" +
    "  path : \\\\DS-918\\kb\\BUG_KB.json.txt\r\nsha256: zz\r\nOwner=ops\r\n\r\n[NOTES]\r\nend";
  const r = renderBootPack(old, {
    text: '[\n  {"id": "a"}\n]\n',
    sha256: "ab".repeat(32),
    entries: 1,
    path: null,
  });
  ok(r.ok);
  equal(
    r.text,
    'intro\r\n[BUG_KB_JSON]\r\n```\r\n[\r\n  {"id": "a"}\r\n]\r\n```\r\n\r\n' +
      "[BUG_KB_JSON_POINTER]\r\nPath=\\\\DS-918\\kb\\BUG_KB.json.txt\r\nSHA256=" +
      "AB".repeat(32) + "\r\nEntries=1\r\nOwner=ops\r\n\r\n[NOTES]\r\nend",
  );
});

const REFUSED: [string, string, string][] = [
  [
    "a second SNAPSHOT",
    "[BUG_KB_JSON]\n```\n[]\n```\n[BUG_KB_JSON]\n```\n[]\n```\n",
    "SNAPSHOT_DUPLICATE",
  ],
  [
    "a second POINTER",
    "[BUG_KB_JSON_POINTER]\nPath=a\n[BUG_KB_JSON_POINTER]\nPath=b\n",
    "POINTER_DUPLICATE",
  ],
  ["an unclosed fence", "[BUG_KB_JSON]\n```\n[]\n[NOTES]\n", "FENCE_UNCLOSED"],
  ["an extra fence", "[BUG_KB_JSON]\n```\n[]\n```\n```\n", "FENCE_UNBALANCED"],
  ["text before the fence", "[BUG_KB_JSON]\nsee below\n```\n[]\n```\n", "FENCE_MISSING"],
  ["a repeated key", "[BUG_KB_JSON_POINTER]\nPath=a\nPath=b\n", "POINTER_KEY_DUPLICATE"],
  ["an unclosed quote", '[BUG_KB_JSON_POINTER]\nPath="a\n', "POINTER_PATH_QUOTE"],
];

for (const [what, text, code] of REFUSED) {
  Deno.test(`renderBootPack() refuses ${what} (${code})`, () => {
    const r = renderBootPack(text, {
      text: "[]\n",
      sha256: "ab".repeat(32),
      entries: 0,
      path: "/kb.json",
    });
    ok(!r.ok);
    equal(r.diagnostic.code, code);
  });
}

Deno.test("renderBootPack() refuses a BootPack without a Path when no KB path is given", () => {
  for (const text of ["notes\n", "[BUG_KB_JSON_POINTER]\nSHA256=x\n"]) {
    const r = renderBootPack(text, {
      text: "[]\n",
      sha256: "ab".repeat(32),
      entries: 0,
      path: null,
    });
    ok(!r.ok, text);
  }
});
