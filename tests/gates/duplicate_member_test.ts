import { deepEqual, equal, ok } from "node:assert/strict";
import { runGate } from "../../lib/gates/gate.ts";
import { sha256Hex } from "../../lib/core/sha256.ts";
import { withTempDir } from "../_helpers.ts";

async function setUp(dir: string, snapshot: string, kbText: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/kb.json`, kbText);
  const sha = await sha256Hex(await Deno.readFile(`${dir}/kb.json`));
  const bp = `${dir}/bp.txt`;
  await Deno.writeTextFile(
    bp,
    `Notes\n\n[BUG_KB_JSON]\n\`\`\`\n${snapshot}\`\`\`\n\n[BUG_KB_JSON_POINTER]\n` +
      `Path=kb.json\nSHA256=${sha}\nEntries=1\n`,
  );
  return bp;
}

Deno.test("acceptance warns DUPLICATE_MEMBER with the SNAPSHOT's line; --strict blocks", async () => {
  await withTempDir(async (dir) => {
    const text = '[{"id":"a","blocking":true,\n"blocking":false}]\n';
    const bp = await setUp(dir, text, text);
    const r = await runGate("acceptance", bp);
    ok(r.verdict.pass, r.verdict.text);
    deepEqual(
      r.warnings.map((w) => [w.code, w.line]),
      [["DUPLICATE_MEMBER", 6]],
    );
    ok(r.warnings[0]!.message.includes('"blocking"'));
    equal((await runGate("acceptance", bp, { strict: true })).verdict.pass, false);
  });
});

Deno.test("selftest warns DUPLICATE_MEMBER in the external KB with its file and line", async () => {
  await withTempDir(async (dir) => {
    const bp = await setUp(dir, '[{"id":"a"}]\n', '[\n{"id":"a",\n"id":"b"}]\n');
    const r = await runGate("selftest", bp);
    const dup = r.warnings.filter((w) => w.code === "DUPLICATE_MEMBER");
    equal(dup.length, 1);
    equal(dup[0]!.line, 3);
    ok(dup[0]!.file?.endsWith("kb.json"), dup[0]!.file);
  });
});

Deno.test("the gates report no DUPLICATE_MEMBER for the same name in different objects", async () => {
  await withTempDir(async (dir) => {
    const text = '[{"id":"a","x":{"id":"b"}},{"id":"c"}]\n';
    const r = await runGate("acceptance", await setUp(dir, text, text));
    deepEqual(r.warnings.filter((w) => w.code === "DUPLICATE_MEMBER"), []);
  });
});
