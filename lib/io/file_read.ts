/**
 * The one I/O seam that every command reads files through: whole-file reads that detect short
 * reads, time out, retry transient faults a bounded number of times, and inject the chaos fault
 * modes of gate G3 (`--chaos MODE`) so that anyone can watch the tools fail closed.
 *
 * Chaos modes, applied to every attempt of every read:
 * - `TIMEOUT`: the read never completes; it times out after `io_timeout_ms` (transient, retried).
 * - `ERROR`: the read fails with an I/O error (transient, retried).
 * - `PARTIAL`: the read returns the first half of the file (detected as a short read, retried).
 * - `EMPTY`: the read returns no bytes (detected as a short read, retried).
 * - `CORRUPT`: one byte in the middle is replaced by a byte that is never valid UTF-8 (`0xFF`, or
 *   `0x00` where it was `0xFF`); not detectable at this level and never retried: parsers reject it
 *   and hashes no longer match.
 * - `LATENCY`: each read waits `chaos_latency_ms` first, then succeeds.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { retry, RetryExhaustedError } from "../core/retry.ts";
import { messageOf } from "../core/error.ts";
import { constants as fsConstants, promises as fsPromises } from "node:fs";

/** The chaos fault modes of gate G3. */
export const CHAOS_MODES = ["TIMEOUT", "ERROR", "PARTIAL", "EMPTY", "CORRUPT", "LATENCY"] as const;

/** One chaos fault mode. */
export type ChaosMode = typeof CHAOS_MODES[number];

/** Reason codes of {@linkcode FileReadError}. */
export type FileReadCode =
  | "NOT_FOUND"
  | "PERMISSION"
  | "NOT_A_FILE"
  | "IO_TIMEOUT"
  | "IO_ERROR"
  | "IO_SHORT_READ"
  | "CHANGED";

/** A file that could not be read; `attempts` counts the tries made (1 + retries at most). */
export class FileReadError extends Error {
  /** Stable reason code. */
  readonly code: FileReadCode;
  /** The path as given. */
  readonly path: string;
  /** Attempts made. */
  readonly attempts: number;
  /** Whether trying again later may succeed. */
  readonly transient: boolean;

  /**
   * Creates the error.
   *
   * @param code Reason code.
   * @param path The file.
   * @param message Human-readable message.
   * @param attempts Attempts made.
   */
  constructor(code: FileReadCode, path: string, message: string, attempts = 1) {
    super(message);
    this.name = "FileReadError";
    this.code = code;
    this.path = path;
    this.attempts = attempts;
    this.transient = code === "IO_TIMEOUT" || code === "IO_ERROR" || code === "IO_SHORT_READ";
  }
}

/** Options of {@linkcode readFileBytes}. */
export interface ReadFileOptions {
  /** Thresholds: `retry_count`, `retry_backoff_ms`, `io_timeout_ms`, `chaos_latency_ms`. */
  readonly calibration: Calibration;
  /** Fault to inject into every attempt. Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Called before each retry, e.g. for a progress message. */
  readonly onRetry?: (attempt: number, error: FileReadError) => void;
  /**
   * The file must be this one (device and inode from an earlier `Deno.lstat`): it is then opened
   * without blocking on a FIFO (and without following a symlink where Deno allows it), and the
   * open handle's own stat must show a regular file with this identity, so nothing swapped in
   * after the check is read (`CHANGED`, never retried). Default: opened as any path is.
   */
  readonly expect?: FileIdentity | undefined;
}

/** What identifies a file: its device and inode, as `Deno.lstat` gives them. */
export interface FileIdentity {
  /** Device id. */
  readonly dev: number;
  /** Inode number (`null` where the platform has none: the check then compares the device only). */
  readonly ino: number | null;
}

/**
 * Parses a `--chaos` value.
 *
 * @param value The option's value, case-insensitive.
 * @returns The mode.
 * @throws {TypeError} For an unknown mode.
 * @example
 * ```ts
 * import { parseChaosMode } from "./file_read.ts";
 * if (parseChaosMode("partial") !== "PARTIAL") throw new Error();
 * ```
 */
export function parseChaosMode(value: string): ChaosMode {
  const upper = value.toUpperCase();
  const mode = CHAOS_MODES.find((m) => m === upper);
  if (!mode) {
    throw new TypeError(
      `Cannot use chaos mode "${value}": expected one of ${CHAOS_MODES.join(", ")}`,
    );
  }
  return mode;
}

/**
 * Reads a whole regular file. A read that returns fewer bytes than the file's size, fails with an
 * I/O error, or takes longer than `io_timeout_ms` is retried up to `retry_count` times with
 * doubling backoff; a missing file, a permission error or a non-file is not.
 *
 * @param path The file.
 * @param options Calibration and chaos mode.
 * @returns The file's bytes.
 * @throws {FileReadError} When the file cannot be read.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { readFileBytes } from "./file_read.ts";
 * const bytes = await readFileBytes("deno.json", { calibration: DEFAULT_CALIBRATION });
 * if (bytes.length === 0) throw new Error();
 * ```
 */
export async function readFileBytes(path: string, options: ReadFileOptions): Promise<Uint8Array> {
  return await withRetries(path, options, () => attemptRead(path, options));
}

/**
 * Runs one read attempt after another: transient {@linkcode FileReadError}s are retried up to
 * `retry_count` times with doubling backoff; the last one is rethrown with the attempts counted.
 */
async function withRetries<T>(
  path: string,
  options: ReadFileOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  const cal = options.calibration;
  try {
    return await retry(attempt, {
      retries: cal.retry_count,
      backoffMs: cal.retry_backoff_ms,
      isTransient: (e) => e instanceof FileReadError && e.transient,
      onRetry: (n, e) => options.onRetry?.(n, e as FileReadError),
    });
  } catch (error) {
    if (error instanceof RetryExhaustedError && error.cause instanceof FileReadError) {
      const last = error.cause;
      throw new FileReadError(
        last.code,
        path,
        `${last.message} (${error.attempts} attempts)`,
        error.attempts,
      );
    }
    throw error;
  }
}

async function attemptRead(path: string, options: ReadFileOptions): Promise<Uint8Array> {
  const cal = options.calibration;
  const chaos = options.chaos;
  if (chaos === "LATENCY") await delay(cal.chaos_latency_ms);
  // AbortSignal.timeout, not setTimeout: Deno initialises its timers on the first setTimeout,
  // which costs about 5 ms of every gate's start-up. Its timer does not keep the process alive,
  // which is right: a pending read does.
  const signal = AbortSignal.timeout(cal.io_timeout_ms);
  let onAbort = (): void => {};
  const timeout = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        new FileReadError(
          "IO_TIMEOUT",
          path,
          `Cannot read "${path}": no answer within ${cal.io_timeout_ms} ms`,
        ),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  // The TIMEOUT chaos mode stands for a read that never answers; a timer of its own keeps the
  // process alive until the timeout above fires.
  let hang: ReturnType<typeof setTimeout> | undefined;
  const read = chaos === "TIMEOUT"
    ? new Promise<never>(() => {
      hang = setTimeout(() => {}, cal.io_timeout_ms * 2);
    })
    : readOnce(path, chaos, options.expect);
  try {
    return await Promise.race([read, timeout]);
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (hang !== undefined) clearTimeout(hang);
  }
}

/** The part of an open file the reads use (a `Deno.FsFile`, or a checked handle). */
interface OpenFile {
  read(buf: Uint8Array): Promise<number | null>;
  close(): void;
}

/** Opens a regular file for reading and gives its size (the size a complete read must reach). */
async function openRegularFile(
  path: string,
  expect: FileIdentity | undefined,
): Promise<{ file: OpenFile; size: number }> {
  if (expect !== undefined) return await openChecked(path, expect);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw classify(error, path);
  }
  try {
    const info = await file.stat();
    if (!info.isFile) {
      throw new FileReadError("NOT_A_FILE", path, `Cannot read "${path}": not a regular file`);
    }
    return { file, size: info.size };
  } catch (error) {
    file.close();
    throw classify(error, path);
  }
}

async function readOnce(
  path: string,
  chaos: ChaosMode | undefined,
  expect: FileIdentity | undefined,
): Promise<Uint8Array> {
  if (chaos === "ERROR") {
    throw new FileReadError("IO_ERROR", path, `Cannot read "${path}": input/output error (chaos)`);
  }
  const { file, size } = await openRegularFile(path, expect);
  try {
    let data = await readAll(file, size, path);
    if (chaos === "PARTIAL") data = data.subarray(0, Math.floor(data.length / 2));
    if (chaos === "EMPTY") data = data.subarray(0, 0);
    if (chaos === "CORRUPT" && data.length > 0) {
      data = data.slice();
      const mid = Math.floor(data.length / 2);
      data[mid] = data[mid] === 0xff ? 0x00 : 0xff;
    }
    if (data.length < size) {
      throw new FileReadError(
        "IO_SHORT_READ",
        path,
        `Cannot read "${path}": got ${data.length} of ${size} bytes`,
      );
    }
    return data;
  } finally {
    file.close();
  }
}

/**
 * Opens with O_NONBLOCK (a FIFO never blocks) and O_NOFOLLOW, then compares the handle's stat with
 * the expected identity: what is read is what was checked. The identity is what decides: Deno's
 * `node:fs` honours O_NOFOLLOW only with `--allow-all` (otherwise it opens the link's target),
 * and a target that is not the checked file has another device or inode.
 */
async function openChecked(
  path: string,
  expect: FileIdentity,
): Promise<{ file: OpenFile; size: number }> {
  const flags = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) |
    (fsConstants.O_NONBLOCK ?? 0);
  let handle: fsPromises.FileHandle;
  try {
    handle = await fsPromises.open(path, flags);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ELOOP" || code === "EMLINK") {
      throw new FileReadError("CHANGED", path, `Cannot read "${path}": it is now a symlink`);
    }
    if (code === "ENOENT") throw classify(new Deno.errors.NotFound(), path);
    if (code === "EACCES" || code === "EPERM") {
      throw classify(new Deno.errors.PermissionDenied(), path);
    }
    throw classify(error, path);
  }
  try {
    const info = await handle.stat();
    const same = info.dev === expect.dev && (expect.ino === null || info.ino === expect.ino);
    if (!info.isFile() || !same) {
      throw new FileReadError(
        "CHANGED",
        path,
        `Cannot read "${path}": it was replaced after it was checked`,
      );
    }
    const file: OpenFile = {
      read: async (buf) => {
        const { bytesRead } = await handle.read(buf, 0, buf.length, null);
        return bytesRead === 0 && buf.length > 0 ? null : bytesRead;
      },
      close: () => void handle.close().catch(() => {}),
    };
    return { file, size: info.size };
  } catch (error) {
    await handle.close().catch(() => {});
    throw classify(error, path);
  }
}

async function readAll(file: OpenFile, size: number, path: string): Promise<Uint8Array> {
  let buf = new Uint8Array(Math.max(size, 0) + 1);
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    let n: number | null;
    try {
      n = await file.read(buf.subarray(used));
    } catch (error) {
      throw classify(error, path);
    }
    if (n === null) return buf.subarray(0, used);
    used += n;
  }
}

function classify(error: unknown, path: string): FileReadError {
  if (error instanceof FileReadError) return error;
  const why = messageOf(error);
  if (error instanceof Deno.errors.NotFound) {
    return new FileReadError("NOT_FOUND", path, `Cannot read "${path}": no such file`);
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return new FileReadError("PERMISSION", path, `Cannot read "${path}": permission denied`);
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return new FileReadError("NOT_A_FILE", path, `Cannot read "${path}": is a directory`);
  }
  return new FileReadError("IO_ERROR", path, `Cannot read "${path}": ${why}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options of {@linkcode readFileStream}. */
export interface ReadFileStreamOptions extends ReadFileOptions {
  /** Size of each chunk in bytes. Default 1 MiB. */
  readonly chunkSize?: number;
}

/**
 * Streams a regular file in chunks with bounded memory, with the same faults, retries and chaos
 * modes as {@linkcode readFileBytes}: each attempt opens the file afresh and hands `consume` a new
 * iterable of chunks; a read that ends short of the file's size (or a chunk that takes longer than
 * `io_timeout_ms`, or an I/O error) makes the iteration throw a transient {@linkcode FileReadError}
 * and the whole attempt, `consume` included, is retried. So `consume` must start over each time it
 * is called (a fresh hash, a truncated output). A chunk is only valid until the next one is asked
 * for: copy it to keep it.
 *
 * Chaos: `PARTIAL` stops after half the file, `EMPTY` yields nothing (both short reads),
 * `CORRUPT` flips the byte at the file's middle offset, `TIMEOUT` never answers the first read,
 * `ERROR` fails the open, `LATENCY` waits before the open.
 *
 * @param path The file.
 * @param options Calibration, chaos mode, chunk size.
 * @param consume Reads the chunks; its result is returned.
 * @returns What `consume` returned on the attempt that succeeded.
 * @throws {FileReadError} When the file cannot be read; errors `consume` throws itself pass as is.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { readFileStream } from "./file_read.ts";
 * const size = await readFileStream("deno.json", { calibration: DEFAULT_CALIBRATION }, async (chunks) => {
 *   let n = 0;
 *   for await (const chunk of chunks) n += chunk.length;
 *   return n;
 * });
 * if (size === 0) throw new Error();
 * ```
 */
export async function readFileStream<T>(
  path: string,
  options: ReadFileStreamOptions,
  consume: (chunks: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  return await withRetries(path, options, () => attemptStream(path, options, consume));
}

async function attemptStream<T>(
  path: string,
  options: ReadFileStreamOptions,
  consume: (chunks: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  const cal = options.calibration;
  const chaos = options.chaos;
  if (chaos === "LATENCY") await delay(cal.chaos_latency_ms);
  if (chaos === "ERROR") {
    throw new FileReadError("IO_ERROR", path, `Cannot read "${path}": input/output error (chaos)`);
  }
  const { file, size } = await openRegularFile(path, options.expect);
  try {
    const chunkSize = Math.max(1, options.chunkSize ?? 1 << 20);
    const limit = chaos === "PARTIAL" ? Math.floor(size / 2) : chaos === "EMPTY" ? 0 : Infinity;
    const corruptAt = chaos === "CORRUPT" && size > 0 ? Math.floor(size / 2) : -1;
    return await consume(
      streamChunks(file, size, path, {
        chunkSize,
        limit,
        corruptAt,
        timeoutMs: cal.io_timeout_ms,
        hang: chaos === "TIMEOUT",
      }),
    );
  } finally {
    file.close();
  }
}

async function* streamChunks(
  file: OpenFile,
  size: number,
  path: string,
  o: { chunkSize: number; limit: number; corruptAt: number; timeoutMs: number; hang: boolean },
): AsyncGenerator<Uint8Array> {
  // Two buffers: the next chunk is read while the consumer works on the current one.
  const length = Math.min(o.chunkSize, Math.max(size, 1));
  const buffers = [takeBuffer(length), takeBuffer(length)];
  let which = 0;
  let offset = 0;
  let pending: Promise<number | null> | null = o.limit > 0
    ? readChunk(file, buffers[0]!, path, o.timeoutMs, o.hang)
    : null;
  try {
    while (pending !== null) {
      const n = await pending;
      pending = null;
      if (n === null) break;
      const buf = buffers[which]!;
      let chunk = buf.subarray(0, Math.min(n, o.limit - offset));
      if (o.corruptAt >= offset && o.corruptAt < offset + chunk.length) {
        chunk = chunk.slice();
        const i = o.corruptAt - offset;
        chunk[i] = chunk[i] === 0xff ? 0x00 : 0xff;
      }
      offset += chunk.length;
      if (offset < o.limit) {
        which ^= 1;
        pending = readChunk(file, buffers[which]!, path, o.timeoutMs, o.hang);
      }
      yield chunk;
    }
  } finally {
    if (pending === null) buffers.forEach(giveBuffer);
    // A read still running when the consumer stops early: let it settle quietly, and leave its
    // buffers to the garbage collector.
    else pending.catch(() => {});
  }
  if (offset < size) {
    throw new FileReadError(
      "IO_SHORT_READ",
      path,
      `Cannot read "${path}": got ${offset} of ${size} bytes`,
    );
  }
}

// Reused chunk buffers: hashing many files would otherwise allocate two per file and leave the
// garbage collector behind (measured: 70 MiB more peak memory for 64 x 4 MiB).
const bufferPool: Uint8Array[] = [];
const BUFFER_POOL_MAX = 16;

function takeBuffer(length: number): Uint8Array {
  const i = bufferPool.findIndex((b) => b.length === length);
  return i === -1 ? new Uint8Array(length) : bufferPool.splice(i, 1)[0]!;
}

function giveBuffer(buffer: Uint8Array): void {
  if (buffer.length >= 65536 && bufferPool.length < BUFFER_POOL_MAX) bufferPool.push(buffer);
}

async function readChunk(
  file: OpenFile,
  buf: Uint8Array,
  path: string,
  timeoutMs: number,
  hang: boolean,
): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new FileReadError(
            "IO_TIMEOUT",
            path,
            `Cannot read "${path}": no answer within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const read = hang ? new Promise<never>(() => {}) : file.read(buf).catch((error) => {
      throw classify(error, path);
    });
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
