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

export * from "./lib/core/diagnostic.ts";
export * from "./lib/bootpack/parse.ts";
export * from "./lib/bootpack/kb_parse.ts";
export * from "./lib/core/sha256.ts";
export * from "./lib/bootpack/pointer_path.ts";
export * from "./lib/core/calibration.ts";
export * from "./lib/core/retry.ts";
export * from "./lib/io/file_read.ts";
export * from "./lib/gates/verdict.ts";
export * from "./lib/gates/gate.ts";
export * from "./lib/gates/format.ts";
export * from "./lib/io/file_lock.ts";
export * from "./lib/io/atomic_write.ts";
export * from "./lib/writers/writer.ts";
export * from "./lib/bootpack/kb_entry.ts";
export * from "./lib/bootpack/render.ts";
export * from "./lib/writers/ingest.ts";
export * from "./lib/writers/rebuild.ts";
export * from "./lib/proofpack/pack_path.ts";
export * from "./lib/io/hash_stream.ts";
export * from "./lib/proofpack/manifest.ts";
export * from "./lib/proofpack/scripts.ts";
export * from "./lib/proofpack/export.ts";
export * from "./lib/proofpack/verify.ts";
export * from "./lib/proofpack/replay.ts";
export * from "./lib/proofpack/dsse.ts";
export * from "./lib/proofpack/keygen.ts";
export * from "./lib/proofpack/pack_signature.ts";
export * from "./lib/proofpack/tool.ts";
export * from "./lib/certify/stats.ts";
export * from "./lib/certify/variance_envelope.ts";
export * from "./lib/certify/budget.ts";
export * from "./lib/certify/svg_chart.ts";
export * from "./lib/certify/cli_process.ts";
export * from "./lib/certify/stress.ts";
export * from "./lib/certify/scratch_workspace.ts";
export * from "./lib/certify/chaos_matrix.ts";
export * from "./lib/certify/report.ts";
export * from "./lib/certify/certify.ts";
