import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { FileReadError, readFileBytes } from "../../lib/io/file_read.ts";
import { hashFile } from "../../lib/io/hash_stream.ts";
import { withTempDir } from "../_helpers.ts";

const calibration = DEFAULT_CALIBRATION;

async function refusedChanged(read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch (error) {
    assert(error instanceof FileReadError && error.code === "CHANGED", String(error));
    return;
  }
  throw new Error("read a file that was swapped after it was checked");
}

Deno.test("readFileBytes({ expect }) refuses a file swapped for a symlink, a copy or a FIFO", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.txt`, "checked");
    await Deno.writeTextFile(`${dir}/outside.txt`, "outside");
    const expect = await Deno.lstat(`${dir}/a.txt`);
    // Control: the checked file itself reads, by both paths.
    assert(
      new TextDecoder().decode(await readFileBytes(`${dir}/a.txt`, { calibration, expect })) ===
        "checked",
    );
    assert((await hashFile(`${dir}/a.txt`, { calibration, expect })).size === 7);
    // Swapped for a symlink to a copy of the same bytes elsewhere: the handle is not the file
    // checked (O_NOFOLLOW refuses it where Deno honours it; without --allow-all, Deno's node:fs
    // follows the link, and the identity check refuses it).
    await Deno.rename(`${dir}/a.txt`, `${dir}/kept.txt`);
    await Deno.copyFile(`${dir}/kept.txt`, `${dir}/elsewhere.txt`);
    await Deno.symlink(`${dir}/elsewhere.txt`, `${dir}/a.txt`);
    await refusedChanged(() => readFileBytes(`${dir}/a.txt`, { calibration, expect }));
    await refusedChanged(() => hashFile(`${dir}/a.txt`, { calibration, expect }));
    // Swapped for another regular file: the handle's inode is not the checked one.
    await Deno.remove(`${dir}/a.txt`);
    await Deno.copyFile(`${dir}/outside.txt`, `${dir}/a.txt`);
    await refusedChanged(() => readFileBytes(`${dir}/a.txt`, { calibration, expect }));
    // Swapped for a FIFO: opened without blocking, refused at once.
    await Deno.remove(`${dir}/a.txt`);
    assert((await new Deno.Command("mkfifo", { args: [`${dir}/a.txt`] }).output()).success);
    await refusedChanged(() => readFileBytes(`${dir}/a.txt`, { calibration, expect }));
  });
});
