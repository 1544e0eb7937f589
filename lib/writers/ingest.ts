/**
 * `ingest` (SPEC §5): add one entry to the KB, safely under concurrent writers and crashes.
 *
 * Composition: the entry is checked first (nothing locked, nothing written), then under the KB's
 * inter-process lock ({@link import("../io/file_lock.ts")}) the KB is read through the I/O seam,
 * checked, the entry's text inserted into the KB's text ({@linkcode appendEntry}: the existing
 * bytes stay as they were) and the KB replaced atomically
 * ({@link import("../io/atomic_write.ts")}). No lost update (the read-modify-write happens under the
 * lock), no partial file (atomic rename), nothing left behind (the lock file is removed by its
 * holder, temporary files of killed writers by the next holder).
 *
 * @module
 */

import {
  checkReplaceable,
  decodeForWrite,
  lockForWrite,
  readForWrite,
  releaseForWrite,
  replaceForWrite,
  resolveTarget,
  type WriteState,
} from "./_io.ts";
import { seamsOf } from "./_options.ts";
import { appendEntry, parseEntry } from "../bootpack/kb_entry.ts";
import { sha256Hex } from "../core/sha256.ts";
import { WriterError, type WriterOptions } from "./writer.ts";

/** What {@linkcode ingestEntry} did. */
export interface IngestResult {
  /** The KB's path. */
  readonly kb: string;
  /** The new entry's id. */
  readonly id: string;
  /** Entries in the KB now. */
  readonly entries: number;
  /** SHA256 of the new KB file (uppercase). */
  readonly sha256: string;
}

/**
 * Adds one entry to a KB (see the module doc).
 *
 * @param kb The KB file.
 * @param entryText The entry's JSON text.
 * @param options Calibration, chaos, hooks.
 * @returns The entry's id and the KB's new count and SHA256.
 * @throws {WriterError} For a bad entry (`ENTRY_*`), an invalid KB (`KB_*`), a duplicate id
 * (`ENTRY_ID_DUPLICATE`), a KB the user may not write (`KB_READ_ONLY`) or one with several hard
 * links (`KB_HARDLINKED`); the KB is then byte-for-byte unchanged. With `written` `true`: the
 * failure came after the rename, the KB may already hold the new entry.
 * @throws {import("../io/file_lock.ts").LockTimeoutError} When the lock stays held too long.
 * @throws {import("../io/file_read.ts").FileReadError} When the KB cannot be read (after retries).
 * @example
 * ```ts
 * import { ingestEntry, loadCalibration } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/kb.json`, "[]\n");
 * const r = await ingestEntry(`${dir}/kb.json`, '{"id":"KB-1"}', {
 *   calibration: await loadCalibration(),
 * });
 * if (r.entries !== 1) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ingestEntry(
  kb: string,
  entryText: string,
  options: WriterOptions,
): Promise<IngestResult> {
  const entry = parseEntry(entryText);
  if (!entry.ok) {
    const d = entry.diagnostic;
    throw new WriterError(d.code, `Cannot ingest the entry: ${d.message}`, { line: d.line });
  }
  const target = await resolveTarget(kb);
  const lock = await lockForWrite(target, options);
  const state: WriteState = { written: false };
  try {
    await checkReplaceable(target, kb, "KB_");
    const text = decodeForWrite(await readForWrite(target, options, "KB_"), kb, "KB_INVALID_UTF8");
    const next = appendEntry(text, entry.entry);
    if (!next.ok) {
      const d = next.diagnostic;
      const where = d.code === "ENTRY_ID_DUPLICATE" ? "" : ": the KB is not valid";
      throw new WriterError(d.code, `Cannot ingest into "${kb}"${where}: ${d.message}`, {
        file: kb,
        line: d.line,
      });
    }
    await seamsOf(options).onStep?.("read", target);
    const bytes = new TextEncoder().encode(next.text);
    await replaceForWrite(target, bytes, options, state);
    return { kb, id: entry.entry.id, entries: next.entries, sha256: await sha256Hex(bytes) };
  } finally {
    await releaseForWrite(lock, state, kb);
  }
}
