import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import fc from "fast-check";
import { decodeBootPack, joinLines, parseBootPack, splitLines } from "../../lib/bootpack/parse.ts";
import { ROOT } from "../_helpers.ts";

const FIXTURES = `${ROOT}/tests/fixtures/bootpack`;

interface Expected {
  accept: Record<string, { entries: number; blocking: number; warnings: string[] }>;
  reject: Record<string, { code: string; line: number | null }[]>;
}

const expected: Expected = JSON.parse(await Deno.readTextFile(`${FIXTURES}/expected.json`));

function check(bytes: Uint8Array): ReturnType<typeof parseBootPack> & { decodeCodes: string[] } {
  const decoded = decodeBootPack(bytes);
  const parsed = parseBootPack(decoded.text ?? "");
  if (decoded.text === null) {
    return { ...parsed, violations: decoded.violations, warnings: [], decodeCodes: [] };
  }
  return {
    ...parsed,
    violations: [...decoded.violations, ...parsed.violations],
    decodeCodes: decoded.violations.map((v) => v.code),
  };
}

function byLineThenCode(a: { code: string; line: number | null }, b: typeof a): number {
  return (a.line ?? 0) - (b.line ?? 0) || a.code.localeCompare(b.code);
}

Deno.test("parseBootPack() accepts every must-accept fixture with the expected counts", async () => {
  const names = Object.keys(expected.accept);
  assert(names.length >= 15);
  for (const name of names) {
    const want = expected.accept[name]!;
    const bp = check(await Deno.readFile(`${FIXTURES}/accept/${name}`));
    assertEquals(bp.violations, [], name);
    assertEquals(bp.snapshot?.kb?.entries, want.entries, name);
    assertEquals(bp.snapshot?.kb?.blocking, want.blocking, name);
    const warnings = bp.warnings.map((w) => w.code);
    for (const code of want.warnings.filter((c) => c.startsWith("POINTER_"))) {
      assert(warnings.includes(code), `${name}: expected warning ${code}`);
    }
    if (want.warnings.includes("BLOCKING_NOT_BOOLEAN")) {
      assertEquals(bp.snapshot?.kb?.nonBooleanBlocking.length, 1, name);
    }
  }
});

Deno.test("parseBootPack() reports every violation of each must-reject fixture with code and line", async () => {
  const names = Object.keys(expected.reject);
  assert(names.length >= 25);
  for (const name of names) {
    const bp = check(await Deno.readFile(`${FIXTURES}/reject/${name}`));
    const got = bp.violations.map((v) => ({ code: v.code, line: v.line })).sort(byLineThenCode);
    const want = [...expected.reject[name]!].sort(byLineThenCode);
    assertEquals(got, want, name);
  }
});

Deno.test("every fixture file is listed in expected.json, and every listed one exists", async () => {
  for (const kind of ["accept", "reject"] as const) {
    const files = [];
    for await (const e of Deno.readDir(`${FIXTURES}/${kind}`)) files.push(e.name);
    assertEquals(files.sort(), Object.keys(expected[kind]).sort(), kind);
  }
});

Deno.test("splitLines() and joinLines() give back the exact text, line endings included", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom("a", "b", "\r", "\n", "\r\n", " ", "[", "`")).map((p) => p.join("")),
      (text) => joinLines(splitLines(text)) === text,
    ),
    { numRuns: 500 },
  );
});

Deno.test("parseBootPack() records the fence and POINTER key lines that writers rely on", () => {
  const text =
    "x\r\n[BUG_KB_JSON]\r\n```\r\n[]\r\n```\r\n[BUG_KB_JSON_POINTER]\r\nPath=a\r\nSHA256=" +
    "A".repeat(64) + "\r\nEntries=0\r\n";
  const bp = parseBootPack(text);
  assertEquals(bp.violations, []);
  assertEquals(bp.lineEnding, "\r\n");
  assertEquals(bp.snapshot?.openFenceLine, 3);
  assertEquals(bp.snapshot?.closeFenceLine, 5);
  assertEquals(bp.snapshot?.json, "[]\r\n");
  assertEquals(bp.pointer?.path?.line, 7);
  assertEquals(bp.pointer?.sha256?.line, 8);
  assertEquals(bp.pointer?.entries?.line, 9);
});

Deno.test("decodeBootPack() rejects invalid UTF-8 with the line of the first bad byte", () => {
  const bytes = new TextEncoder().encode("ok\nok\nbad:X\n");
  bytes[9] = 0xff;
  const r = decodeBootPack(bytes);
  assertEquals(r.text, null);
  assertEquals(r.violations, [{
    code: "BOOTPACK_INVALID_UTF8",
    line: 3,
    message: "The BootPack is not valid UTF-8",
  }]);
});

// ---- property-based tests on generated and mutated BootPacks ----

const SHA = "0123456789abcdef".repeat(4);

const entryArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: 8 }),
  blocking: fc.option(fc.boolean(), { nil: undefined }),
  title: fc.string({ maxLength: 20 }),
}).map((e) => (e.blocking === undefined ? { id: e.id, title: e.title } : e));

const validArb = fc.record({
  entries: fc.array(entryArb, { maxLength: 12 }),
  crlf: fc.boolean(),
  sep: fc.constantFrom("=", ":", " = ", ": "),
  keyCase: fc.constantFrom("Path", "path", "PATH"),
  quote: fc.constantFrom("", '"', "'"),
  blankBefore: fc.nat(2),
  intro: fc.string({ maxLength: 40 }).filter((s) => !s.includes("[") && !s.includes("`")),
  pointerFirst: fc.boolean(),
  objectShape: fc.boolean(),
  indent: fc.constantFrom(0, 2, 4),
});

type Valid = typeof validArb extends fc.Arbitrary<infer T> ? T : never;

function render(v: Valid): string {
  const doc = v.objectShape ? { schema: 1, entries: v.entries } : v.entries;
  const snapshot = `[BUG_KB_JSON]\n${"\n".repeat(v.blankBefore)}\`\`\`\n${
    JSON.stringify(doc, null, v.indent)
  }\n\`\`\`\n`;
  const pointer =
    `[BUG_KB_JSON_POINTER]\n${v.keyCase}${v.sep}${v.quote}\\\\DS-918\\kb\\BUG_KB.json.txt${v.quote}\nSHA256${v.sep}${SHA}\nEntries${v.sep}${v.entries.length}\n`;
  const body = v.intro.replaceAll("\r", "") + "\n" +
    (v.pointerFirst ? pointer + snapshot : snapshot + pointer);
  return v.crlf ? body.replaceAll("\n", "\r\n") : body;
}

Deno.test("parseBootPack() accepts generated valid BootPacks and counts them right", () => {
  fc.assert(
    fc.property(validArb, (v) => {
      const bp = parseBootPack(render(v));
      assertEquals(bp.violations, []);
      assertEquals(bp.snapshot?.kb?.entries, v.entries.length);
      assertEquals(
        bp.snapshot?.kb?.blocking,
        v.entries.filter((e) => "blocking" in e && e.blocking === true).length,
      );
      assertEquals(bp.pointer?.entries?.value, v.entries.length);
      assertEquals(bp.pointer?.sha256?.value, SHA.toUpperCase());
    }),
    { numRuns: 300 },
  );
});

/** Mutations that each break one invariant of SPEC §2, with the code that must be reported. */
const breaking: { name: string; code: string; apply: (t: string, n: number) => string | null }[] = [
  { name: "language tag", code: "FENCE_LANG_TAG", apply: (t) => t.replace("```\n", "```json\n") },
  {
    name: "second SNAPSHOT",
    code: "SNAPSHOT_DUPLICATE",
    apply: (t) => t + "[BUG_KB_JSON]\n```\n[]\n```\n",
  },
  {
    name: "second POINTER",
    code: "POINTER_DUPLICATE",
    apply: (t) => t + "[BUG_KB_JSON_POINTER]\nPath=x\n",
  },
  {
    name: "no SNAPSHOT header",
    code: "SNAPSHOT_MISSING",
    apply: (t) => t.replace("[BUG_KB_JSON]\n", "[BUG_KB_JSON_OLD]\n"),
  },
  {
    name: "no POINTER header",
    code: "POINTER_MISSING",
    apply: (t) => t.replace("[BUG_KB_JSON_POINTER]\n", "POINTER\n"),
  },
  {
    name: "closing fence removed",
    code: "FENCE_UNCLOSED",
    apply: (t) => {
      const i = t.lastIndexOf("\n```\n");
      return i === -1 ? null : t.slice(0, i + 1) + t.slice(i + 5);
    },
  },
  {
    name: "BOM in the JSON",
    code: "SNAPSHOT_BOM",
    apply: (t) => t.replace(/```\n(\s*)([\[{])/, "```\n$1\uFEFF$2"),
  },
  {
    name: "SHA256 shortened",
    code: "POINTER_SHA256_INVALID",
    apply: (t, n) =>
      t.replace(/(SHA256\s*[=:]\s*)([0-9a-f]{64})/, (_m, k, h) => k + h.slice(n % 64 + 1)),
  },
  {
    name: "SHA256 non-hex",
    code: "POINTER_SHA256_INVALID",
    apply: (t, n) =>
      t.replace(
        /(SHA256\s*[=:]\s*)([0-9a-f]{64})/,
        (_m, k, h) => k + h.slice(0, n % 64) + "g" + h.slice(n % 64 + 1),
      ),
  },
  {
    name: "Entries negative",
    code: "POINTER_ENTRIES_INVALID",
    apply: (t) => t.replace(/(Entries\s*[=:]\s*)(\d+)/, "$1-$2"),
  },
  {
    name: "Entries removed",
    code: "POINTER_ENTRIES_MISSING",
    apply: (t) => t.replace(/Entries\s*[=:].*\n/, ""),
  },
  {
    name: "JSON truncated",
    code: "SNAPSHOT_JSON_INVALID",
    apply: (t) => t.replace(/\n([\]}])\n```/, "\n```"),
  },
  {
    name: "JSON not a KB",
    code: "SNAPSHOT_SHAPE",
    apply: (t) => t.replace(/```\n[\s\S]*?\n```\n/, '```\n"text"\n```\n'),
  },
];

Deno.test("parseBootPack() never passes a generated BootPack that breaks an invariant", () => {
  fc.assert(
    fc.property(
      validArb.map((v) => ({ ...v, crlf: false })),
      fc.constantFrom(...breaking),
      fc.nat(1000),
      fc.boolean(),
      (v, mutation, n, crlf) => {
        let text = mutation.apply(render(v), n);
        fc.pre(text !== null && text !== render(v));
        if (crlf) text = text!.replaceAll("\n", "\r\n");
        const bp = parseBootPack(text!);
        assert(
          bp.violations.some((d) => d.code === mutation.code),
          `${mutation.name}: expected ${mutation.code}, got ${JSON.stringify(bp.violations)}`,
        );
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("decodeBootPack() and parseBootPack() never throw, whatever the bytes", () => {
  fc.assert(
    fc.property(
      validArb,
      fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), {
        maxLength: 6,
      }),
      (v, flips) => {
        const bytes = new TextEncoder().encode(render(v));
        for (const { at, byte } of flips) if (bytes.length > 0) bytes[at % bytes.length] = byte;
        const decoded = decodeBootPack(bytes);
        const bp = parseBootPack(decoded.text ?? "");
        // A mutated BootPack is either still valid (then its counts are sane) or reported.
        if (decoded.violations.length === 0 && bp.violations.length === 0) {
          assert((bp.snapshot?.kb?.entries ?? -1) >= 0);
        }
      },
    ),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      parseBootPack(s);
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseBootPack() starts lines only at LF: a header after a lone CR or U+2028 is text", () => {
  const valid = "[BUG_KB_JSON]\n```\n[]\n```\n[BUG_KB_JSON_POINTER]\nPath=a\nSHA256=" +
    "A".repeat(64) +
    "\nEntries=0\n";
  for (const sep of ["\r", "\u2028", "\u2029"]) {
    const bp = parseBootPack(valid + `note${sep}[BUG_KB_JSON]\nmore${sep}\`\`\`\n`);
    assertEquals(bp.violations, [], JSON.stringify(sep));
  }
});
