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

export * from "./lib/diagnostic.ts";
export * from "./lib/bootpack_parse.ts";
export * from "./lib/kb_parse.ts";
export * from "./lib/sha256.ts";
export * from "./lib/pointer_path.ts";
export * from "./lib/calibration.ts";
export * from "./lib/retry.ts";
export * from "./lib/file_read.ts";
export * from "./lib/gate_verdict.ts";
export * from "./lib/gate.ts";
export * from "./lib/gate_format.ts";
export * from "./lib/file_lock.ts";
export * from "./lib/atomic_write.ts";
export * from "./lib/writer.ts";
export * from "./lib/kb_entry.ts";
export * from "./lib/bootpack_render.ts";
export * from "./lib/ingest.ts";
export * from "./lib/rebuild.ts";
export * from "./lib/pack_path.ts";
export * from "./lib/hash_stream.ts";
export * from "./lib/proofpack_manifest.ts";
export * from "./lib/proofpack_scripts.ts";
export * from "./lib/proofpack_export.ts";
export * from "./lib/proofpack_verify.ts";
export * from "./lib/proofpack_replay.ts";
export * from "./lib/stats.ts";
export * from "./lib/variance_envelope.ts";
export * from "./lib/budget.ts";
export * from "./lib/svg_chart.ts";
export * from "./lib/cli_process.ts";
export * from "./lib/stress.ts";
export * from "./lib/scratch_workspace.ts";
export * from "./lib/chaos_matrix.ts";
export * from "./lib/certify_report.ts";
export * from "./lib/certify.ts";
