/**
 * Streaming SHA256 of files with bounded memory, through the I/O seam `file_read.ts` (so chaos
 * modes, retries and short-read detection apply), and a pool that hashes many files at once while
 * keeping the results in input order. WebCrypto cannot hash a stream, so this uses the streaming
 * hash Deno ships in `node:crypto` (native SHA-NI code where the CPU has it).
 *
 * Why on the main thread: the reads run on Deno's I/O threads, double-buffered (the next chunk is
 * read while this one is hashed), and several files are in flight at once, so both cores work.
 * Measured on 2 cores, 64 x 4 MiB: this pool 180-220 ms; two Web Workers hashing chunks
 * transferred from the main thread 210-335 ms; `crypto.subtle.digest` (whole files, not
 * streamable) about 870 ms. Workers would also need a module URL, which a compiled binary lacks.
 * Chunk buffers are reused across files (see `file_read.ts`), which keeps the peak memory of a
 * 64 x 4 MiB verify at about 60 MiB instead of 113 MiB.
 *
 * @module
 */

import type { Calibration } from "../core/calibration.ts";
import { type ChaosMode, type FileIdentity, readFileStream } from "./file_read.ts";
import { mapPool } from "../core/pool.ts";

/** Size and SHA256 of one file. */
export interface FileDigest {
  /** The path as given. */
  readonly path: string;
  /** Bytes hashed. */
  readonly size: number;
  /** 64 uppercase hex digits. */
  readonly sha256: string;
}

/** Options of {@linkcode hashFile} and {@linkcode copyFileHashed}. */
export interface HashFileOptions {
  /** Thresholds (retries, timeouts). */
  readonly calibration: Calibration;
  /** Chaos fault to inject into every read. Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Chunk size in bytes. Default 1 MiB. */
  readonly chunkSize?: number;
  /** Called with each chunk's length as it is hashed (progress). */
  readonly onBytes?: (n: number) => void;
  /** The file must be this one (see `ReadFileOptions.expect`). Default: not checked. */
  readonly expect?: FileIdentity | undefined;
}

/**
 * Computes the size and SHA256 of a file, streamed in chunks (memory stays at one chunk).
 *
 * @param path The file.
 * @param options Calibration, chaos, chunk size.
 * @returns Size and uppercase SHA256.
 * @throws {import("./file_read.ts").FileReadError} When the file cannot be read.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { hashFile } from "./hash_stream.ts";
 * const d = await hashFile("deno.json", { calibration: DEFAULT_CALIBRATION });
 * if (d.sha256.length !== 64) throw new Error();
 * ```
 */
export function hashFile(path: string, options: HashFileOptions): Promise<FileDigest> {
  return readFileStream(path, streamOptions(options), async (chunks) => {
    const hash = (await nodeCrypto()).createHash("sha256");
    let size = 0;
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      options.onBytes?.(chunk.length);
    }
    return { path, size, sha256: hash.digest("hex").toUpperCase() };
  });
}

/**
 * Copies a file and computes the size and SHA256 of what was copied, in one streamed pass. The
 * copy is created (never overwritten: an existing `dest` is an error) with mode 0644; a retried
 * read starts the copy over.
 *
 * @param src The file to copy.
 * @param dest Where to write the copy.
 * @param options Calibration, chaos, chunk size.
 * @returns Size and SHA256 of the bytes written, with `path` = `dest`.
 * @throws {import("./file_read.ts").FileReadError} When `src` cannot be read.
 * @throws {Deno.errors.AlreadyExists} When `dest` exists.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { copyFileHashed } from "./hash_stream.ts";
 * const dir = await Deno.makeTempDir();
 * const d = await copyFileHashed("deno.json", `${dir}/copy.json`, { calibration: DEFAULT_CALIBRATION });
 * await Deno.remove(dir, { recursive: true });
 * if (d.size === 0) throw new Error();
 * ```
 */
export async function copyFileHashed(
  src: string,
  dest: string,
  options: HashFileOptions,
): Promise<FileDigest> {
  let created = false;
  return await readFileStream(src, streamOptions(options), async (chunks) => {
    // First attempt creates the file (refusing an existing one); a retry truncates its own copy.
    const out = await Deno.open(dest, {
      write: true,
      ...(created ? { truncate: true } : { createNew: true }),
      mode: 0o644,
    });
    created = true;
    try {
      const hash = (await nodeCrypto()).createHash("sha256");
      let size = 0;
      for await (const chunk of chunks) {
        hash.update(chunk);
        let rest = chunk;
        while (rest.length > 0) rest = rest.subarray(await out.write(rest));
        size += chunk.length;
        options.onBytes?.(chunk.length);
      }
      return { path: dest, size, sha256: hash.digest("hex").toUpperCase() };
    } finally {
      out.close();
    }
  });
}

/** Options of {@linkcode hashFiles}. */
export interface HashFilesOptions extends HashFileOptions {
  /** Files hashed at the same time. Default: `navigator.hardwareConcurrency` + 1, at least 2. */
  readonly concurrency?: number;
  /** Called after each file with the count done so far. */
  readonly onFile?: (done: number, total: number) => void;
}

/**
 * Hashes many files, several at a time, and returns the digests in the order of `paths`
 * (whatever order the reads finish in). The first failure stops the pool and is thrown.
 *
 * @param paths The files.
 * @param options Calibration, chaos, concurrency, progress callbacks.
 * @returns One digest per path, same order.
 * @throws {import("./file_read.ts").FileReadError} When a file cannot be read.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { hashFiles } from "./hash_stream.ts";
 * const [a, b] = await hashFiles(["deno.json", "mod.ts"], { calibration: DEFAULT_CALIBRATION });
 * if (a?.path !== "deno.json" || b?.path !== "mod.ts") throw new Error();
 * ```
 */
export function hashFiles(
  paths: readonly string[],
  options: HashFilesOptions,
): Promise<FileDigest[]> {
  const pool = {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.onFile === undefined ? {} : { onDone: options.onFile }),
  };
  return mapPool(paths, pool, (path) => hashFile(path, options));
}

function streamOptions(options: HashFileOptions): {
  calibration: Calibration;
  chaos: ChaosMode | undefined;
  expect: FileIdentity | undefined;
  chunkSize?: number;
} {
  return {
    calibration: options.calibration,
    chaos: options.chaos,
    expect: options.expect,
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
  };
}

/** `node:crypto` (streaming SHA-256), loaded on first use so that importing this costs nothing. */
function nodeCrypto(): Promise<typeof import("node:crypto")> {
  return import("node:crypto");
}
