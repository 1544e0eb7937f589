/**
 * What the writers' CLIs (`ingest`, `rebuild`) share: turning the library's errors into one clear
 * message and an exit code.
 *
 * @module
 */

import { CalibrationError } from "../lib/core/calibration.ts";
import { FileReadError } from "../lib/io/file_read.ts";
import { LockTimeoutError } from "../lib/io/file_lock.ts";
import { RetryExhaustedError } from "../lib/core/retry.ts";
import { WriterError } from "../lib/writers/writer.ts";
import { printError } from "./_output.ts";

/**
 * Prints a writer's failure (`file:line: CODE: message` when the place is known) and gives its
 * exit code: 1 for everything a user can meet (bad input, lock timeout, I/O fault), rethrowing
 * only what is a bug.
 *
 * @param command The command's name, for the message.
 * @param error What was thrown.
 * @returns The exit code, 1.
 * @throws {unknown} `error` itself when it is not a failure users can meet (a bug).
 * @example
 * ```ts
 * import { writerFailure } from "./_writer.ts";
 * import { WriterError } from "../lib/writers/writer.ts";
 * if (writerFailure("ingest", new WriterError("ENTRY_EMPTY", "No JSON text")) !== 1) {
 *   throw new Error();
 * }
 * ```
 */
export function writerFailure(command: string, error: unknown): number {
  if (error instanceof WriterError) {
    const where = error.file === null
      ? ""
      : `${error.file}${error.line === null ? "" : `:${error.line}`}: `;
    printError(`${command}: ${where}${error.code}: ${error.message}; nothing written`);
    return 1;
  }
  if (error instanceof LockTimeoutError) {
    printError(`${command}: LOCK_TIMEOUT: ${error.message}; nothing written`);
    return 1;
  }
  if (error instanceof FileReadError) {
    printError(`${command}: ${error.code}: ${error.message}; nothing written`);
    return 1;
  }
  if (error instanceof RetryExhaustedError) {
    printError(`${command}: IO_RETRY_EXHAUSTED: ${error.message}; the old file is unchanged`);
    return 1;
  }
  if (error instanceof CalibrationError) {
    printError(`${command}: ${error.code}: ${error.message}`);
    return 1;
  }
  if (error instanceof Deno.errors.NotCapable) {
    printError(`${command}: PERMISSION: ${error.message}`);
    return 1;
  }
  if (isDenoIoError(error)) {
    printError(`${command}: IO_ERROR: ${(error as Error).message}; the old file is unchanged`);
    return 1;
  }
  throw error;
}

function isDenoIoError(error: unknown): boolean {
  return Object.values(Deno.errors).some((c) => error instanceof c);
}
