import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeText, stringifyJson } from "../../lib/core/escape.ts";

// deno-lint-ignore no-control-regex -- the test looks for the characters the escaper removes
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

Deno.test("escapeText() leaves no control or bidirectional character raw", () => {
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => !UNSAFE.test(escapeText(s))));
  assert.equal(escapeText("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  assert.equal(escapeText("a\0b"), "a\\x00b");
  assert.equal(escapeText("x\u2066y"), "x\\u{2066}y");
});

Deno.test("escapeText() keeps printable text and Windows paths as they are", () => {
  assert.equal(escapeText("\\\\DS-918\\kb\\BUG_KB.json.txt"), "\\\\DS-918\\kb\\BUG_KB.json.txt");
  assert.equal(escapeText("é ü ✓ 日本"), "é ü ✓ 日本");
  // A literal backslash-x in the input cannot pass for an escape of a control character.
  assert.equal(escapeText("\\x1b"), "\\\\x1b");
});

Deno.test("stringifyJson() round-trips every string and leaves nothing unsafe raw", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const text = stringifyJson({ s });
      return !UNSAFE.test(text) && JSON.parse(text).s === s;
    }),
  );
});
