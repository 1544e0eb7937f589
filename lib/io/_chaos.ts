/**
 * Fault injection for the chaos modes of gate G3, kept apart from the real reads: a read goes
 * through {@linkcode chaosBeforeOpen} and reads its bytes through the reader that
 * {@linkcode chaosReader} wraps around the real file, so `file_read.ts` itself only reads.
 *
 * - `TIMEOUT`: the first read never answers (a timer keeps the process alive, as a pending read
 *   on a share would, until the reader is closed);
 * - `ERROR`: the open fails with an I/O error;
 * - `PARTIAL`: the reads end (EOF) after half the file;
 * - `EMPTY`: the first read is EOF;
 * - `CORRUPT`: the byte at the file's middle offset is replaced by `0xFF` (`0x00` where it was
 *   `0xFF`), never valid UTF-8;
 * - `LATENCY`: the open waits `chaos_latency_ms` first.
 *
 * @module
 */

/** The chaos fault modes of gate G3. */
export const CHAOS_MODES: readonly ChaosMode[] = [
  "TIMEOUT",
  "ERROR",
  "PARTIAL",
  "EMPTY",
  "CORRUPT",
  "LATENCY",
];

/** One chaos fault mode. */
export type ChaosMode = "TIMEOUT" | "ERROR" | "PARTIAL" | "EMPTY" | "CORRUPT" | "LATENCY";

/** What a read needs of a file: `Deno.FsFile` is one. */
export interface ByteReader {
  /** Reads into `p`; `null` at the end of the file. */
  read(p: Uint8Array): Promise<number | null>;
}

/** A reader with faults injected; `close()` clears what the fault left running. */
export interface ChaosReader extends ByteReader {
  /** Stops the TIMEOUT mode's keep-alive timer. */
  close(): void;
}

/** The error an `ERROR` open fails with (classified as `IO_ERROR` by the read seam). */
export class ChaosIoError extends Error {
  /** Stable reason code. */
  readonly code = "IO_ERROR";
  /**
   * Creates the error.
   *
   * @example
   * ```ts
   * import { ChaosIoError } from "./_chaos.ts";
   * if (new ChaosIoError().code !== "IO_ERROR") throw new Error();
   * ```
   */
  constructor() {
    super("input/output error (chaos)");
    this.name = "ChaosIoError";
  }
}

/**
 * Runs the faults that come before the file is opened: `LATENCY` waits, `ERROR` throws.
 *
 * @param mode The chaos mode, if any.
 * @param latencyMs The `LATENCY` delay.
 * @throws {ChaosIoError} Under `ERROR`.
 * @example
 * ```ts
 * import { chaosBeforeOpen } from "./_chaos.ts";
 * await chaosBeforeOpen("LATENCY", 1);
 * await chaosBeforeOpen("ERROR", 0).then(() => { throw new Error("no fault"); }, () => {});
 * ```
 */
export async function chaosBeforeOpen(
  mode: ChaosMode | undefined,
  latencyMs: number,
): Promise<void> {
  if (mode === "LATENCY") await new Promise((resolve) => setTimeout(resolve, latencyMs));
  if (mode === "ERROR") throw new ChaosIoError();
}

/**
 * Wraps a file's reader with the faults that act on its bytes.
 *
 * @param file The real reader.
 * @param size The file's size (for `PARTIAL` and `CORRUPT`).
 * @param mode The chaos mode, if any.
 * @param hangMs How long the `TIMEOUT` mode's keep-alive timer runs at most.
 * @returns The reader to read from.
 * @example
 * ```ts
 * import { chaosReader } from "./_chaos.ts";
 * const data = new Uint8Array([1, 2, 3, 4]);
 * let at = 0;
 * const file = { read: (p: Uint8Array) => {
 *   if (at === data.length) return Promise.resolve(null);
 *   p.set(data.subarray(at, at + p.length));
 *   const n = Math.min(p.length, data.length - at);
 *   at += n;
 *   return Promise.resolve(n);
 * } };
 * const partial = chaosReader(file, data.length, "PARTIAL", 0);
 * if (await partial.read(new Uint8Array(8)) !== 2 || await partial.read(new Uint8Array(8)) !== null) {
 *   throw new Error();
 * }
 * ```
 */
export function chaosReader(
  file: ByteReader,
  size: number,
  mode: ChaosMode | undefined,
  hangMs: number,
): ChaosReader {
  let offset = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = mode === "PARTIAL" ? Math.floor(size / 2) : mode === "EMPTY" ? 0 : Infinity;
  const corruptAt = mode === "CORRUPT" && size > 0 ? Math.floor(size / 2) : -1;
  return {
    async read(p: Uint8Array): Promise<number | null> {
      if (mode === "TIMEOUT") {
        return await new Promise<never>(() => {
          timer ??= setTimeout(() => {}, hangMs);
        });
      }
      if (offset >= limit) return null;
      const room = Math.min(p.length, limit - offset);
      const n = await file.read(p.subarray(0, room));
      if (n === null) return null;
      if (corruptAt >= offset && corruptAt < offset + n) {
        const i = corruptAt - offset;
        p[i] = p[i] === 0xff ? 0x00 : 0xff;
      }
      offset += n;
      return n;
    },
    close(): void {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
