/**
 * `bootpack`: check, rebuild and certify BootPacks, the text files pasted at the start of an
 * assistant session that carry a SNAPSHOT of a bug knowledge base (KB) and a POINTER to it.
 *
 * The read-only gates:
 *
 * ```ts
 * import { formatGateText, runGate } from "./mod.ts";
 *
 * const report = await runGate("acceptance", "examples/bootpack.txt", {
 *   maps: [{ from: "\\\\DS-918\\kb", to: "examples" }],
 * });
 * const text = formatGateText(report);
 * if (!report.verdict.pass || !text.includes("ptr_sha_match=True")) throw new Error(text);
 * ```
 *
 * The parser alone, pure (text in, structure and diagnostics out):
 *
 * ```ts
 * import { parseBootPack } from "./mod.ts";
 *
 * const fence = "`".repeat(3);
 * const bp = parseBootPack(`[BUG_KB_JSON]\n${fence}json\n[]\n${fence}\n`);
 * if (!bp.violations.some((v) => v.code === "FENCE_LANG_TAG" && v.line === 2)) throw new Error();
 * ```
 *
 * Proofpacks: export, then verify against the root digest:
 *
 * ```ts
 * import { exportProofpack, verifyProofpack } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const pack = await exportProofpack(`${dir}/pack`, {
 *     bootpack: "examples/bootpack.txt",
 *     kb: "examples/BUG_KB.json.txt",
 *   });
 *   const report = await verifyProofpack(`${dir}/pack`, { expectedRoot: pack.root });
 *   if (!report.ok) throw new Error(JSON.stringify(report));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

// The public API, named one by one, 40 names: twelve entry points, each with its options and
// result types, and the few record types several of them share (`deno doc --lint mod.ts` requires
// every type a public signature names to be public; records used by one type only are written
// inline there). `tests/mod_test.ts` counts them and checks that no test seam is among the
// options. Everything else in lib/ is internal.

// Read-only gates: run one, format its report.
export { runGate, type RunGateOptions } from "./lib/gates/gate.ts";
export type { GateReport } from "./lib/gates/verdict.ts";
export { formatGateText } from "./lib/gates/format.ts";
export type { ChaosMode } from "./lib/io/file_read.ts";
export type { PathMapping } from "./lib/bootpack/pointer_path.ts";
export type { Diagnostic } from "./lib/core/diagnostic.ts";

// The BootPack format, pure: parse a BootPack, parse a KB.
export { type BootPack, parseBootPack } from "./lib/bootpack/parse.ts";
export { type KbParseResult, parseKb, type ParseKbOptions } from "./lib/bootpack/kb_parse.ts";

// Writers: ingest an entry, rebuild a BootPack (locked, atomic).
export { ingestEntry, type IngestResult } from "./lib/writers/ingest.ts";
export { rebuildBootPack, type RebuildOptions, type RebuildResult } from "./lib/writers/rebuild.ts";
export type { WriterOptions } from "./lib/writers/writer.ts";

// Proofpacks: export, verify, replay.
export { type ExportOptions, exportProofpack, type ExportResult } from "./lib/proofpack/export.ts";
export { type VerifyOptions, verifyProofpack, type VerifyReport } from "./lib/proofpack/verify.ts";
export { type ReplayOptions, replayProofpack, type ReplayReport } from "./lib/proofpack/replay.ts";
export type { GateRecord, PackFileProblem } from "./lib/proofpack/manifest.ts";

// Certification.
export { certify, type CertifyOptions, type CertifyResult } from "./lib/certify/certify.ts";
export type { CertificationReport } from "./lib/certify/report.ts";

// I/O primitives: the inter-process lock, the atomic replace.
export { acquireFileLock, type FileLock, type FileLockOptions } from "./lib/io/file_lock.ts";
export { atomicReplace, type AtomicWriteOptions } from "./lib/io/atomic_write.ts";

// Calibration (every option defaults to the built-in budgets/calibration.json).
export { type Calibration, loadCalibration } from "./lib/core/calibration.ts";
