import { deepEqual, equal, ok } from "node:assert/strict";
import { copyExample, runCli, withTempDir } from "../_helpers.ts";
import { kbIds, residue } from "../_writers.ts";

const RW = ["--allow-read", "--allow-write"];

Deno.test("ingest adds an entry, keeps CRLF and the array shape, prints the new count", async () => {
  await withTempDir(async (dir) => {
    const { kb } = await copyExample(dir);
    const r = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
      permissions: RW,
      stdin: '{"id":"KB-005","title":"new"}',
    });
    equal(r.stderr, "");
    equal(r.code, 0);
    ok(/^ingested id=KB-005 entries=5 sha256=[0-9A-F]{64}\n$/.test(r.stdout), r.stdout);
    const text = await Deno.readTextFile(kb);
    ok(text.startsWith("[\r\n  {\r\n"));
    ok(text.endsWith('    "title": "new"\r\n  }\r\n]\r\n'));
    equal(text.replaceAll("\r\n", "").includes("\n"), false, "a bare LF in a CRLF KB");
    deepEqual(await kbIds(kb), ["KB-001", "KB-002", "KB-003", "KB-004", "KB-005"]);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("ingest keeps an object KB's other members and LF endings, reads --entry FILE, --json", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    await Deno.writeTextFile(kb, '{"version": 2, "entries": [{"id": "a"}], "owner": "ops"}\n');
    await Deno.writeTextFile(`${dir}/e.json`, '{"id": "b", "blocking": true}');
    const r = await runCli(["ingest", "--kb", kb, "--entry", `${dir}/e.json`, "--json"], {
      permissions: RW,
    });
    equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    equal(out.id, "b");
    equal(out.entries, 2);
    equal(
      await Deno.readTextFile(kb),
      JSON.stringify(
        { version: 2, entries: [{ id: "a" }, { id: "b", blocking: true }], owner: "ops" },
        null,
        2,
      ) + "\n",
    );
  });
});

const BAD_ENTRIES: [string, string, string][] = [
  ["duplicate id", '{"id":"KB-002"}', "ENTRY_ID_DUPLICATE"],
  ["missing id", '{"title":"x"}', "ENTRY_ID_MISSING"],
  ["empty id", '{"id":"  "}', "ENTRY_ID_MISSING"],
  ["non-string id", '{"id":7}', "ENTRY_ID_MISSING"],
  ["non-object", '["KB-9"]', "ENTRY_NOT_OBJECT"],
  ["null", "null", "ENTRY_NOT_OBJECT"],
  ["invalid JSON", '{"id":"KB-9",\n "x": }', "ENTRY_JSON_INVALID"],
  ["empty", "", "ENTRY_EMPTY"],
  ["BOM", '\uFEFF{"id":"KB-9"}', "ENTRY_BOM"],
  ["huge integer", '{"id":"KB-9","n":12345678901234567890}', "ENTRY_NUMBER_PRECISION"],
];

for (const [what, entry, code] of BAD_ENTRIES) {
  Deno.test(`ingest refuses an entry (${what}) with ${code}, exit 1, KB byte-for-byte unchanged`, async () => {
    await withTempDir(async (dir) => {
      const { kb } = await copyExample(dir);
      const before = await Deno.readFile(kb);
      const r = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
        permissions: RW,
        stdin: entry,
      });
      equal(r.code, 1);
      equal(r.stdout, "");
      ok(r.stderr.includes(`: ${code}: `), r.stderr);
      ok(r.stderr.endsWith("; nothing written\n"), r.stderr);
      ok(!r.stderr.includes("    at "), "stack trace");
      deepEqual(await Deno.readFile(kb), before);
      deepEqual(await residue(dir), []);
    });
  });
}

Deno.test("ingest names the entry file and line of invalid JSON", async () => {
  await withTempDir(async (dir) => {
    const { kb } = await copyExample(dir);
    await Deno.writeTextFile(`${dir}/e.json`, '{\n  "id": "x",\n  oops\n}');
    const r = await runCli(["ingest", "--kb", kb, "--entry", `${dir}/e.json`], {
      permissions: RW,
    });
    equal(r.code, 1);
    ok(r.stderr.includes(`${dir}/e.json:3: ENTRY_JSON_INVALID: `), r.stderr);
  });
});

const BAD_KBS: [string, string | Uint8Array, string][] = [
  ["invalid JSON", '[\n  {"id": "a"},\n]\n', "KB_JSON_INVALID"],
  ["not a KB", '{"id": "a"}\n', "KB_SHAPE"],
  ["an entry that is not an object", "[1]\n", "KB_ENTRY_NOT_OBJECT"],
  ["BOM", '\uFEFF[{"id": "a"}]\n', "KB_BOM"],
  ["empty", "", "KB_EMPTY"],
  ["not UTF-8", new Uint8Array([0x5b, 0xff, 0x5d]), "KB_INVALID_UTF8"],
  ["huge integer", '[{"id": "a", "n": 12345678901234567890}]\n', "KB_NUMBER_PRECISION"],
];

for (const [what, content, code] of BAD_KBS) {
  Deno.test(`ingest refuses a corrupt KB (${what}) with ${code}, exit 1, KB unchanged`, async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      if (typeof content === "string") await Deno.writeTextFile(kb, content);
      else await Deno.writeFile(kb, content);
      const before = await Deno.readFile(kb);
      const r = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
        permissions: RW,
        stdin: '{"id":"b"}',
      });
      equal(r.code, 1);
      ok(r.stderr.includes(`${kb}`) && r.stderr.includes(`${code}: `), r.stderr);
      deepEqual(await Deno.readFile(kb), before);
      deepEqual(await residue(dir), []);
    });
  });
}

Deno.test("ingest fails closed under --chaos: CORRUPT and ERROR leave the KB unchanged, LATENCY writes", async () => {
  await withTempDir(async (dir) => {
    const { kb } = await copyExample(dir);
    const before = await Deno.readFile(kb);
    for (const mode of ["CORRUPT", "ERROR", "PARTIAL", "EMPTY"]) {
      const r = await runCli(["ingest", "--kb", kb, "--entry", "-", "--chaos", mode], {
        permissions: RW,
        stdin: '{"id":"b"}',
      });
      equal(r.code, 1, mode);
      deepEqual(await Deno.readFile(kb), before, mode);
    }
    const r = await runCli(["ingest", "--kb", kb, "--entry", "-", "--chaos", "LATENCY"], {
      permissions: RW,
      stdin: '{"id":"b"}',
    });
    equal(r.code, 0, r.stderr);
    deepEqual(await residue(dir), []);
  });
});

Deno.test("ingest: a missing KB or folder is exit 1, usage errors exit 2, --help exit 0", async () => {
  await withTempDir(async (dir) => {
    const missing = await runCli(["ingest", "--kb", `${dir}/none.json`, "--entry", "-"], {
      permissions: RW,
      stdin: '{"id":"b"}',
    });
    equal(missing.code, 1);
    ok(missing.stderr.includes("NOT_FOUND"), missing.stderr);
    deepEqual(await residue(dir), []);
    const noDir = await runCli(["ingest", "--kb", `${dir}/no/kb.json`, "--entry", "-"], {
      permissions: RW,
      stdin: '{"id":"b"}',
    });
    equal(noDir.code, 1);
    ok(noDir.stderr.includes("folder does not exist"), noDir.stderr);
    for (const args of [["--entry", "-"], ["--kb", "x"], ["--kb", "x", "--entry", "-", "y"]]) {
      const r = await runCli(["ingest", ...args], { permissions: RW });
      equal(r.code, 2, args.join(" "));
      ok(r.stderr.includes("Usage: bootpack ingest"), r.stderr);
    }
    const help = await runCli(["ingest", "--help"], { permissions: RW });
    equal(help.code, 0);
    ok(help.stdout.startsWith("Usage: bootpack ingest --kb KB --entry FILE|-"));
  });
});

Deno.test("ingest through a symbolic link changes the real KB and keeps the link", async () => {
  if (Deno.build.os === "windows") return;
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.mkdir(`${dir}/links`);
    await Deno.writeTextFile(`${dir}/real/kb.json`, '[{"id":"a"}]\n');
    await Deno.symlink(`${dir}/real/kb.json`, `${dir}/links/kb.json`);
    const r = await runCli(["ingest", "--kb", `${dir}/links/kb.json`, "--entry", "-"], {
      permissions: RW,
      stdin: '{"id":"b"}',
    });
    equal(r.code, 0, r.stderr);
    ok((await Deno.lstat(`${dir}/links/kb.json`)).isSymlink, "the link was replaced by a file");
    deepEqual(await kbIds(`${dir}/real/kb.json`), ["a", "b"]);
    deepEqual(await residue(`${dir}/real`), []);
    deepEqual(await residue(`${dir}/links`), []);
  });
});
