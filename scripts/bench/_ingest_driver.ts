/**
 * Benchmark driver: resets a scratch KB, then runs N `ingest` processes of one entry each, all at
 * once (`concurrent`) or one after the other (`sequential`), and checks that every entry landed.
 *
 *   deno run --allow-read --allow-write --allow-run scripts/bench/_ingest_driver.ts MODE N DIR
 *
 * @module
 */

import { fromFileUrl } from "../../lib/core/path.ts";

const [mode, nArg, dir] = Deno.args;
const n = Number(nArg);
if ((mode !== "concurrent" && mode !== "sequential") || !(n > 0) || dir === undefined) {
  throw new Error("usage: _ingest_driver.ts concurrent|sequential N DIR");
}
const cli = fromFileUrl(new URL("../../cli.ts", import.meta.url));
const kb = `${dir}/BUG_KB.json.txt`;
await Deno.writeTextFile(kb, '[\n  {\n    "id": "seed"\n  }\n]\n');

async function ingest(i: number): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write",
      cli,
      "ingest",
      "--kb",
      kb,
      "--entry",
      "-",
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(`{"id":"bench-${i}"}`));
  await w.close();
  const status = await child.status;
  if (!status.success) throw new Error(`ingest ${i} exited ${status.code}`);
}

if (mode === "concurrent") {
  await Promise.all(Array.from({ length: n }, (_, i) => ingest(i)));
} else {
  for (let i = 0; i < n; i++) await ingest(i);
}
const entries = (JSON.parse(await Deno.readTextFile(kb)) as unknown[]).length;
if (entries !== n + 1) throw new Error(`lost updates: ${entries} entries, expected ${n + 1}`);
