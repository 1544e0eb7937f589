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

/** Places that may reach into the source tree, each with the reason it is safe. */
const KNOWN: Readonly<Record<string, string>> = {
  // Locates cli.ts to re-run the CLI when running from source (a compiled binary runs itself);
  // in the bundle it runs the bundle itself.
  "lib/certify/cli_process.ts": "import.meta.url, Deno.mainModule",
  // The pack's tool: from source it bundles the source tree (cached in dist/cache/), in the
  // binary it takes the included dist/bootpack.js, as the bundle it is its own file;
  // tests/proofpack/tool_test.ts runs the bundle from a folder with no source.
  "lib/proofpack/tool.ts": "import.meta.url",
};

/** Ways a module can find or read files relative to its own source. */
const SOURCE_READS: readonly RegExp[] = [
  /\bimport\.meta\.(?:url|dirname|filename|resolve)\b/g,
  /\bDeno\.mainModule\b/g,
  /\bimport\(\s*(?!["'])/g, // a computed dynamic import: the specifier is known only at run time
  /\bfrom\s+["'][^"']*\.(?!ts["'])[a-z]+["']\s+with\b(?![^;]*type:\s*"json")/g, // non-JSON asset
  /\bDeno\.(?:readTextFile|readFile|open|readDir|stat|lstat|realPath)(?:Sync)?\(\s*["'`](?:\.\/)?(?:lib|cli|budgets|scripts|tests|deno\.json)\b/g,
];

/** The code lines of a TypeScript file (JSDoc, block and line comments dropped). */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * Every use of a source-tree read in `text`, as `match` strings.
 *
 * @param text A module's source.
 * @returns The matches, in order.
 */
function sourceReads(text: string): string[] {
  const code = codeOnly(text);
  return SOURCE_READS.flatMap((re) => [...code.matchAll(re)].map((m) => m[0].trim()));
}

async function programFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/${folder}`)) {
    const path = `${folder}/${e.name}`;
    if (e.isDirectory) found.push(...await programFiles(path));
    else if (e.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

Deno.test("the program (cli.ts, cli/, lib/) reads nothing from its own source tree", async () => {
  // A compiled binary or bundle carries its modules, not the repository: only static imports,
  // and JSON modules built in (the calibration, deno.json), may reach into the tree.
  const files = ["cli.ts", ...await programFiles("cli"), ...await programFiles("lib")];
  ok(files.length > 50 && files.includes("lib/certify/cli_process.ts"), "walked every folder");
  const offenders: string[] = [];
  for (const path of files) {
    const found = sourceReads(await Deno.readTextFile(`${ROOT}/${path}`));
    if (found.length > 0 && !(path in KNOWN)) offenders.push(`${path}: ${found.join(", ")}`);
  }
  deepEqual(offenders, []);
  for (const [path, what] of Object.entries(KNOWN)) {
    ok(sourceReads(await Deno.readTextFile(`${ROOT}/${path}`)).length > 0, `${path} (${what})`);
  }
});

Deno.test("sourceReads() finds each way of reaching the source tree, not comments or JSON", () => {
  const reads = [
    'const u = new URL("../x.ts", import.meta.url);',
    "const d = import.meta.dirname;",
    "const f = import.meta.filename;",
    'const r = import.meta.resolve("./x.ts");',
    "const m = Deno.mainModule;",
    "const mod = await import(name);",
    'import text from "./replay.sh" with { type: "text" };',
    'const c = await Deno.readTextFile("budgets/calibration.json");',
    "const s = Deno.statSync(`./lib/x.ts`);",
  ];
  for (const line of reads) equal(sourceReads(line).length, 1, line);
  const fine = [
    "/** import.meta.url in a comment */",
    "// Deno.mainModule in a comment",
    'import builtin from "../../budgets/calibration.json" with { type: "json" };',
    'const m = await import("./cli/gate.ts");',
    "if (import.meta.main) Deno.exitCode = 0;",
    "const t = await Deno.readTextFile(userPath);",
  ];
  for (const line of fine) deepEqual(sourceReads(line), [], line);
});
