import { deepEqual, equal, ok } from "node:assert/strict";
import { compileArgs, PERMISSIONS, TARGETS } from "../../scripts/compile.ts";
import { COMMAND_PERMISSIONS } from "../../lib/certify/cli_process.ts";
import { ROOT } from "../_helpers.ts";

Deno.test("compileArgs() bakes in no network and no blanket permission, for every target", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target);
    ok(!args.some((a) => a === "-A" || a === "--allow-all" || a.startsWith("--allow-net")), target);
    ok(args.includes("--target") && args.includes(target));
    equal(args.at(-1), "cli.ts");
    equal(args[args.indexOf("--include") + 1], "dist/bootpack.js", "the binary carries the bundle");
  }
  ok(compileArgs("x86_64-pc-windows-msvc").includes("dist/x86_64-pc-windows-msvc/bootpack.exe"));
  deepEqual(TARGETS.length, 3);
  ok(PERMISSIONS.includes("--no-prompt"));
});

/** Permission flags as kind -> scope (`*` for a blanket grant of that kind). */
function scopes(flags: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of flags) {
    const m = /^--allow-([a-z]+)(?:=(.*))?$/.exec(f);
    if (!m) continue;
    const set = out.get(m[1]!) ?? new Set<string>();
    for (const v of m[2] === undefined ? ["*"] : m[2].split(",")) set.add(v);
    out.set(m[1]!, set);
  }
  for (const [k, set] of out) if (set.has("*")) out.set(k, new Set(["*"]));
  return out;
}

function render(m: Map<string, Set<string>>): string[] {
  return [...m].map(([k, s]) => `${k}=${[...s].sort().join(",")}`).sort();
}

Deno.test("the binary's permissions are exactly the union of the commands' tasks, no network", () => {
  const union = scopes(Object.values(COMMAND_PERMISSIONS).flat());
  deepEqual(render(scopes(PERMISSIONS)), render(union));
  ok(!union.has("net") && !union.has("ffi"));
  // Every CLI command's task is in the union (a command left out would not be covered).
  for (
    const name of [
      "acceptance",
      "selftest",
      "ingest",
      "rebuild",
      "proofpack",
      "certify",
      "demo",
      "keygen",
    ]
  ) {
    ok(name in COMMAND_PERMISSIONS, name);
  }
});

Deno.test("every import.meta use in lib/ and cli/ is one the bundle test covers", async () => {
  // The bundle and the binary carry their modules, not the repository. The only modules that
  // look at their own location do so to tell source from bundle; tests/proofpack/tool_test.ts
  // runs the bundle from a folder with no source, read permission on that folder only.
  const allowed = ["lib/certify/cli_process.ts", "lib/proofpack/tool.ts"];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(rel);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(`${ROOT}/${rel}`);
        if (/import\.meta\.(url|dirname|filename|resolve)/.test(text)) found.push(rel);
      }
    }
  };
  await walk("lib");
  await walk("cli");
  ok(found.length > 0, "the scan must see the modules it allows (else it scans nothing)");
  deepEqual(found.sort(), allowed);
});
