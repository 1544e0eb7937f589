import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { ingestEntry } from "../../lib/writers/ingest.ts";
import { rebuildBootPack } from "../../lib/writers/rebuild.ts";
import { WriterError } from "../../lib/writers/writer.ts";
import { withTempDir } from "../_helpers.ts";

/** A limit below the example files: every read of a BootPack or KB is over it. */
const SMALL = { ...DEFAULT_CALIBRATION, max_input_bytes: 64 };

async function refused(run: () => Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(run, (e: unknown) => e instanceof WriterError && e.code === code);
}

Deno.test("ingestEntry() refuses a KB over max_input_bytes with KB_TOO_LARGE, the KB unchanged", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/BUG_KB.json.txt`;
    const text = JSON.stringify([{ id: "A", title: "x".repeat(80) }], null, 2) + "\n";
    await Deno.writeTextFile(kb, text);
    await refused(
      () => ingestEntry(kb, '{"id":"B"}', { calibration: SMALL }),
      "KB_TOO_LARGE",
    );
    assert.equal(await Deno.readTextFile(kb), text);
    // The control: under the default limit the same ingest passes.
    const r = await ingestEntry(kb, '{"id":"B"}', { calibration: DEFAULT_CALIBRATION });
    assert.equal(r.entries, 2);
  });
});

Deno.test("rebuildBootPack() refuses a BootPack over max_input_bytes with BOOTPACK_TOO_LARGE", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, "[]\n");
    const bootpack = `${dir}/bootpack.txt`;
    const text = "Notes\n".repeat(40);
    await Deno.writeTextFile(bootpack, text);
    await refused(
      () => rebuildBootPack(bootpack, { kb, calibration: SMALL }),
      "BOOTPACK_TOO_LARGE",
    );
    assert.equal(await Deno.readTextFile(bootpack), text);
  });
});
