import { deepEqual, equal, ok } from "node:assert/strict";
import { joinLines, parseBootPack } from "../../lib/bootpack/parse.ts";
import { runGate } from "../../lib/gates/gate.ts";
import { sha256Hex } from "../../lib/core/sha256.ts";
import { copyExample, exampleMap, runCli, withTempDir } from "../_helpers.ts";
import { residue, spawn } from "../_writers.ts";

const RW = ["--allow-read", "--allow-write"];

/** Lines of a BootPack outside its SNAPSHOT and POINTER sections. */
function outside(text: string): string {
  const bp = parseBootPack(text);
  const inSection = (line: number): boolean =>
    [bp.snapshot, bp.pointer].some((s) => s !== null && line >= s.headerLine && line < s.endLine);
  return joinLines(bp.lines.filter((_, i) => !inSection(i + 1)));
}

Deno.test("rebuild after ingest makes the BootPack up to date and keeps every other byte (CRLF)", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    const original = await Deno.readTextFile(bootpack);
    const ing = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
      permissions: RW,
      stdin: '{"id":"KB-005","blocking":true}',
    });
    equal(ing.code, 0, ing.stderr);
    const maps = [{ from: "\\\\DS-918\\kb", to: dir }];
    const stale = await runGate("acceptance", bootpack, { maps, strict: true });
    equal(stale.verdict.pass, false);

    const r = await runCli(["rebuild", bootpack, "--map", exampleMap(dir)], { permissions: RW });
    equal(r.code, 0, r.stderr);
    const sha = await sha256Hex(await Deno.readFile(kb));
    equal(r.stdout, `rebuilt entries=5 sha256=${sha} kb=${dir}/BUG_KB.json.txt\n`);

    const report = await runGate("acceptance", bootpack, { maps, strict: true });
    ok(report.verdict.pass, report.verdict.text);
    ok(report.verdict.text.includes("up to date"), report.verdict.text);
    const self = await runGate("selftest", bootpack, { maps, strict: true });
    ok(self.verdict.pass, self.verdict.text);

    const rebuilt = await Deno.readTextFile(bootpack);
    equal(outside(rebuilt), outside(original));
    equal(rebuilt.replaceAll("\r\n", "").includes("\n"), false, "a bare LF in a CRLF BootPack");
    ok(rebuilt.includes("\r\nPath=\\\\DS-918\\kb\\BUG_KB.json.txt\r\n"), "UNC Path not kept");
    ok(rebuilt.includes(`\r\nSHA256=${sha}\r\nEntries=5\r\n`));
    // The SNAPSHOT is the KB's text, byte for byte (both CRLF).
    equal(parseBootPack(rebuilt).snapshot?.json, await Deno.readTextFile(kb));

    const again = await runCli(["rebuild", bootpack, "--map", exampleMap(dir), "--json"], {
      permissions: RW,
    });
    equal(again.code, 0);
    equal(JSON.parse(again.stdout).changed, false);
    equal(await Deno.readTextFile(bootpack), rebuilt);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("rebuild --kb appends both sections to a BootPack that has none; Path is the KB's absolute path", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/kb.json`, '[{"id":"a","blocking":true}]\n');
    await Deno.writeTextFile(`${dir}/bp.txt`, "My notes\n");
    const r = await runCli(["rebuild", "bp.txt", "--kb", "kb.json"], { permissions: RW, cwd: dir });
    equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(`${dir}/bp.txt`);
    const sha = await sha256Hex(await Deno.readFile(`${dir}/kb.json`));
    equal(
      text,
      `My notes\n\n[BUG_KB_JSON]\n\`\`\`\n[{"id":"a","blocking":true}]\n\`\`\`\n\n` +
        `[BUG_KB_JSON_POINTER]\nPath=${await Deno.realPath(
          dir,
        )}/kb.json\nSHA256=${sha}\nEntries=1\n`,
    );
    const report = await runGate("acceptance", `${dir}/bp.txt`, { strict: true });
    ok(report.verdict.pass, report.verdict.text);
  });
});

const REFUSALS: [string, string, string | null, string][] = [
  ["an invalid KB", "KB_JSON_INVALID", '[{"id":"a"},]\n', "examples"],
  ["a KB with a BOM", "KB_BOM", '\uFEFF[{"id":"a"}]\n', "examples"],
  ["a BootPack with a second SNAPSHOT", "SNAPSHOT_DUPLICATE", null, "dup"],
  ["a POINTER Windows path without --map", "POINTER_UNMAPPED", null, "nomap"],
];

for (const [what, code, kbText, variant] of REFUSALS) {
  Deno.test(`rebuild refuses ${what} (${code}): exit 1, BootPack byte-for-byte unchanged`, async () => {
    await withTempDir(async (dir) => {
      const { bootpack, kb } = await copyExample(dir);
      if (kbText !== null) await Deno.writeTextFile(kb, kbText);
      if (variant === "dup") {
        await Deno.writeTextFile(bootpack, "\r\n[BUG_KB_JSON]\r\n```\r\n[]\r\n```\r\n", {
          append: true,
        });
      }
      const before = await Deno.readFile(bootpack);
      const args = [
        "rebuild",
        bootpack,
        ...(variant === "nomap" ? [] : ["--map", exampleMap(dir)]),
      ];
      const r = await runCli(args, { permissions: RW });
      equal(r.code, 1);
      equal(r.stdout, "");
      ok(r.stderr.includes(`${code}: `), r.stderr);
      ok(r.stderr.endsWith("; nothing written\n"), r.stderr);
      deepEqual(await Deno.readFile(bootpack), before);
      deepEqual(await residue(dir), []);
    });
  });
}

Deno.test("rebuild fails closed under --chaos CORRUPT and refuses a KB that is the BootPack", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const before = await Deno.readFile(bootpack);
    const r = await runCli(["rebuild", bootpack, "--map", exampleMap(dir), "--chaos", "CORRUPT"], {
      permissions: RW,
    });
    equal(r.code, 1);
    deepEqual(await Deno.readFile(bootpack), before);
    const same = await runCli(["rebuild", bootpack, "--kb", bootpack], { permissions: RW });
    equal(same.code, 1);
    ok(same.stderr.includes("KB_IS_BOOTPACK"), same.stderr);
    deepEqual(await Deno.readFile(bootpack), before);
    const usage = await runCli(["rebuild"], { permissions: RW });
    equal(usage.code, 2);
    deepEqual(await residue(dir), []);
  });
});

for (const point of ["mid-write", "before-rename"] as const) {
  Deno.test(`SIGKILL of rebuild at "${point}" leaves the old BootPack; the next rebuild cleans up`, async () => {
    await withTempDir(async (dir) => {
      const { bootpack, kb } = await copyExample(dir);
      await runCli(["ingest", "--kb", kb, "--entry", "-"], {
        permissions: RW,
        stdin: '{"id":"n"}',
      });
      const before = await Deno.readFile(bootpack);
      const child = spawn("tests/_writer_child.ts", ["rebuild", bootpack, kb, "--pause-at", point]);
      equal(await child.nextLine(), `at ${point}`);
      child.process.kill("SIGKILL");
      await child.done();
      deepEqual(await Deno.readFile(bootpack), before);
      ok((await residue(dir)).some((n) => n.startsWith("bootpack.txt.tmp-")));
      const r = await runCli(["rebuild", bootpack, "--map", exampleMap(dir)], { permissions: RW });
      equal(r.code, 0, r.stderr);
      deepEqual(await residue(dir), []);
    });
  });
}

Deno.test("rebuilds racing ingests always write a SNAPSHOT and POINTER of one same KB version", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    const bootpack = `${dir}/bp.txt`;
    await Deno.writeTextFile(kb, "[]\n");
    await Deno.writeTextFile(bootpack, "notes\n");
    const first = await runCli(["rebuild", bootpack, "--kb", kb], { permissions: RW });
    equal(first.code, 0, first.stderr);
    const children = [];
    for (let i = 0; i < 12; i++) {
      children.push(
        spawn("cli.ts", ["ingest", "--kb", kb, "--entry", "-"], { input: `{"id":"e${i}"}` }),
      );
      if (i % 3 === 0) children.push(spawn("cli.ts", ["rebuild", bootpack]));
    }
    const codes = (await Promise.all(children.map((c) => c.done()))).map((r) => r.code);
    deepEqual(codes, Array(codes.length).fill(0));
    const bp = parseBootPack(await Deno.readTextFile(bootpack));
    deepEqual(bp.violations, []);
    const snapshotSha = await sha256Hex(new TextEncoder().encode(bp.snapshot!.json!));
    equal(bp.pointer?.sha256?.value, snapshotSha, "SNAPSHOT and POINTER from different KBs");
    equal(bp.pointer?.entries?.value, bp.snapshot?.kb?.entries);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("rebuild without --kb refuses a BootPack that has no POINTER Path; an empty one gets both sections", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/bp.txt`, "notes only\n");
    const r = await runCli(["rebuild", `${dir}/bp.txt`], { permissions: RW });
    equal(r.code, 1);
    ok(r.stderr.includes("POINTER_PATH_MISSING: ") && r.stderr.includes("--kb KB"), r.stderr);
    equal(await Deno.readTextFile(`${dir}/bp.txt`), "notes only\n");

    await Deno.writeTextFile(`${dir}/empty.txt`, "");
    await Deno.writeTextFile(`${dir}/kb.json`, "[]\r\n");
    const e = await runCli(["rebuild", `${dir}/empty.txt`, "--kb", `${dir}/kb.json`], {
      permissions: RW,
    });
    equal(e.code, 0, e.stderr);
    const text = await Deno.readTextFile(`${dir}/empty.txt`);
    ok(text.startsWith("[BUG_KB_JSON]\r\n```\r\n[]\r\n```\r\n\r\n[BUG_KB_JSON_POINTER]\r\n"), text);
    const report = await runGate("acceptance", `${dir}/empty.txt`, { strict: true });
    ok(report.verdict.pass, report.verdict.text);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("rebuild --kb OTHER writes OTHER's path, then acceptance --strict passes", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    await Deno.mkdir(`${dir}/other`);
    const other = `${dir}/other/kb.json`;
    await Deno.writeTextFile(other, '[{"id":"X-1","blocking":true},{"id":"X-2"}]\n');
    const r = await runCli(["rebuild", bootpack, "--kb", other], { permissions: RW });
    equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(bootpack);
    ok(text.includes(`\r\nPath=${other}\r\n`), "Path does not name the KB copied");
    ok(r.stderr.includes("the POINTER's Path did not name"), r.stderr);
    const report = await runGate("acceptance", bootpack, { strict: true });
    ok(report.verdict.pass, report.verdict.text);
    equal(report.summary.entries, 2);
  });
});

Deno.test("rebuild --kb naming the POINTER's own file keeps the UNC Path as the user wrote it", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    await Deno.writeTextFile(kb, '[{"id":"only"}]\r\n');
    const r = await runCli(["rebuild", bootpack, "--kb", kb, "--map", exampleMap(dir)], {
      permissions: RW,
    });
    equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(bootpack);
    ok(text.includes("\r\nPath=\\\\DS-918\\kb\\BUG_KB.json.txt\r\n"), "UNC Path not kept");
    equal(r.stderr, "");
    const maps = [{ from: "\\\\DS-918\\kb", to: dir }];
    ok((await runGate("acceptance", bootpack, { maps, strict: true })).verdict.pass);
  });
});

Deno.test("rebuild removes a BOM and canonicalises the POINTER and fences; acceptance --strict passes", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    const kbText = '[{"id":"a","blocking":true}]\n';
    await Deno.writeTextFile(kb, kbText);
    const sha = await sha256Hex(await Deno.readFile(kb));
    const bp = `${dir}/bp.txt`;
    const body = "Notes\n\n[BUG_KB_JSON]\n```json\n[]\n```\n\n[BUG_KB_JSON_POINTER]\n" +
      `path: kb.json\nsha256 : ${sha.toLowerCase()}\nENTRIES=1\n`;
    await Deno.writeFile(bp, new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(body)]));
    const blocked = await runGate("acceptance", bp, { strict: true });
    equal(blocked.verdict.pass, false);
    const r = await runCli(["rebuild", bp], { permissions: RW });
    equal(r.code, 0, r.stderr);
    ok(r.stdout.startsWith("rebuilt "), r.stdout);
    const bytes = await Deno.readFile(bp);
    deepEqual([...bytes.subarray(0, 3)], [0x4e, 0x6f, 0x74], "BOM not removed");
    equal(
      new TextDecoder().decode(bytes),
      "Notes\n\n[BUG_KB_JSON]\n```\n" + kbText + "```\n\n[BUG_KB_JSON_POINTER]\n" +
        `Path=kb.json\nSHA256=${sha}\nEntries=1\n`,
    );
    const report = await runGate("acceptance", bp, { strict: true });
    ok(report.verdict.pass, report.verdict.text);
    const again = await runCli(["rebuild", bp], { permissions: RW });
    ok(again.stdout.startsWith("unchanged "), again.stdout);
  });
});

Deno.test("rebuild repairs a SNAPSHOT whose text differs from the KB with the same counts", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, '[{"id":"a","title":"new"}]\n');
    const sha = await sha256Hex(await Deno.readFile(kb));
    const bp = `${dir}/bp.txt`;
    await Deno.writeTextFile(
      bp,
      '[BUG_KB_JSON]\n```\n[{"id":"a","title":"old"}]\n```\n\n[BUG_KB_JSON_POINTER]\n' +
        `Path=kb.json\nSHA256=${sha}\nEntries=1\n`,
    );
    const r = await runCli(["rebuild", bp], { permissions: RW });
    equal(r.code, 0, r.stderr);
    equal(
      parseBootPack(await Deno.readTextFile(bp)).snapshot?.json,
      '[{"id":"a","title":"new"}]\n',
    );
    ok((await runGate("acceptance", bp, { strict: true })).verdict.pass);
  });
});

Deno.test("rebuild handles a 200,000-entry KB (no stack overflow), then acceptance --strict passes", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    const lines = ["["];
    for (let i = 0; i < 200_000; i++) {
      lines.push(`  {"id": "E${i}", "blocking": ${i % 7 === 0}}${i < 199_999 ? "," : ""}`);
    }
    lines.push("]", "");
    await Deno.writeTextFile(kb, lines.join("\n"));
    const bp = `${dir}/bp.txt`;
    await Deno.writeTextFile(bp, "Notes\n");
    const r = await runCli(["rebuild", bp, "--kb", kb], { permissions: RW });
    equal(r.code, 0, r.stderr);
    ok(r.stdout.startsWith("rebuilt entries=200000 "), r.stdout);
    const again = await runCli(["rebuild", bp, "--kb", kb], { permissions: RW });
    equal(again.code, 0, again.stderr);
    ok(again.stdout.startsWith("unchanged entries=200000 "), again.stdout);
    const ing = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
      permissions: RW,
      stdin: '{"id":"E-new"}',
    });
    equal(ing.code, 0, ing.stderr);
    const after = await Deno.readTextFile(kb);
    equal(after, lines.slice(0, -2).join("\n") + ',\n  {"id":"E-new"}\n]\n');
    const last = await runCli(["rebuild", bp, "--kb", kb], { permissions: RW });
    ok(last.stdout.startsWith("rebuilt entries=200001 "), last.stdout + last.stderr);
    const report = await runGate("acceptance", bp, { strict: true });
    ok(report.verdict.pass, report.verdict.text);
  });
});
