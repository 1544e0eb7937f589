/**
 * Where the CLI writes: stdout carries data (summaries, verdicts, `--json`), stderr carries
 * messages and progress. Colour only on a terminal and never with `NO_COLOR`.
 *
 * @module
 */

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

/**
 * Writes text to stdout as is.
 *
 * @param text The text (include the newline).
 * @example
 * ```ts
 * import { writeStdout } from "./_output.ts";
 * writeStdout("");
 * ```
 */
export function writeStdout(text: string): void {
  writeAll(Deno.stdout, text);
}

/**
 * Writes text to stderr as is.
 *
 * @param text The text (include the newline).
 * @example
 * ```ts
 * import { writeStderr } from "./_output.ts";
 * writeStderr("");
 * ```
 */
export function writeStderr(text: string): void {
  writeAll(Deno.stderr, text);
}

function colour(code: string, text: string): string {
  if (Deno.noColor || !Deno.stderr.isTerminal()) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

/**
 * Prints `bootpack: error: <message>` on stderr.
 *
 * @param message The message.
 * @example
 * ```ts
 * import { printError } from "./_output.ts";
 * printError("Cannot read \"x\": no such file");
 * ```
 */
export function printError(message: string): void {
  writeStderr(`${colour("31", "bootpack: error:")} ${message}\n`);
}

/**
 * Prints a progress or information line on stderr.
 *
 * @param message The message.
 * @example
 * ```ts
 * import { printInfo } from "./_output.ts";
 * printInfo("step 1/3");
 * ```
 */
export function printInfo(message: string): void {
  writeStderr(`${colour("2", "bootpack:")} ${message}\n`);
}
