import assert from "node:assert/strict";
import { parseBundleBanner } from "../../lib/proofpack/tool.ts";
import { ROOT } from "../_helpers.ts";

Deno.test("deno task bundle writes dist/bootpack.js with the task's own permissions and prints its digest", async () => {
  const out = await new Deno.Command("deno", {
    args: ["task", "--quiet", "bundle"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const m = /^([0-9a-f]{64}) {2}dist\/bootpack\.js\n$/.exec(stdout);
  assert.ok(m, stdout);
  const bytes = await Deno.readFile(`${ROOT}/dist/bootpack.js`);
  const digest = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(digest, m[1]);
  const banner = parseBundleBanner(bytes);
  assert.equal(banner?.version, JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).version);
  // No module left outside the bundle: no relative import or export statement, static or dynamic
  // (JSDoc examples inside the bundled comments may name modules; they are not code).
  const code = new TextDecoder().decode(bytes).replace(/\/\*[\s\S]*?\*\//g, "");
  assert.doesNotMatch(code, /^\s*(?:import|export)\b[^\n]*\bfrom\s+["']\.{1,2}\//m);
  assert.doesNotMatch(code, /\bimport\(\s*["']\.{1,2}\//);
});
