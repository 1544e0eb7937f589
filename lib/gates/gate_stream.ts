/**
 * The read-only gates' large-file path: a BootPack or KB bigger than the calibrated
 * `stream_min_bytes` is read in chunks and checked as it streams by (the same scanner and the same
 * rules as the in-memory path), so that memory stays bounded whatever the file size. The
 * SNAPSHOT's counts come from the streaming KB counter, and its SHA256 tells whether the external
 * KB is the same text (then its counts are reused without a second parse).
 *
 * @module
 */

import { BootPackScanner } from "../bootpack/_scan.ts";
import type { PointerSection } from "../bootpack/parse.ts";
import type { Diagnostic } from "../core/diagnostic.ts";
import { type ReadFileOptions, readFileStream } from "../io/file_read.ts";
import { createKbStreamCounter, type KbCountResult } from "./kb_count_stream.ts";
import type { KbSummary } from "../bootpack/kb_parse.ts";
import { invalidUtf8Line } from "../core/utf8.ts";

/** Chunk size of the streaming reads: small enough that every string made from a chunk is a
 * young-generation object the garbage collector reclaims at once (measured on a 50 MiB BootPack:
 * 1 MiB chunks peak at 230 MiB, 256 KiB at 100 MiB, 64 KiB at 77 MiB, 32 KiB no lower). */
const CHUNK = 1 << 16;

/** What the streaming read of a BootPack found. */
export interface StreamedBootPack {
  /** Violations (encoding, SPEC §2, the SNAPSHOT's JSON), sorted by the caller. */
  readonly violations: readonly Diagnostic[];
  /** Non-blocking findings. */
  readonly warnings: readonly Diagnostic[];
  /** SNAPSHOT counts, when valid. */
  readonly snapshot: KbSummary | null;
  /** SHA256 (uppercase) of the SNAPSHOT's JSON as UTF-8, when valid. */
  readonly snapshotSha256: string | null;
  /** The POINTER, when present. */
  readonly pointer: PointerSection | null;
}

interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(encoding: "hex"): string;
}

async function newHasher(): Promise<Hasher> {
  // Loaded on demand: node:crypto costs start-up that the small-file path must not pay.
  const { createHash } = await import("node:crypto");
  return createHash("sha256") as unknown as Hasher;
}

/**
 * Reads and checks a BootPack in chunks.
 *
 * @param path The BootPack.
 * @param read Calibration and chaos mode.
 * @returns What was found.
 * @throws {import("../io/file_read.ts").FileReadError} When the file cannot be read.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { readBootPackStreaming } from "./gate_stream.ts";
 * const r = await readBootPackStreaming("examples/bootpack.txt", { calibration: DEFAULT_CALIBRATION });
 * if (r.snapshot?.entries !== 4 || r.violations.length !== 0) throw new Error();
 * ```
 */
export function readBootPackStreaming(
  path: string,
  read: ReadFileOptions,
): Promise<StreamedBootPack> {
  return readFileStream(path, { ...read, chunkSize: CHUNK }, async (chunks) => {
    const counter = createKbStreamCounter({ codePrefix: "SNAPSHOT_" });
    const hasher = await newHasher();
    const encoder = new TextEncoder();
    // One buffer for every piece's bytes: a fresh one per piece is memory the GC sees late.
    let buffer = new Uint8Array(CHUNK * 3);
    const scanner = new BootPackScanner({
      write(piece): void {
        if (buffer.length < piece.length * 3) buffer = new Uint8Array(piece.length * 3);
        const bytes = buffer.subarray(0, encoder.encodeInto(piece, buffer).written);
        counter.pushBytes(bytes);
        hasher.update(bytes);
      },
    });
    const decoded = await decodeChunks(chunks, (text) => scanner.push(text), "BOOTPACK_");
    if (decoded.violations.some((v) => v.code !== "BOOTPACK_BOM") || decoded.empty) {
      return { ...none, violations: decoded.violations };
    }
    const scan = scanner.finish();
    const violations: Diagnostic[] = [...decoded.violations, ...scan.violations];
    let snapshot: KbSummary | null = null;
    let snapshotSha256: string | null = null;
    if (scan.snapshot?.jsonComplete) {
      const counted = shift(counter.finish(), scan.snapshot.jsonFirstLine - 1);
      if (counted.ok) {
        snapshot = counted.summary;
        snapshotSha256 = hasher.digest("hex").toUpperCase();
      } else {
        violations.push(counted.diagnostic);
      }
    }
    return {
      violations,
      warnings: scan.warnings,
      snapshot,
      snapshotSha256,
      pointer: scan.pointer === null ? null : { ...scan.pointer },
    };
  });
}

const none = { warnings: [], snapshot: null, snapshotSha256: null, pointer: null };

/** What {@linkcode readKbStreaming} found. */
export interface StreamedKb {
  /** SHA256 (uppercase) of the file's bytes. */
  readonly sha256: string;
  /** Counts, or why the file is not a KB (`KB_*`, lines in the KB). */
  readonly counted: KbCountResult;
}

/**
 * Reads a KB in chunks: its SHA256, then (unless `same` has the same SHA256, when its counts are
 * reused) its counts in a second pass.
 *
 * @param path The KB file.
 * @param read Calibration and chaos mode.
 * @param same A text already counted (the SNAPSHOT) and its SHA256, or `null`.
 * @returns SHA256 and counts.
 * @throws {import("../io/file_read.ts").FileReadError} When the file cannot be read.
 * @example
 * ```ts
 * import { DEFAULT_CALIBRATION } from "../core/calibration.ts";
 * import { readKbStreaming } from "./gate_stream.ts";
 * const r = await readKbStreaming("examples/BUG_KB.json.txt", { calibration: DEFAULT_CALIBRATION }, null);
 * if (!r.counted.ok || r.counted.summary.entries !== 4) throw new Error();
 * ```
 */
export async function readKbStreaming(
  path: string,
  read: ReadFileOptions,
  same: { readonly sha256: string; readonly summary: KbSummary } | null,
): Promise<StreamedKb> {
  const options = { ...read, chunkSize: CHUNK };
  const sha256 = await readFileStream(path, options, async (chunks) => {
    const hasher = await newHasher();
    for await (const chunk of chunks) hasher.update(chunk);
    return hasher.digest("hex").toUpperCase();
  });
  if (same && same.sha256 === sha256) {
    return { sha256, counted: { ok: true, summary: same.summary } };
  }
  const counted = await readFileStream(path, options, async (chunks) => {
    const counter = createKbStreamCounter({ codePrefix: "KB_" });
    const decoded = await decodeChunks(
      chunks,
      null,
      "KB_",
      true,
      (bytes) => counter.pushBytes(bytes),
    );
    const first = decoded.violations[0];
    if (first) return { ok: false, diagnostic: first } as const;
    return counter.finish();
  });
  return { sha256, counted };
}

/**
 * Decodes chunks as strict UTF-8 and hands on the text (`push`) and the checked bytes
 * (`pushBytes`). A leading BOM is reported (and skipped, unless `keepBom`, when the consumer
 * reports it itself); bytes that are not UTF-8 stop the read.
 */
async function decodeChunks(
  chunks: AsyncIterable<Uint8Array>,
  push: ((text: string) => void) | null,
  prefix: string,
  keepBom = false,
  pushBytes: (bytes: Uint8Array) => void = () => {},
): Promise<{ violations: Diagnostic[]; empty: boolean }> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const violations: Diagnostic[] = [];
  let lines = 0;
  let first = true;
  let empty = true;
  const invalid = (line: number): Diagnostic => ({
    code: `${prefix}INVALID_UTF8`,
    line,
    message: `The ${prefix === "KB_" ? "KB" : "BootPack"} is not valid UTF-8`,
  });
  for await (let chunk of chunks) {
    if (chunk.length === 0) continue;
    empty = false;
    if (first) {
      first = false;
      if (!keepBom && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        violations.push({
          code: `${prefix}BOM`,
          line: 1,
          message: "The file starts with a UTF-8 byte order mark; it must be UTF-8 without BOM",
        });
        chunk = chunk.subarray(3);
      }
    }
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      violations.push(invalid(lines + invalidUtf8Line(chunk)));
      return { violations, empty };
    }
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    push?.(text);
    pushBytes(chunk);
  }
  try {
    const rest = decoder.decode();
    push?.(rest);
  } catch {
    violations.push(invalid(lines + 1));
  }
  if (empty && prefix === "BOOTPACK_") {
    violations.push({ code: "BOOTPACK_EMPTY", line: null, message: "The BootPack file is empty" });
  }
  return { violations, empty };
}

/** Moves a counter's line numbers from the JSON's own to the file's. */
function shift(result: KbCountResult, by: number): KbCountResult {
  if (result.ok || result.diagnostic.line === null) return result;
  return { ok: false, diagnostic: { ...result.diagnostic, line: result.diagnostic.line + by } };
}
