/**
 * CLI of `demo`: runs the whole pipeline on a scratch copy of the bundled example, so that a
 * newcomer sees every command at work and nothing of theirs is touched. Reads `examples/` from
 * the working directory (or `--dir`), never from the program's own source tree.
 *
 * @module
 */

import { type Calibration, CalibrationError } from "../lib/core/calibration.ts";
import type { ChaosMode } from "../lib/io/file_read.ts";
import { runGate } from "../lib/gates/gate.ts";
import { formatGateText } from "../lib/gates/format.ts";
import type { GateCommand } from "../lib/gates/verdict.ts";
import { ingestEntry } from "../lib/writers/ingest.ts";
import { exportProofpack } from "../lib/proofpack/export.ts";
import { verifyProofpack } from "../lib/proofpack/verify.ts";
import { rebuildBootPack } from "../lib/writers/rebuild.ts";
import { UsageError } from "./_args.ts";
import { calibrationOf, chaosOf, COMMON_HELP, parseCommand } from "./_common.ts";
import { printError, writeStderr, writeStdout } from "./_output.ts";
import { messageOf } from "../lib/core/error.ts";

const HELP = `Usage: bootpack demo [--dir DIR] [--keep]

Runs the pipeline on a scratch copy of the bundled example (DIR/bootpack.txt, whose POINTER
names \\\\DS-918\\kb\\BUG_KB.json.txt, and DIR/BUG_KB.json.txt), step by step:
  1. acceptance and selftest: up to date
  2. ingest a new entry: the KB changes
  3. acceptance: the SNAPSHOT is now stale ([WARN] STALE_...), still a PASS
  4. rebuild: SNAPSHOT and POINTER rewritten from the KB
  5. acceptance --strict and selftest: up to date again
  6. proofpack export, then proofpack verify against the root digest
The example files themselves are never written.

Options:
  --dir DIR            Folder holding bootpack.txt and BUG_KB.json.txt (default: examples)
  --keep               Keep the scratch folder and print its path
${COMMON_HELP}
`;

const NEW_ENTRY = JSON.stringify({
  id: "KB-005",
  title: "Rebuild forgotten after ingest",
  symptom: "acceptance prints [WARN] STALE_SHA, STALE_ENTRIES and STALE_SNAPSHOT",
  cause: "the SNAPSHOT is a copy of the KB taken at the last rebuild",
  fix: "deno task rebuild bootpack.txt",
  blocking: false,
  tags: ["bootpack", "workflow"],
});

/**
 * Runs `bootpack demo`.
 *
 * @param args Arguments after the command name.
 * @returns 0 when every step behaved as expected, else 1 (2 on usage errors).
 * @example
 * ```ts
 * import { main } from "./demo.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let dir: string;
  let keep: boolean;
  let calibration: Calibration;
  let chaos: ChaosMode | undefined;
  try {
    const flags = parseCommand(args, { dir: { type: "string" }, keep: { type: "boolean" } });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
    }
    dir = (flags.values["dir"] as string | undefined) ?? "examples";
    keep = flags.values["keep"] === true;
    chaos = chaosOf(flags);
    calibration = await calibrationOf(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`demo: ${error.message}`);
      return 2;
    }
    if (error instanceof CalibrationError) {
      printError(error.message);
      return 1;
    }
    throw error;
  }

  const scratch = await Deno.makeTempDir({ prefix: "bootpack_demo_" });
  try {
    try {
      await Deno.copyFile(`${dir}/bootpack.txt`, `${scratch}/bootpack.txt`);
      await Deno.copyFile(`${dir}/BUG_KB.json.txt`, `${scratch}/BUG_KB.json.txt`);
    } catch (error) {
      printError(
        `demo: Cannot copy the example from "${dir}": ${(error as Error).message}; run it from ` +
          `the repository root or pass --dir`,
      );
      return 1;
    }
    try {
      return await pipeline(scratch, calibration, chaos);
    } catch (error) {
      // A step that refuses (under --chaos, say) stops the demo, failing closed.
      printError(`demo: stopped: ${messageOf(error)}`);
      return 1;
    }
  } finally {
    if (keep) writeStderr(`\nScratch folder kept: ${scratch}\n`);
    else await Deno.remove(scratch, { recursive: true });
  }
}

async function pipeline(
  dir: string,
  calibration: Calibration,
  chaos: ChaosMode | undefined,
): Promise<number> {
  const bootpack = `${dir}/bootpack.txt`;
  const kb = `${dir}/BUG_KB.json.txt`;
  const maps = [{ from: "\\\\DS-918\\kb", to: dir }];
  const map = `--map '\\\\DS-918\\kb=${dir}'`;
  const failures: string[] = [];

  const gate = async (
    command: GateCommand,
    strict: boolean,
    expectUpToDate: boolean,
  ): Promise<void> => {
    step(`bootpack ${command} ${bootpack} ${map}${strict ? " --strict" : ""}`);
    const report = await runGate(command, bootpack, { maps, strict, calibration, chaos });
    writeStdout(formatGateText(report));
    if (!report.verdict.pass) failures.push(`${command} blocked`);
    if (report.upToDate !== expectUpToDate) {
      failures.push(`${command}: expected ${expectUpToDate ? "" : "not "}up to date`);
    }
  };

  step("1. The example BootPack is up to date");
  await gate("acceptance", false, true);
  await gate("selftest", false, true);

  step("2. A new entry is ingested into the KB");
  step(`echo '${NEW_ENTRY}' | bootpack ingest --kb ${kb} --entry -`);
  const ingested = await ingestEntry(kb, NEW_ENTRY, { calibration, chaos });
  writeStdout(
    `ingested id=${ingested.id} entries=${ingested.entries} sha256=${ingested.sha256}\n`,
  );

  step("3. The SNAPSHOT is stale until a rebuild: warnings, still a PASS");
  await gate("acceptance", false, false);

  step("4. Rebuild the SNAPSHOT and POINTER from the KB");
  step(`bootpack rebuild ${bootpack} ${map}`);
  const rebuilt = await rebuildBootPack(bootpack, { calibration, maps, chaos });
  writeStdout(
    `rebuilt ${rebuilt.bootpack}: Entries=${rebuilt.entries} SHA256=${rebuilt.sha256}\n`,
  );

  step("5. Up to date again, even under --strict");
  await gate("acceptance", true, true);
  await gate("selftest", true, true);

  step("6. Export the evidence as a proofpack, then verify it");
  const pack = `${dir}/proofpack`;
  step(`bootpack proofpack export --out ${pack} --bootpack ${bootpack} ${map}`);
  const exported = await exportProofpack(pack, {
    bootpack,
    maps,
    calibration,
    chaos,
    createdAt: EPOCH,
  });
  writeStdout(`${exported.root}  ${pack}/SHA256SUMS.txt\n`);
  step(`bootpack proofpack verify ${pack} --root ${exported.root}`);
  const verified = await verifyProofpack(pack, {
    expectedRoot: exported.root,
    calibration,
    chaos,
  });
  writeStdout(
    `${verified.ok ? "[PASS]" : "[FAIL]"} ${verified.matched}/${verified.listed} files match, ` +
      `${verified.missing.length} missing, ${verified.extra.length} extra, ` +
      `${verified.modified.length} modified\n`,
  );
  if (!verified.ok) failures.push("proofpack verify failed");

  if (failures.length > 0) {
    printError(`demo: unexpected results: ${failures.join("; ")}`);
    return 1;
  }
  writeStderr("\nDemo complete: every step behaved as expected.\n");
  return 0;
}

/** A fixed time stamp, so that the demo's proofpack is the same on every run. */
const EPOCH = new Date("2026-01-01T00:00:00Z");

function step(text: string): void {
  writeStderr(/^\d\./.test(text) ? `\n== ${text}\n` : `$ ${text}\n`);
}
