/**
 * Strict UTF-8 decoding, fast: most files are valid, so decode leniently (the fast path) and only
 * when a replacement character shows up decode again strictly to tell a real U+FFFD from a byte
 * sequence that is not UTF-8.
 *
 * @module
 */

const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 bytes, or gives `null` when they are not valid UTF-8. A BOM is kept (as U+FEFF)
 * so that callers can report it.
 *
 * @param bytes The bytes.
 * @returns The text, or `null`.
 * @example
 * ```ts
 * import { decodeUtf8 } from "./utf8.ts";
 * if (decodeUtf8(new Uint8Array([0x41])) !== "A" || decodeUtf8(new Uint8Array([0xff])) !== null) {
 *   throw new Error();
 * }
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  const text = lenient.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Finds the 1-based line (counting LF bytes) of the first byte sequence that is not UTF-8.
 *
 * @param bytes Bytes that failed to decode.
 * @returns The line, or the line after the last when every line decodes alone (a sequence cut
 * at the end).
 * @example
 * ```ts
 * import { invalidUtf8Line } from "./utf8.ts";
 * if (invalidUtf8Line(new Uint8Array([0x61, 0x0a, 0xff])) !== 2) throw new Error();
 * ```
 */
export function invalidUtf8Line(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    line++;
    start = end + 1;
  }
  return line;
}
