import { deepEqual, equal, ok } from "node:assert/strict";
import { compileArgs, PERMISSIONS, TARGETS } from "../../scripts/compile.ts";
import { ROOT } from "../_helpers.ts";

Deno.test("compileArgs() bakes in no network and no blanket permission, for every target", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target);
    ok(!args.some((a) => a === "-A" || a === "--allow-all" || a.startsWith("--allow-net")), target);
    ok(args.includes("--target") && args.includes(target));
    equal(args.at(-1), "cli.ts");
  }
  ok(compileArgs("x86_64-pc-windows-msvc").includes("dist/x86_64-pc-windows-msvc/bootpack.exe"));
  deepEqual(TARGETS.length, 3);
  ok(PERMISSIONS.includes("--no-prompt"));
});

Deno.test("the CLI reads nothing from its own source tree at run time", async () => {
  // A compiled binary carries its modules, not the repository: only static imports and the
  // calibration built in as a JSON module may reach into the tree.
  const offenders: string[] = [];
  for (const folder of ["lib", "cli"]) {
    for await (const e of Deno.readDir(`${ROOT}/${folder}`)) {
      if (!e.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(`${ROOT}/${folder}/${e.name}`);
      if (/import\.meta\.(url|dirname|filename|resolve)/.test(text)) {
        offenders.push(`${folder}/${e.name}`);
      }
    }
  }
  deepEqual(offenders, []);
});
