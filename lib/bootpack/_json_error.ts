/**
 * Reading V8's `JSON.parse` errors: the line they are about and a short message. Shared by the
 * in-memory and the streaming KB parsers. Internal.
 *
 * @module
 */

/**
 * Counts the LFs in `text` before `end`.
 *
 * @param text Any text.
 * @param end Offset to stop at.
 * @returns The count.
 */
export function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * 0-based line of a V8 `JSON.parse` error inside `text`, from its message.
 *
 * @param text The text `JSON.parse` refused.
 * @param message The error's message.
 * @returns The line, counted from 0.
 */
export function jsonErrorLine(text: string, message: string): number {
  const lineCol = /\(line (\d+) column \d+\)/.exec(message);
  if (lineCol?.[1]) return Number(lineCol[1]) - 1;
  const position = /at position (\d+)/.exec(message);
  if (position?.[1]) return countNewlines(text, Number(position[1]));
  const token = unexpectedTokenPosition(text, message);
  if (token !== null) return countNewlines(text, token);
  // "Unexpected end of JSON input" and the like: the problem is at the end.
  return countNewlines(text.trimEnd(), text.length);
}

/**
 * V8 words an unexpected token without its position but quotes the source around it: the whole
 * source when short, else up to 10 characters before and after, with `...` where it cut. The
 * quote gives the position back.
 */
function unexpectedTokenPosition(text: string, message: string): number | null {
  const m = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/
    .exec(message);
  if (!m) return null;
  const [, token, before, snippet = "", after] = m;
  const CONTEXT = 10;
  if (before && after) {
    for (let i = text.indexOf(snippet); i !== -1; i = text.indexOf(snippet, i + 1)) {
      if (text[i + CONTEXT] === token) return i + CONTEXT;
    }
    return null;
  }
  if (after) return Math.max(0, snippet.length - CONTEXT);
  if (before) return Math.max(0, text.length - snippet.length + CONTEXT);
  const i = text.indexOf(token!);
  return i === -1 ? null : i;
}

/**
 * A V8 `JSON.parse` message without its position and quoted source (lines are given instead).
 *
 * @param message The error's message.
 * @returns The short message.
 */
export function shortJsonMessage(message: string): string {
  return message.replace(/ in JSON at position \d+( \(line \d+ column \d+\))?/, "$1")
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "");
}
