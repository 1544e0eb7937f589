import assert from "node:assert/strict";
import fc from "fast-check";
import {
  assertSafePackPath,
  comparePackPaths,
  findPackPathClash,
  isSafePackPath,
  packPathKey,
  packPathProblem,
} from "../../lib/proofpack/pack_path.ts";

const ACCEPT = [
  "evidence/bootpack.txt",
  "evidence/BUG_KB.json.txt",
  "MANIFEST.json",
  "gates/acceptance.txt",
  "a/b/c/d.e.f",
  ".hidden",
  "r\u00e9sum\u00e9.txt",
  "con_notes.txt",
  "CONSOLE.txt",
  "file-1_2.txt",
  "x~y.txt",
];

const REJECT: [string, RegExp][] = [
  ["", /empty/],
  ["../etc/passwd", /"\.\." component/],
  ["evidence/../../x", /"\.\." component/],
  ["evidence/./x", /"\." component/],
  [".", /"\." component/],
  ["/etc/passwd", /absolute/],
  ["C:/Windows/x", /drive letter/],
  ["c:x", /drive letter/],
  ["evidence\\x.txt", /backslash/],
  ["ab:stream", /":"/],
  ["a\r.txt", /U\+000D/],
  ["a\nb", /U\+000A/],
  ["a\0b", /U\+0000/],
  ["a\u0085b", /U\+0085/],
  ["a//b", /empty component/],
  ["a/", /empty component/],
  ["NUL", /reserved name "NUL"/],
  ["evidence/con.txt", /reserved name "con"/],
  ["com1.json", /reserved name/],
  ["LPT9", /reserved name/],
  ["COM\u00b9.txt", /reserved name/],
  ["aux .txt", /reserved name/],
  ["name.", /ending with a dot or space/],
  ["name ", /ending with a dot or space/],
  [" name", /starting with a space/],
  ["a<b", /"<"/],
  ["a|b", /"\|"/],
  ["a?b", /"\?"/],
  ["a*b", /"\*"/],
  ['a"b', /"""/],
  ["PROGRA~1/x", /8\.3 short name/],
  ["e\u0301.txt", /NFC/],
  ["x".repeat(201), /longer than 200/],
  ["a/" + "y".repeat(101), /component longer than 100/],
  ["\ud800.txt", /lone surrogate/],
];

Deno.test("packPathProblem() accepts portable relative names", () => {
  for (const p of ACCEPT) assert(packPathProblem(p) === null, `${p}: ${packPathProblem(p)}`);
});

Deno.test("packPathProblem() refuses every ambiguous or dangerous name with its reason", () => {
  for (const [p, why] of REJECT) {
    const problem = packPathProblem(p);
    assert(problem !== null && why.test(problem), `${JSON.stringify(p)}: got ${problem}`);
  }
});

Deno.test("assertSafePackPath() throws a TypeError naming the path", () => {
  try {
    assertSafePackPath("../x");
  } catch (error) {
    assert(error instanceof TypeError);
    assert(error.message === 'Cannot use pack path "../x": it has a ".." component');
    return;
  }
  throw new Error("no throw");
});

Deno.test("isSafePackPath() never accepts a name that escapes or that Windows reads differently", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
      if (!isSafePackPath(s)) return;
      const parts = s.split("/");
      assert(!s.startsWith("/") && !s.includes("\\") && !s.includes(":"));
      assert(parts.every((p) => p !== "" && p !== "." && p !== ".."));
      // deno-lint-ignore no-control-regex
      assert(!/[\u0000-\u001f]/.test(s));
      assert(parts.every((p) => !p.endsWith(".") && !p.endsWith(" ")));
      assert(s.normalize("NFC") === s);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("findPackPathClash() finds names that differ only by case or normalization", () => {
  assert(findPackPathClash(["a.txt", "b.txt", "c/a.txt"]) === null);
  assert(findPackPathClash(["Readme.md", "README.md"])?.join() === "Readme.md,README.md");
  assert(findPackPathClash(["\u00c9.txt", "e\u0301.txt"]) !== null);
  assert(findPackPathClash(["x", "x"]) !== null);
  assert(packPathKey("A/B") === "a/b");
});

Deno.test("comparePackPaths() orders by UTF-8 bytes, like LC_ALL=C sort", () => {
  const enc = new TextEncoder();
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
      const x = enc.encode(a);
      const y = enc.encode(b);
      let byBytes = 0;
      for (let i = 0; i < Math.min(x.length, y.length) && byBytes === 0; i++) {
        byBytes = x[i]! - y[i]!;
      }
      if (byBytes === 0) byBytes = x.length - y.length;
      assert(Math.sign(comparePackPaths(a, b)) === Math.sign(byBytes), `${a} vs ${b}`);
    }),
  );
});
