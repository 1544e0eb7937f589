/**
 * `rebuild` (SPEC §5): rewrite a BootPack's SNAPSHOT and POINTER from its KB, safely under
 * concurrent writers and crashes.
 *
 * Composition: under the BootPack's lock, the BootPack is read and parsed; the KB is the `kb`
 * option or the file the POINTER's `Path` names (with `--map` rules); under the KB's lock (the
 * same lock `ingest` takes, so the KB cannot change meanwhile) the KB is read and checked, the new
 * text computed ({@linkcode renderBootPack}) and the BootPack replaced atomically. Locks are always
 * taken BootPack first, then KB; `ingest` takes only the KB's, so no two writers can deadlock.
 * A BootPack that would not change is not rewritten.
 *
 * The result is always up to date (`acceptance --strict` passes on it): the SNAPSHOT is the KB's
 * text, and the POINTER's `Path` names the KB that was copied. With `kb`, the `Path` the user wrote
 * stays as written (a UNC path stays UNC) when it names the same file (same device and inode,
 * after `--map`); otherwise it becomes the absolute path of `kb`. A BOM is removed; the POINTER
 * keys, `=`, the uppercase SHA256 and bare fences are written in canonical form (contract §D).
 *
 * @module
 */

import {
  checkReadable,
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
import { decodeBootPack, parseBootPack } from "../bootpack/parse.ts";
import { renderBootPack } from "../bootpack/render.ts";
import { parseKb } from "../bootpack/kb_parse.ts";
import { type PathMapping, resolvePointerPath } from "../bootpack/pointer_path.ts";
import { sha256Hex } from "../core/sha256.ts";
import { WriterError, type WriterOptions } from "./writer.ts";
import { dirname } from "../core/path.ts";

/** Options of {@linkcode rebuildBootPack}. */
export interface RebuildOptions extends WriterOptions {
  /** The KB to use. Default: the POINTER's `Path`, resolved with `maps`. */
  readonly kb?: string | undefined;
  /** `--map FROM=TO` rules for the POINTER's Path. Default none. */
  readonly maps?: readonly PathMapping[];
  /** Path flavour of this host. Default: from `Deno.build.os`. */
  readonly platform?: "windows" | "posix";
}

/** What {@linkcode rebuildBootPack} did. */
export interface RebuildResult {
  /** The BootPack's path. */
  readonly bootpack: string;
  /** The KB read. */
  readonly kb: string;
  /** SHA256 of the KB's bytes, as written in the POINTER. */
  readonly sha256: string;
  /** The KB's entries, as written in the POINTER. */
  readonly entries: number;
  /** `false` when the BootPack was already up to date (nothing written). */
  readonly changed: boolean;
  /**
   * `true` when the POINTER's `Path` was replaced by `kb`'s absolute path, because the Path it had
   * does not name `kb` (or cannot be followed on this host: give `maps` to keep it).
   */
  readonly pathReplaced: boolean;
}

/**
 * Rebuilds a BootPack from its KB (see the module doc).
 *
 * @param bootpack The BootPack file.
 * @param options The KB, path mappings, calibration, chaos, hooks.
 * @returns What was read and whether the BootPack changed.
 * @throws {WriterError} For a BootPack or KB that cannot be used; nothing is written then.
 * @throws {import("../io/file_lock.ts").LockTimeoutError} When a lock stays held too long.
 * @throws {import("../io/file_read.ts").FileReadError} When a file cannot be read (after retries).
 * @example
 * ```ts
 * import { rebuildBootPack, loadCalibration } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/kb.json`, '[{"id":"a"}]\n');
 * await Deno.writeTextFile(`${dir}/bootpack.txt`, "Notes\n");
 * const r = await rebuildBootPack(`${dir}/bootpack.txt`, {
 *   kb: `${dir}/kb.json`,
 *   calibration: await loadCalibration(),
 * });
 * if (!r.changed || r.entries !== 1) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function rebuildBootPack(
  bootpack: string,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const bpTarget = await resolveTarget(bootpack);
  const bpLock = await lockForWrite(bpTarget, options);
  const state: WriteState = { written: false };
  try {
    await checkReplaceable(bpTarget, bootpack, "BOOTPACK_");
    const bpBytes = await readForWrite(bpTarget, options, "BOOTPACK_");
    const text = decodeBootPackForWrite(bpBytes, bootpack);
    const kb = options.kb ?? kbFromPointer(bootpack, text, options);
    await refuseSameFile(bootpack, kb);
    const replacePath = options.kb !== undefined &&
      !(await pointerNames(bootpack, text, options.kb, options));

    const kbTarget = await resolveTarget(kb);
    const kbLock = await lockForWrite(kbTarget, options);
    try {
      await checkReadable(kbTarget, kb);
      const kbBytes = await readForWrite(kbTarget, options, "KB_");
      const kbText = decodeForWrite(kbBytes, kb, "KB_INVALID_UTF8");
      const parsed = parseKb(kbText, { codePrefix: "KB_" });
      if (!parsed.ok) {
        const d = parsed.diagnostic;
        throw new WriterError(d.code, `Cannot rebuild from "${kb}": ${d.message}`, {
          file: kb,
          line: d.line,
        });
      }
      const sha256 = await sha256Hex(kbBytes);
      const entries = parsed.kb.summary.entries;
      const rendered = renderBootPack(text, {
        text: kbText,
        sha256,
        entries,
        path: options.kb === undefined ? null : absolute(options.kb),
        replacePath,
      });
      if (!rendered.ok) {
        const d = rendered.diagnostic;
        throw new WriterError(d.code, `Cannot rebuild "${bootpack}": ${d.message}`, {
          file: bootpack,
          line: d.line,
        });
      }
      await seamsOf(options).onStep?.("read", bpTarget);
      // Written without a BOM: rebuild is the canonicalisation step.
      const out = new TextEncoder().encode(rendered.text);
      const changed = !equalBytes(out, bpBytes);
      if (changed) await replaceForWrite(bpTarget, out, options, state);
      const pathReplaced = replacePath && parseBootPack(text).pointer?.path?.raw !== undefined;
      return { bootpack, kb, sha256, entries, changed, pathReplaced };
    } finally {
      await releaseForWrite(kbLock, state, bootpack);
    }
  } finally {
    await releaseForWrite(bpLock, state, bootpack);
  }
}

/** The BootPack's text without its BOM (an empty file is an empty text), or a refusal. */
function decodeBootPackForWrite(bytes: Uint8Array, bootpack: string): string {
  if (bytes.length === 0) return "";
  const decoded = decodeBootPack(bytes);
  if (decoded.text === null) {
    throw new WriterError(
      "BOOTPACK_INVALID_UTF8",
      `Cannot rebuild "${bootpack}": not valid UTF-8`,
      { file: bootpack, line: decoded.violations[0]?.line ?? null },
    );
  }
  return decoded.text;
}

/** Whether the BootPack's POINTER `Path` (after `--map`) names the same file as `kb`. */
async function pointerNames(
  bootpack: string,
  text: string,
  kb: string,
  options: RebuildOptions,
): Promise<boolean> {
  let named: string;
  try {
    named = kbFromPointer(bootpack, text, options);
  } catch {
    return false;
  }
  try {
    const [a, b] = await Promise.all([Deno.stat(named), Deno.stat(kb)]);
    return a.ino !== null && a.ino !== 0 && a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

function kbFromPointer(bootpack: string, text: string, options: RebuildOptions): string {
  const pointer = parseBootPack(text).pointer;
  const path = pointer?.path;
  if (!path) {
    throw new WriterError(
      "POINTER_PATH_MISSING",
      `Cannot rebuild "${bootpack}": its POINTER has no usable Path; name the KB with --kb KB`,
      { file: bootpack, line: pointer?.headerLine ?? null },
    );
  }
  const resolved = resolvePointerPath(path.value, {
    maps: options.maps ?? [],
    baseDir: dirname(bootpack),
    ...(options.platform ? { platform: options.platform } : {}),
  });
  if (!resolved.ok) {
    throw new WriterError(
      "POINTER_UNMAPPED",
      `Cannot rebuild "${bootpack}": ${resolved.reason} (or name the KB with --kb KB)`,
      { file: bootpack, line: path.line },
    );
  }
  return resolved.path;
}

async function refuseSameFile(bootpack: string, kb: string): Promise<void> {
  try {
    const [a, b] = await Promise.all([Deno.stat(bootpack), Deno.stat(kb)]);
    if (a.ino !== null && a.ino !== 0 && a.dev === b.dev && a.ino === b.ino) {
      throw new WriterError(
        "KB_IS_BOOTPACK",
        `Cannot rebuild "${bootpack}": the KB "${kb}" is the BootPack itself`,
        { file: bootpack },
      );
    }
  } catch (error) {
    if (error instanceof WriterError) throw error;
    // A KB that cannot be stat'ed is reported by the read that follows, with retries.
  }
}

function absolute(path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || /^[\\/]{2}/.test(path)) return path;
  const cwd = Deno.cwd();
  const sep = Deno.build.os === "windows" ? "\\" : "/";
  return cwd.replace(/[\\/]+$/, "") + sep + path.replace(/^\.[\\/]/, "");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
