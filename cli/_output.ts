/**
 * Where the CLI writes, and the one place that makes its output safe: stdout carries data
 * (summaries, verdicts, `--json`), stderr carries messages and progress. Every text line goes
 * through `escapeText` and every JSON document through `stringifyJson` (SPEC §3: text from the
 * input is never shown raw), so a command cannot forget to. Colour only on a terminal and never
 * with `NO_COLOR`.
 *
 * A reader that closes the pipe early (`… | head -1`) is no error: the rest of the output is
 * dropped and the exit code is the command's. A full disk or an I/O error on stdout is an
 * {@linkcode OutputError} (`STDOUT_FULL`, `STDOUT_IO`): the output is incomplete, so the command
 * fails. A failing stderr is ignored: there is nowhere left to say so.
 *
 * @module
 */

import { escapeText, stringifyJson } from "../lib/core/escape.ts";
import { messageOf } from "../lib/core/error.ts";

const encoder = new TextEncoder();

/** Reason codes of {@linkcode OutputError}. */
export type OutputCode = "STDOUT_FULL" | "STDOUT_IO";

/** stdout could not take the output (full disk, I/O error): the output is incomplete. */
export class OutputError extends Error {
  /** Stable reason code. */
  readonly code: OutputCode;

  /**
   * Creates the error.
   *
   * @param code Reason code.
   * @param message Human-readable message.
   */
  constructor(code: OutputCode, message: string) {
    super(message);
    this.name = "OutputError";
    this.code = code;
  }
}

/** Streams whose reader has gone (broken pipe): later writes are dropped. */
const closed = { stdout: false, stderr: false };

/** What is written to: `Deno.stdout` / `Deno.stderr`, or a stand-in in tests. */
export interface OutputStream {
  /** Writes some of `p`, returns how many bytes. */
  writeSync(p: Uint8Array): number;
}

/**
 * Writes bytes to a stream until all are written, with the rules of this module: a broken pipe
 * closes the stream quietly; on stdout, `ENOSPC` is `STDOUT_FULL` and any other error `STDOUT_IO`;
 * on stderr, errors are ignored.
 *
 * @param stream The stream.
 * @param which Which one it stands for.
 * @param text The text, already safe.
 * @throws {OutputError} When stdout fails.
 * @example
 * ```ts
 * import { writeRaw } from "./_output.ts";
 * const chunks: number[] = [];
 * writeRaw({ writeSync: (p) => (chunks.push(p.length), p.length) }, "stdout", "ok\n");
 * if (chunks[0] !== 3) throw new Error();
 * ```
 */
export function writeRaw(stream: OutputStream, which: "stdout" | "stderr", text: string): void {
  if (closed[which]) return;
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(stream.writeSync(bytes));
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe) {
        closed[which] = true;
        return;
      }
      if (which === "stderr") return;
      const code = (error as { code?: unknown }).code;
      if (code === "ENOSPC") {
        throw new OutputError("STDOUT_FULL", `Cannot write the output: no space left on stdout`);
      }
      throw new OutputError("STDOUT_IO", `Cannot write the output: ${messageOf(error)}`);
    }
  }
}

/**
 * Makes text safe to print: each line through `escapeText` (line breaks kept).
 *
 * @param text Text that may hold input.
 * @returns The text, every unsafe character escaped.
 * @example
 * ```ts
 * import { safeText } from "./_output.ts";
 * if (safeText("a\x1b[2J\nb\n") !== "a\\x1b[2J\nb\n") throw new Error();
 * ```
 */
export function safeText(text: string): string {
  return text.split("\n").map(escapeText).join("\n");
}

/**
 * Writes text to stdout, every line escaped.
 *
 * @param text The text (include the newline).
 * @throws {OutputError} When stdout is full or fails.
 * @example
 * ```ts
 * import { writeStdout } from "./_output.ts";
 * writeStdout("");
 * ```
 */
export function writeStdout(text: string): void {
  writeRaw(Deno.stdout, "stdout", safeText(text));
}

/**
 * Writes one JSON document to stdout, then a newline, no unsafe character raw.
 *
 * @param value The value.
 * @param space Indentation, as for `JSON.stringify`; `0` for one line. Default `2`.
 * @throws {OutputError} When stdout is full or fails.
 * @example
 * ```ts
 * import { writeJson } from "./_output.ts";
 * writeJson({ ok: true });
 * ```
 */
export function writeJson(value: unknown, space = 2): void {
  writeRaw(Deno.stdout, "stdout", stringifyJson(value, space) + "\n");
}

/**
 * Writes text to stderr, every line escaped.
 *
 * @param text The text (include the newline).
 * @example
 * ```ts
 * import { writeStderr } from "./_output.ts";
 * writeStderr("");
 * ```
 */
export function writeStderr(text: string): void {
  writeRaw(Deno.stderr, "stderr", safeText(text));
}

function colour(code: string, text: string): string {
  if (Deno.noColor || !Deno.stderr.isTerminal()) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

/**
 * Prints `bootpack: error: <message>` on stderr, the message escaped.
 *
 * @param message The message.
 * @example
 * ```ts
 * import { printError } from "./_output.ts";
 * printError("Cannot read \"x\": no such file");
 * ```
 */
export function printError(message: string): void {
  writeRaw(Deno.stderr, "stderr", `${colour("31", "bootpack: error:")} ${safeText(message)}\n`);
}

/**
 * Prints a progress or information line on stderr, escaped.
 *
 * @param message The message.
 * @example
 * ```ts
 * import { printInfo } from "./_output.ts";
 * printInfo("step 1/3");
 * ```
 */
export function printInfo(message: string): void {
  writeRaw(Deno.stderr, "stderr", `${colour("2", "bootpack:")} ${safeText(message)}\n`);
}
