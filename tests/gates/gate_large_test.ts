import { equal, ok } from "node:assert/strict";
import { writeBootPack } from "../../scripts/bench/_fixtures.ts";
import { CLI, withTempDir } from "../_helpers.ts";

/** Runs a gate as a process; with GNU time when it is installed, its peak memory in KiB. */
async function gate(
  command: string,
  bootpack: string,
): Promise<{ code: number; last: string; peakKiB: number | null }> {
  const time = await Deno.stat("/usr/bin/time").then(() => true, () => false);
  const deno = [Deno.execPath(), "run", "--no-prompt", "--quiet", "--allow-read", CLI, command];
  const argv = time ? ["/usr/bin/time", "-f", "%M", ...deno, bootpack] : [...deno, bootpack];
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stdout = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  const stderr = new TextDecoder().decode(out.stderr).trimEnd().split("\n");
  const peak = time ? Number(stderr.at(-1)) : null;
  return {
    code: out.code,
    last: stdout.at(-1) ?? "",
    peakKiB: Number.isFinite(peak) ? peak : null,
  };
}

Deno.test("acceptance and selftest read a KB of 200,000 entries, with memory linear in the input", async () => {
  await withTempDir(async (dir) => {
    const small = await writeBootPack(dir, 50_000);
    const large = await writeBootPack(dir, 200_000);
    ok(large.kbBytes > 40_000_000, `${large.kbBytes}`);
    const tiny = await writeBootPack(dir, 1);
    const base = await gate("acceptance", tiny.bootpack);
    const quarter = await gate("acceptance", small.bootpack);
    equal(quarter.code, 0, quarter.last);
    for (const command of ["acceptance", "selftest"]) {
      const r = await gate(command, large.bootpack);
      equal(r.code, 0, r.last);
      ok(
        r.last.startsWith("[PASS] ") &&
          r.last.includes(" 200000 entries, 66667 blocking; BootPack up to date"),
        r.last,
      );
      if (r.peakKiB !== null && base.peakKiB !== null && quarter.peakKiB !== null) {
        // Four times the input: linear growth is about 4x the quarter's growth, quadratic 16x.
        const growth = (r.peakKiB - base.peakKiB) / (quarter.peakKiB - base.peakKiB);
        ok(growth < 6, `${command}: ${r.peakKiB} KiB vs ${quarter.peakKiB} KiB (growth ${growth})`);
        // And bounded by a small multiple of the bytes read (BootPack and KB, about 84 MB).
        ok(r.peakKiB * 1024 < 25 * 2 * large.kbBytes, `${command}: ${r.peakKiB} KiB`);
      }
    }
  });
});
