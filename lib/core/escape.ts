/**
 * Text taken from the input (paths, keys, names) is never shown raw (SPEC §3): control
 * characters, ESC sequences and bidirectional controls could clear a terminal, set its title or
 * make a name read backwards. {@linkcode escapeText} is the one escaper for text output and
 * {@linkcode stringifyJson} the one for `--json`: the JSON value is unchanged, but no such
 * character reaches the byte stream raw.
 *
 * @module
 */

/**
 * C0 and C1 controls, DEL, and the characters that change how text around them is displayed:
 * bidirectional marks, embeddings, overrides and isolates, the line and paragraph separators,
 * zero-width joiners and the BOM.
 */
const UNSAFE =
  // deno-lint-ignore no-control-regex -- matching control characters is this module's job
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}

/**
 * A character's UTF-16 code unit as four uppercase hex digits: the `XXXX` of `U+XXXX` and
 * `\uXXXX` in messages that name a character.
 *
 * @param c A one-character string (its first code unit is taken).
 * @returns The four digits.
 * @example
 * ```ts
 * import { codeUnitHex } from "./escape.ts";
 * if (codeUnitHex("\u202e") !== "202E" || codeUnitHex("\n") !== "000A") throw new Error();
 * ```
 */
export function codeUnitHex(c: string): string {
  return c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
}

/**
 * Writes every character that `pattern` matches as `\uXXXX` ({@linkcode codeUnitHex}): the
 * escape of the `diag:` line and of the names `proofpack` prints, each with its own set.
 *
 * @param text The text.
 * @param pattern The characters to escape; a global regular expression.
 * @returns The text with each match escaped.
 * @example
 * ```ts
 * import { escapeCodeUnits } from "./escape.ts";
 * if (escapeCodeUnits("a\nb|c", /[\n|]/g) !== "a\\u000Ab\\u007Cc") throw new Error();
 * ```
 */
export function escapeCodeUnits(text: string, pattern: RegExp): string {
  return text.replace(pattern, (c) => `\\u${codeUnitHex(c)}`);
}

/**
 * Shows text from the input safely on a terminal: every unsafe character (controls, ESC, DEL,
 * bidirectional and zero-width controls) as an escape (`\t`, `\n`, `\r`, `\x1b`, `\u{202e}`), and
 * a backslash that could be read as the start of one doubled only where it is followed by `x` or
 * `u{` (so Windows paths stay readable).
 *
 * @param text Text from the input.
 * @returns The text with every unsafe character escaped.
 * @example
 * ```ts
 * import { escapeText } from "./escape.ts";
 * if (escapeText("a\x1b[2Jb") !== "a\\x1b[2Jb") throw new Error();
 * if (escapeText("\\\\DS-918\\kb") !== "\\\\DS-918\\kb") throw new Error();
 * if (escapeText("evil\u202etxt.exe") !== "evil\\u{202e}txt.exe") throw new Error();
 * ```
 */
export function escapeText(text: string): string {
  return text
    .replace(/\\(?=x[0-9a-fA-F]{2}|u\{)/g, "\\\\")
    .replace(UNSAFE, (c) => {
      const code = c.codePointAt(0) ?? 0;
      if (c === "\t") return "\\t";
      if (c === "\n") return "\\n";
      if (c === "\r") return "\\r";
      return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u{${hex(code, 4)}}`;
    });
}

/**
 * `JSON.stringify` whose output carries no unsafe character raw: each is written as a `\uXXXX`
 * escape, so the parsed value is exactly the input's while the bytes are safe to print.
 *
 * @param value The value.
 * @param space Indentation, as for `JSON.stringify`. Default none.
 * @returns The JSON text.
 * @example
 * ```ts
 * import { stringifyJson } from "./escape.ts";
 * const text = stringifyJson({ path: "a\u202eb\x1b" });
 * if (/[\u202e\x1b]/.test(text)) throw new Error(text);
 * if (JSON.parse(text).path !== "a\u202eb\x1b") throw new Error();
 * if (stringifyJson({ a: "\n" }, 2) !== '{\n  "a": "\\n"\n}') throw new Error();
 * ```
 */
export function stringifyJson(value: unknown, space?: number): string {
  // A raw line feed can only be indentation: JSON.stringify escapes every C0 control in strings.
  return JSON.stringify(value, null, space).replace(
    UNSAFE,
    (c) => c === "\n" ? c : `\\u${hex(c.codePointAt(0) ?? 0, 4)}`,
  );
}
