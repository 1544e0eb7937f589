/**
 * `proofpack export` (SPEC §6): copies the evidence into a new self-contained folder, records the
 * read-only gates' output on the pack's own copies, and writes `MANIFEST.json`, `SHA256SUMS.txt`,
 * `toolchain.json`, `replay.sh`, `verify.ps1` and an unsigned in-toto Statement. The pack is built
 * in a temporary sibling folder and renamed into place, so a failed export leaves nothing behind.
 * The same inputs give byte-identical files (time stamp from `createdAt`).
 *
 * @module
 */

import { basename, dirname } from "../core/path.ts";
import { decodeBootPack, parseBootPack } from "../bootpack/parse.ts";
import { type Calibration, DEFAULT_CALIBRATION } from "../core/calibration.ts";
import { type ChaosMode, readFileBytes } from "../io/file_read.ts";
import { runGate } from "../gates/gate.ts";
import { formatGateText } from "../gates/format.ts";
import { copyFileHashed, type FileDigest } from "../io/hash_stream.ts";
import { mapPool } from "../core/pool.ts";
import { comparePackPaths, findPackPathClash, packPathProblem } from "./pack_path.ts";
import { type PathMapping, resolvePointerPath } from "../bootpack/pointer_path.ts";
import {
  COMMANDS_FILE,
  DSSE_FILE,
  type GateRecord,
  MANIFEST_FILE,
  PACK_FORMAT,
  type PackEntry,
  renderGateCommands,
  renderManifest,
  renderSha256Sums,
  renderStatement,
  REPLAY_FILE,
  STATEMENT_FILE,
  SUMS_FILE,
  TOOLCHAIN_FILE,
  VERIFY_FILE,
} from "./manifest.ts";
import { encodeVerifyPs1, renderReplaySh } from "./scripts.ts";
import { sha256Hex } from "../core/sha256.ts";
import { messageOf } from "../core/error.ts";
import { OwnedDir } from "../io/owned_dir.ts";
import { gateArgs, placeKb } from "./gate_plan.ts";
import { renderSignedStatement } from "./pack_signature.ts";
import { importSigningKey } from "./dsse.ts";
import { TOOL_PATH } from "./tool.ts";

/** Options of {@linkcode exportProofpack}. */
export interface ExportOptions {
  /** The BootPack: copied to `evidence/`, and its gates recorded. Default none. */
  readonly bootpack?: string | undefined;
  /** The external KB. Default: the file the BootPack's POINTER names (after `maps`). */
  readonly kb?: string | undefined;
  /** Further evidence files, copied as `evidence/<name>`. Default none. */
  readonly files?: readonly string[];
  /** `--map` rules used to find the KB from the POINTER. Default none. */
  readonly maps?: readonly PathMapping[];
  /** Time stamp of `MANIFEST.json` (e.g. from `SOURCE_DATE_EPOCH`). Default: now. */
  readonly createdAt?: Date;
  /** Version of the tool, written in `MANIFEST.json` and `toolchain.json`. Default `"unknown"`. */
  readonly toolVersion?: string;
  /** Thresholds (retries, timeouts). Default: the built-in calibration. */
  readonly calibration?: Calibration;
  /** Chaos fault to inject into every read. Default none. */
  readonly chaos?: ChaosMode | undefined;
  /** Files copied at the same time. Default: cores + 1. */
  readonly concurrency?: number;
  /** Progress callback (called often; throttle it). */
  readonly onProgress?: (p: {
    /** What is being done: `copy` (export) or `hash` (verify). */
    readonly phase: "copy" | "hash";
    /** Files done. */
    readonly files: number;
    /** Files in all. */
    readonly totalFiles: number;
    /** Bytes done. */
    readonly bytes: number;
    /** Bytes in all. */
    readonly totalBytes: number;
  }) => void;
  /**
   * The single-file bundle of bootpack to carry as `tool/bootpack.js` (the CLI passes the one it
   * runs as, or builds: see `tool.ts`), recorded in `toolchain.json`. Default none.
   */
  readonly tool?: {
    /** The bundle's bytes. */
    readonly bytes: Uint8Array;
    /** Its SHA256, hex. */
    readonly sha256: string;
    /** The source commit (40 hex digits), or `null` when unknown. */
    readonly commit: string | null;
    /** Why the commit is unknown, or `null` when it is known. */
    readonly commitNote: string | null;
  } | undefined;
  /**
   * Sign the pack with this ECDSA P-256 private key (PKCS#8 PEM text, as `bootpack keygen`
   * writes it): adds `statement.intoto.dsse.json`, a DSSE envelope whose payload is the pack's
   * statement. Default unsigned.
   */
  readonly signingKeyPem?: string | undefined;
}

/** Progress of an export or a verify, for a progress line. */
export type PackProgress = Parameters<NonNullable<ExportOptions["onProgress"]>>[0];

/** What an export wrote. */
export interface ExportResult {
  /** The pack's folder (as given). */
  readonly dir: string;
  /** SHA256 of `SHA256SUMS.txt`: the one digest that covers the whole pack. */
  readonly root: string;
  /** Every file of the pack but `SHA256SUMS.txt`, sorted by path. */
  readonly files: readonly {
    /** Pack path (`/` separators). */
    readonly path: string;
    /** Size in bytes. */
    readonly size: number;
    /** 64 hex digits, uppercase. */
    readonly sha256: string;
  }[];
  /** The recorded gate runs. */
  readonly gates: readonly GateRecord[];
}

/** An export that cannot be done: bad input (unsafe name, clash, symlink, unreadable file). */
export class ExportError extends Error {
  /** Stable reason code, e.g. `OUT_EXISTS`, `NAME_UNSAFE`, `NAME_CLASH`, `SOURCE_INVALID`. */
  readonly code: string;
  /**
   * Creates the error.
   *
   * @param message What is wrong: `Cannot <action> "<value>": <state>`.
   * @param code Stable reason code. Default `EXPORT_INVALID`.
   */
  constructor(message: string, code = "EXPORT_INVALID") {
    super(message);
    this.name = "ExportError";
    this.code = code;
  }
}

interface Source {
  readonly src: string;
  readonly path: string;
}

/**
 * Exports a proofpack into `dir`, which must not exist: export never writes into or over anything
 * (a folder that appears at `dir` while it runs makes it fail, and stays).
 *
 * The gates run in-process on the pack's own copies, opened from the pack's folder (`cwd`) so that
 * every path they print is pack-relative, as in a replay; the process's working directory is not
 * changed.
 *
 * @param dir The pack's folder.
 * @param options Evidence, time stamp, calibration, progress.
 * @returns The root digest and the files written.
 * @throws {ExportError} For bad input; nothing is left behind.
 * @throws {import("../io/file_read.ts").FileReadError} When an evidence file cannot be read.
 * @example
 * ```ts
 * import { exportProofpack } from "./export.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const r = await exportProofpack(`${dir}/pack`, {
 *     bootpack: "examples/bootpack.txt",
 *     kb: "examples/BUG_KB.json.txt",
 *     createdAt: new Date(0),
 *   });
 *   if (r.root.length !== 64 || r.gates.length !== 2) throw new Error();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function exportProofpack(
  dir: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const calibration = options.calibration ?? DEFAULT_CALIBRATION;
  const read = { calibration, chaos: options.chaos };
  const outDir = absolute(dir);
  // 1. Plan: which file goes where, and what the gates run on.
  const plan = await planSources(options, read);
  let totalBytes = 0;
  for (const s of plan.sources) totalBytes += await checkSource(s.src);
  // 2. Reserve the output name and build the pack in this run's partial sibling folder.
  const owned = await reserve(dir, outDir);
  const tmp = owned.work;
  try {
    const content = await copySources(tmp, plan, totalBytes, options, read);
    const put = async (path: string, data: Uint8Array | string, mode = 0o644): Promise<void> => {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      await Deno.writeFile(`${tmp}/${path}`, bytes, { createNew: true, mode });
      content.push({ path, size: bytes.length, sha256: await sha256Hex(bytes) });
    };
    // 3. The gates, on the pack's own copies, from the pack's root.
    const gates = plan.bootpack === null ? [] : await recordGates(tmp, plan, put, read);
    // 4. Toolchain, scripts, inventory, statement, sums.
    const root = await writeOwnFiles(tmp, plan, content, gates, put, options);
    // 5. Into place, unless something appeared at --out meanwhile (then it is left as it is).
    try {
      await owned.publish();
    } catch (error) {
      throw new ExportError(`Cannot export into "${dir}": ${messageOf(error)}`, "OUT_CHANGED");
    }
    return {
      dir,
      root,
      files: content.sort((a, b) => comparePackPaths(a.path, b.path)),
      gates,
    };
  } catch (error) {
    await owned.discard();
    throw error;
  }
}

/** What an export copies where, and the evidence its gates run on. */
interface Plan {
  readonly sources: readonly Source[];
  readonly bootpack: string | null;
  readonly kb: string | null;
  readonly map: string | null;
}

type Read = { calibration: Calibration; chaos: ChaosMode | undefined };
type Put = (path: string, data: Uint8Array | string, mode?: number) => Promise<void>;

async function planSources(options: ExportOptions, read: Read): Promise<Plan> {
  const sources: Source[] = [];
  let bootpack: string | null = null;
  let kb: string | null = null;
  let map: string | null = null;
  if (options.bootpack !== undefined) {
    bootpack = `evidence/${basename(options.bootpack)}`;
    sources.push({ src: options.bootpack, path: bootpack });
    const placed = await planKb(options.bootpack, options, read);
    if (placed) {
      sources.push({ src: placed.src, path: placed.path });
      kb = placed.path;
      map = placed.map;
    }
  } else if (options.kb !== undefined) {
    sources.push({ src: options.kb, path: `evidence/${basename(options.kb)}` });
  }
  for (const file of options.files ?? []) {
    sources.push({ src: file, path: `evidence/${basename(file)}` });
  }
  for (const s of sources) {
    const problem = packPathProblem(s.path);
    if (problem !== null) {
      throw new ExportError(
        `Cannot export "${s.src}" as "${s.path}": the name ${problem}`,
        "NAME_UNSAFE",
      );
    }
  }
  const clash = findPackPathClash(sources.map((s) => s.path));
  if (clash) {
    throw new ExportError(
      `Cannot export "${clash[1]}": it clashes with "${clash[0]}" (the same name, or the same ` +
        `but for case or Unicode normalization; every verifier must read one name one way)`,
      "NAME_CLASH",
    );
  }
  return { sources, bootpack, kb, map };
}

async function copySources(
  tmp: string,
  plan: Plan,
  totalBytes: number,
  options: ExportOptions,
  read: Read,
): Promise<PackEntry[]> {
  await Deno.mkdir(`${tmp}/evidence`);
  if (plan.bootpack !== null) await Deno.mkdir(`${tmp}/gates`);
  for (const s of plan.sources) {
    const parent = s.path.slice(0, s.path.lastIndexOf("/"));
    await Deno.mkdir(`${tmp}/${parent}`, { recursive: true });
  }
  let bytes = 0;
  const digests: FileDigest[] = await mapPool(plan.sources, {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    onDone: (files, totalFiles) =>
      options.onProgress?.({ phase: "copy", files, totalFiles, bytes, totalBytes }),
  }, (s) =>
    copyFileHashed(s.src, `${tmp}/${s.path}`, {
      ...read,
      onBytes: (n) => {
        bytes += n;
      },
    }));
  return plan.sources.map((s, i) => ({
    path: s.path,
    size: digests[i]!.size,
    sha256: digests[i]!.sha256,
  }));
}

/** Runs both gates in-process on the pack's copies and records them, verdicts from the reports. */
async function recordGates(tmp: string, plan: Plan, put: Put, read: Read): Promise<GateRecord[]> {
  const bootpack = plan.bootpack!;
  const map = plan.map;
  const gates: GateRecord[] = [];
  for (const name of ["acceptance", "selftest"] as const) {
    // Run from the pack's folder, so that every path the gates print is pack-relative.
    const report = await runGate(name, bootpack, {
      maps: map === null ? [] : [{ from: map.slice(0, map.lastIndexOf("=")), to: "evidence" }],
      calibration: read.calibration,
      chaos: read.chaos,
      cwd: tmp,
    });
    const output = `gates/${name}.txt`;
    await put(output, formatGateText(report));
    const pass = report.verdict.pass;
    gates.push({
      name,
      args: gateArgs(name, bootpack, map),
      exit_code: pass ? 0 : 1,
      output,
      verdict: pass ? "PASS" : "GATE-BLOCK",
      warnings: report.warnings.length,
    });
  }
  await put(COMMANDS_FILE, renderGateCommands(gates));
  return gates;
}

/** Writes the toolchain, the scripts, MANIFEST, the statement and the sums; returns the root. */
async function writeOwnFiles(
  tmp: string,
  plan: Plan,
  content: PackEntry[],
  gates: readonly GateRecord[],
  put: Put,
  options: ExportOptions,
): Promise<string> {
  const version = options.toolVersion ?? "unknown";
  if (options.tool !== undefined) {
    await Deno.mkdir(`${tmp}/tool`);
    await put(TOOL_PATH, options.tool.bytes);
  }
  await put(TOOLCHAIN_FILE, renderToolchain(version, options.tool));
  await put(REPLAY_FILE, renderReplaySh(), 0o755);
  await put(VERIFY_FILE, encodeVerifyPs1());
  const created = (options.createdAt ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const manifestText = renderManifest({
    format: PACK_FORMAT,
    created,
    tool: { name: "bootpack", version },
    files: content,
    ...(plan.bootpack === null ? {} : { inputs: { bootpack: plan.bootpack, kb: plan.kb } }),
  });
  await put(MANIFEST_FILE, manifestText);
  const config = content.filter((e) => e.path === COMMANDS_FILE);
  const statement = renderStatement(content.slice(), gates, config);
  await put(STATEMENT_FILE, statement);
  if (options.signingKeyPem !== undefined) {
    const key = await importSigningKey(options.signingKeyPem);
    await put(DSSE_FILE, await renderSignedStatement(statement, key));
  }
  const sumsBytes = new TextEncoder().encode(renderSha256Sums(content));
  await Deno.writeFile(`${tmp}/${SUMS_FILE}`, sumsBytes, { createNew: true, mode: 0o644 });
  return await sha256Hex(sumsBytes);
}

/**
 * Renders `toolchain.json`: the runtime, OS and tool versions that wrote the pack.
 *
 * @param toolVersion Version of bootpack.
 * @param tool The bundle the pack carries, if any: its SHA256 and source commit.
 * @returns The text, ending with LF.
 * @example
 * ```ts
 * import { renderToolchain } from "./export.ts";
 * if (JSON.parse(renderToolchain("1.0")).runtime.deno !== Deno.version.deno) throw new Error();
 * ```
 */
export function renderToolchain(toolVersion: string, tool?: ExportOptions["tool"]): string {
  let release: string;
  try {
    release = Deno.osRelease();
  } catch {
    release = "unknown (no --allow-sys=osRelease)";
  }
  return JSON.stringify(
    {
      format: PACK_FORMAT,
      tool: {
        name: "bootpack",
        version: toolVersion,
        ...(tool === undefined ? {} : {
          path: TOOL_PATH,
          sha256: tool.sha256.toLowerCase(),
          commit: tool.commit,
          ...(tool.commitNote === null ? {} : { commit_note: tool.commitNote }),
        }),
      },
      runtime: {
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        typescript: Deno.version.typescript,
      },
      os: { target: Deno.build.target, os: Deno.build.os, arch: Deno.build.arch, release },
      hash: "SHA256, streamed with node:crypto; uppercase hex in SHA256SUMS.txt and MANIFEST.json",
      verifiers: {
        linux: "bash replay.sh (bash, GNU coreutils sha256sum, find; deno to replay the gates)",
        windows: "verify.ps1 (Windows PowerShell 5.1, nothing to install)",
        bootpack: "bootpack proofpack verify DIR; bootpack proofpack replay DIR",
      },
    },
    null,
    2,
  ) + "\n";
}

async function planKb(
  bootpack: string,
  options: ExportOptions,
  read: { calibration: Calibration; chaos: ChaosMode | undefined },
): Promise<{ src: string; path: string; map: string | null } | null> {
  let pointerPath: string | null = null;
  try {
    const decoded = decodeBootPack(await readFileBytes(bootpack, read));
    if (decoded.text !== null) {
      pointerPath = parseBootPack(decoded.text).pointer?.path?.value ?? null;
    }
  } catch {
    pointerPath = null; // the gates will record why the BootPack cannot be read
  }
  if (pointerPath === null) {
    return options.kb === undefined
      ? null
      : { src: options.kb, path: `evidence/${basename(options.kb)}`, map: null };
  }
  const placed = placeKb(pointerPath);
  if (typeof placed === "string") {
    throw new ExportError(
      `Cannot map the POINTER's Path "${pointerPath}" into the pack: ${placed}`,
      "POINTER_UNMAPPABLE",
    );
  }
  let src = options.kb;
  if (src === undefined) {
    const resolved = resolvePointerPath(pointerPath, {
      maps: options.maps ?? [],
      baseDir: dirname(bootpack),
    });
    if (!resolved.ok) {
      throw new ExportError(
        `Cannot find the KB of "${bootpack}": ${resolved.reason}; give --kb FILE or --map FROM=TO`,
        "KB_NOT_FOUND",
      );
    }
    src = resolved.path;
  }
  return { src, path: placed.kb, map: placed.map };
}

async function reserve(dir: string, outDir: string): Promise<OwnedDir> {
  try {
    return await OwnedDir.create(outDir);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new ExportError(
        `Cannot export into "${dir}": it exists (export never writes into or over anything)`,
        "OUT_EXISTS",
      );
    }
    throw new ExportError(`Cannot export into "${dir}": ${messageOf(error)}`, "OUT_UNWRITABLE");
  }
}

async function checkSource(src: string): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(src);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ExportError(`Cannot export "${src}": no such file`, "SOURCE_MISSING");
    }
    throw new ExportError(`Cannot export "${src}": ${messageOf(error)}`, "SOURCE_UNREADABLE");
  }
  if (info.isSymlink) {
    throw new ExportError(
      `Cannot export "${src}": it is a symlink (give the file it points to)`,
      "SOURCE_SYMLINK",
    );
  }
  if (!info.isFile) {
    throw new ExportError(`Cannot export "${src}": not a regular file`, "SOURCE_NOT_FILE");
  }
  return info.size;
}

function absolute(path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\")) {
    return path.replace(/[\\/]+$/, "") || path;
  }
  return `${Deno.cwd()}/${path}`.replace(/\/+$/, "");
}
