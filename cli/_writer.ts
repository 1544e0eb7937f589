/**
 * What the writers' CLIs (`ingest`, `rebuild`) share: turning the library's errors into one clear
 * message and an exit code.
 *
 * @module
 */

import { CalibrationError } from "../lib/core/calibration.ts";
import { FileReadError } from "../lib/io/file_read.ts";
import { LockFileError, LockTimeoutError } from "../lib/io/file_lock.ts";
import { AtomicWriteError } from "../lib/io/atomic_write.ts";
import { messageOf } from "../lib/core/error.ts";
import { RetryExhaustedError } from "../lib/core/retry.ts";
import { WriterError } from "../lib/writers/writer.ts";
import { printError, writeJson, writeStderr } from "./_output.ts";

/** What a writer's refusal says, as printed and as `--json` carries it. */
interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
}

/**
 * Prints a writer's failure and gives its exit code: 1 for everything a user can meet (bad input,
 * lock timeout, I/O fault), rethrowing only what is a bug. As text on stderr
 * (`file:line: CODE: message; what became of the file`); with `json`, also one object
 * `{"code","message","file","line"}` on stdout. The message never claims more than is known:
 * after a failure past the rename it says the file may already be replaced.
 *
 * @param command The command's name, for the message.
 * @param error What was thrown.
 * @param json Print the refusal as one JSON object on stdout too.
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
export function writerFailure(command: string, error: unknown, json = false): number {
  const refusal = refusalOf(command, error);
  if (refusal === null) throw error;
  // Other errors name their file in their message already.
  const where = refusal.file === null || !(error instanceof WriterError)
    ? ""
    : `${refusal.file}${refusal.line === null ? "" : `:${refusal.line}`}: `;
  printError(`${command}: ${where}${refusal.code}: ${refusal.message}`);
  if (json) {
    const { code, message, file, line } = refusal;
    writeJson({ code, message, file, line }, 0);
  }
  return 1;
}

/** Prints a usage error (exit 2), as one JSON object on stdout too when `--json` was given. */
export function usageFailure(
  command: string,
  message: string,
  usage: string,
  json: boolean,
): number {
  printError(`${command}: ${message}`);
  writeStderr(`${usage}\n`);
  if (json) {
    writeJson({ code: "USAGE", message, file: null, line: null }, 0);
  }
  return 2;
}

function refusalOf(command: string, error: unknown): Refusal | null {
  const what = command === "ingest" ? "the KB" : "the BootPack";
  const unchanged = `; ${what} is unchanged`;
  if (error instanceof WriterError) {
    const outcome = error.written
      ? `; ${
        command === "ingest"
          ? "the KB may already hold the new entry"
          : "the BootPack may already be rebuilt"
      }: check it before trying again`
      : "; nothing written";
    return {
      code: error.code,
      message: error.message + outcome,
      file: error.file,
      line: error.line,
    };
  }
  const plain = (code: string, message: string, file: string | null = null): Refusal => ({
    code,
    message,
    file,
    line: null,
  });
  if (error instanceof LockTimeoutError) {
    return plain("LOCK_TIMEOUT", `${error.message}; nothing written`, error.lockPath);
  }
  if (error instanceof LockFileError) {
    return plain(error.code, `${error.message}; nothing written`, error.lockPath);
  }
  if (error instanceof AtomicWriteError) return plain(error.code, `${error.message}${unchanged}`);
  if (error instanceof FileReadError) {
    return plain(error.code, `${error.message}; nothing written`, error.path);
  }
  if (error instanceof RetryExhaustedError) {
    return plain("IO_RETRY_EXHAUSTED", `${error.message}${unchanged}`);
  }
  if (error instanceof CalibrationError) return plain(error.code, error.message);
  if (error instanceof Deno.errors.NotCapable) return plain("PERMISSION", error.message);
  if (isDenoIoError(error)) return plain("IO_ERROR", `${messageOf(error)}${unchanged}`);
  return null;
}

function isDenoIoError(error: unknown): boolean {
  return Object.values(Deno.errors).some((c) => error instanceof c);
}
