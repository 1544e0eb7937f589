/**
 * The one I/O seam that every command reads files through: whole-file reads that detect short
 * reads, refuse files larger than `max_input_bytes`, time out, and retry transient faults a
 * bounded number of times; and chunked reads with the same faults for streamed hashing.
 *
 * `--chaos MODE` (gate G3) injects its fault through `_chaos.ts`, which wraps the real file: the
 * reads here are the real ones, with or without chaos. One timeout mechanism
 * (`withTimeout`, on `AbortSignal.timeout`) bounds a whole read and each streamed chunk.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { retry, RetryExhaustedError } from "../core/retry.ts";
import { messageOf } from "../core/error.ts";
import { type ByteReader, chaosBeforeOpen, type ChaosMode, chaosReader } from "./_chaos.ts";

export { CHAOS_MODES, type ChaosMode } from "./_chaos.ts";
import { CHAOS_MODES } from "./_chaos.ts";

/** Reason codes of {@linkcode FileReadError}. */
export type FileReadCode =
  | "NOT_FOUND"
  | "PERMISSION"
  | "NOT_A_FILE"
  | "TOO_LARGE"
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
  /**
   * Thresholds: `retry_count`, `retry_backoff_ms`, `io_timeout_ms`, `chaos_latency_ms`, and
   * `max_input_bytes` (whole-file reads only).
   */
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
 * Reads a whole regular file. A file larger than `max_input_bytes` is refused (`TOO_LARGE`) from
 * its open handle's size before any byte is read, and the read stops there too, so a file that
 * grows while it is read is refused, never half-read. A read that returns fewer bytes than the
 * file's size, fails with an I/O error, or takes longer than `io_timeout_ms` is retried up to
 * `retry_count` times with doubling backoff; a missing file, a permission error, a non-file or a
 * file too large is not.
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

/**
 * Settles as `work` does, or rejects with `IO_TIMEOUT` after `ms`. `AbortSignal.timeout`, not
 * `setTimeout`: Deno initialises its timers on the first `setTimeout`, which costs about 5 ms of
 * every gate's start-up, and this timer does not keep the process alive (a pending read does).
 */
async function withTimeout<T>(work: Promise<T>, ms: number, path: string): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  let onAbort = (): void => {};
  const timeout = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        new FileReadError("IO_TIMEOUT", path, `Cannot read "${path}": no answer within ${ms} ms`),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

async function attemptRead(path: string, options: ReadFileOptions): Promise<Uint8Array> {
  const cal = options.calibration;
  await chaosBeforeOpen(options.chaos, cal.chaos_latency_ms).catch((e) => {
    throw classify(e, path);
  });
  const state: { opened: Opened | null; settled: boolean } = { opened: null, settled: false };
  const work = (async () => {
    const o = await openRegularFile(path, options.chaos, cal.io_timeout_ms * 2, options.expect);
    if (state.settled) {
      closeOpened(o);
      throw new FileReadError("IO_TIMEOUT", path, `Cannot read "${path}": timed out`);
    }
    state.opened = o;
    if (o.size > cal.max_input_bytes) throw tooLarge(path, o.size, cal.max_input_bytes);
    const data = await readAll(o.reader, o.size, path, cal.max_input_bytes);
    if (data.length < o.size) {
      throw new FileReadError(
        "IO_SHORT_READ",
        path,
        `Cannot read "${path}": got ${data.length} of ${o.size} bytes`,
      );
    }
    return data;
  })();
  try {
    return await withTimeout(work, cal.io_timeout_ms, path);
  } catch (error) {
    state.settled = true;
    throw error;
  } finally {
    if (state.opened !== null) closeOpened(state.opened);
  }
}

/** The part of an open file the reads use (a `Deno.FsFile`, or a checked handle). */
interface OpenFile extends ByteReader {
  close(): void;
}

interface Opened {
  readonly file: OpenFile;
  readonly reader: ReturnType<typeof chaosReader>;
  readonly size: number;
}

function closeOpened(o: Opened): void {
  o.reader.close();
  try {
    o.file.close();
  } catch {
    // Already closed.
  }
}

function tooLarge(path: string, size: number, max: number): FileReadError {
  return new FileReadError(
    "TOO_LARGE",
    path,
    `Cannot read "${path}": ${size} bytes, more than max_input_bytes (${max})`,
  );
}

function grewTooLarge(path: string, max: number): FileReadError {
  return new FileReadError(
    "TOO_LARGE",
    path,
    `Cannot read "${path}": it holds more than max_input_bytes (${max}), more than its size said`,
  );
}

/**
 * Opens a regular file for reading, with the chaos mode's faults wrapped around it, and gives its
 * size from the open handle (the size a complete read must reach).
 */
async function openRegularFile(
  path: string,
  chaos: ChaosMode | undefined,
  hangMs: number,
  expect: FileIdentity | undefined,
): Promise<Opened> {
  if (expect !== undefined) {
    const { file, size } = await openChecked(path, expect);
    return { file, size, reader: chaosReader(file, size, chaos, hangMs) };
  }
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
    return { file, size: info.size, reader: chaosReader(file, info.size, chaos, hangMs) };
  } catch (error) {
    file.close();
    throw classify(error, path);
  }
}

/** Reads to the end of the file, never more than `max` bytes (one more is `TOO_LARGE`). */
async function readAll(
  reader: ByteReader,
  size: number,
  path: string,
  max: number,
): Promise<Uint8Array> {
  let buf = new Uint8Array(Math.min(Math.max(size, 0), max) + 1);
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      if (used > max) throw grewTooLarge(path, max);
      const bigger = new Uint8Array(Math.min(buf.length * 2, max + 1));
      bigger.set(buf);
      buf = bigger;
    }
    let n: number | null;
    try {
      n = await reader.read(buf.subarray(used));
    } catch (error) {
      throw classify(error, path);
    }
    if (n === null) {
      if (used > max) throw grewTooLarge(path, max);
      return buf.subarray(0, used);
    }
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

/** Options of {@linkcode readFileStream}. */
export interface ReadFileStreamOptions extends ReadFileOptions {
  /** Size of each chunk in bytes. Default 1 MiB. */
  readonly chunkSize?: number;
}

/**
 * Streams a regular file in chunks with bounded memory, with the same faults, retries and chaos
 * modes as {@linkcode readFileBytes} (no size limit: this is for hashing): each attempt opens the
 * file afresh and hands `consume` a new iterable of chunks; a read that ends short of the file's
 * size (or a chunk that takes longer than `io_timeout_ms`, or an I/O error) makes the iteration
 * throw a transient {@linkcode FileReadError} and the whole attempt, `consume` included, is
 * retried. So `consume` must start over each time it is called (a fresh hash, a truncated output).
 * A chunk is only valid until the next one is asked for: copy it to keep it.
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
  await chaosBeforeOpen(options.chaos, cal.chaos_latency_ms).catch((e) => {
    throw classify(e, path);
  });
  const opened = await openRegularFile(path, options.chaos, cal.io_timeout_ms * 2, options.expect);
  try {
    const chunkSize = Math.max(1, options.chunkSize ?? 1 << 20);
    return await consume(streamChunks(opened, path, chunkSize, cal.io_timeout_ms));
  } finally {
    closeOpened(opened);
  }
}

async function* streamChunks(
  opened: Opened,
  path: string,
  chunkSize: number,
  timeoutMs: number,
): AsyncGenerator<Uint8Array> {
  const { reader, size } = opened;
  const readChunk = (buf: Uint8Array): Promise<number | null> =>
    withTimeout(
      reader.read(buf).catch((error) => {
        throw classify(error, path);
      }),
      timeoutMs,
      path,
    );
  // Two buffers: the next chunk is read while the consumer works on the current one.
  const length = Math.min(chunkSize, Math.max(size, 1));
  const buffers = [takeBuffer(length), takeBuffer(length)];
  let which = 0;
  let offset = 0;
  let pending: Promise<number | null> | null = readChunk(buffers[0]!);
  try {
    while (pending !== null) {
      const n = await pending;
      pending = null;
      if (n === null) break;
      const chunk = buffers[which]!.subarray(0, n);
      offset += n;
      which ^= 1;
      pending = readChunk(buffers[which]!);
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
  // node:fs is loaded only here, for the checked reads of the verifiers: it costs the gates'
  // start-up several milliseconds (Node compatibility) that they do not need.
  const { constants: fsConstants, promises: fsPromises } = await import("node:fs");
  const flags = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) |
    (fsConstants.O_NONBLOCK ?? 0);
  let handle: import("node:fs").promises.FileHandle;
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
