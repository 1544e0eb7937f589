import { deepEqual, equal, ok } from "node:assert/strict";
import { copyExample, runCli, withTempDir } from "../_helpers.ts";
import { kbIds, residue, runsAsRoot } from "../_writers.ts";

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
    ok(text.endsWith('  },\r\n  {"id":"KB-005","title":"new"}\r\n]\r\n'), text.slice(-80));
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
      '{"version": 2, "entries": [{"id": "a"},{"id": "b", "blocking": true}], "owner": "ops"}\n',
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
  ["huge integer", '{"id":"KB-9","n":12345678901234567890}', "ENTRY_NUMBER_INEXACT"],
  ["1e400", '{"id":"KB-9","n":1e400}', "ENTRY_NUMBER_INEXACT"],
  ["-1e400", '{"id":"KB-9","n":-1e400}', "ENTRY_NUMBER_INEXACT"],
  ["1e-400", '{"id":"KB-9","n":1e-400}', "ENTRY_NUMBER_INEXACT"],
  ["long decimal", '{"id":"KB-9","n":0.10000000000000000000001}', "ENTRY_NUMBER_INEXACT"],
  ["2^53 + 1", '{"id":"KB-9","n":9007199254740993}', "ENTRY_NUMBER_INEXACT"],
  ["id given twice", '{"id":"A","id":"B"}', "ENTRY_DUPLICATE_MEMBER"],
  [
    "blocking given twice",
    '{"id":"KB-9","blocking":true,"blocking":false}',
    "ENTRY_DUPLICATE_MEMBER",
  ],
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
  ["two entries members", '{"entries": [], "entries": []}\n', "KB_DUPLICATE_MEMBER"],
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

Deno.test("ingest keeps every byte of the existing KB: 1e400, long decimals, escapes, layout", async () => {
  await withTempDir(async (dir) => {
    const kb = `${dir}/kb.json`;
    const old = '{\n  "meta": {"max": 1e400, "eps": 1e-400},\n  "entries": [\n' +
      '    { "id": "a", "p": 0.10000000000000000000001, "big": 12345678901234567890,\n' +
      '      "s": "caf\\u00e9 \\/ \\ud83d\\ude00", "dup": 1, "dup": 2 }\n  ]\n}\n';
    await Deno.writeTextFile(kb, old);
    const r = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
      permissions: RW,
      stdin: '{\n  "id": "b",\n  "n": 0.5\n}\n',
    });
    equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(kb);
    const at = old.lastIndexOf("}\n  ]") + 1;
    equal(
      text,
      old.slice(0, at) + ',\n    {\n      "id": "b",\n      "n": 0.5\n    }' + old.slice(at),
    );
    deepEqual(await kbIds(kb), ["a", "b"]);
  });
});

Deno.test("ingest refusals with --json print one object (code, message, file, line) on stdout", async () => {
  await withTempDir(async (dir) => {
    const { kb } = await copyExample(dir);
    const before = await Deno.readFile(kb);
    const cases: [string, string[], number][] = [
      ['{"id":"x",\n"id":"y"}', [], 1],
      ['{"id":"KB-001"}', [], 1],
      ["{}", ["--chaos", "ERROR"], 1],
      ["{}", ["--bogus"], 2],
    ];
    for (const [entry, extra, code] of cases) {
      const r = await runCli(["ingest", "--kb", kb, "--entry", "-", "--json", ...extra], {
        permissions: RW,
        stdin: entry,
      });
      equal(r.code, code, r.stderr);
      const lines = r.stdout.split("\n").filter((l) => l !== "");
      equal(lines.length, 1, r.stdout);
      const out = JSON.parse(lines[0]!);
      deepEqual(Object.keys(out), ["code", "message", "file", "line"]);
      ok(/^[A-Z][A-Z0-9_]+$/.test(out.code), out.code);
    }
    const dup = await runCli(["ingest", "--kb", kb, "--entry", "-", "--json"], {
      permissions: RW,
      stdin: '{"id":"x",\n"id":"y"}',
    });
    deepEqual(
      { ...JSON.parse(dup.stdout), message: "" },
      { code: "ENTRY_DUPLICATE_MEMBER", message: "", file: "<stdin>", line: 2 },
    );
    deepEqual(await Deno.readFile(kb), before);
  });
});

const posix = Deno.build.os !== "windows";

Deno.test({
  name: "ingest keeps the KB's mode (0640, 0600) and, as root, another user's owner and group",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      await Deno.writeTextFile(kb, "[]\n");
      const root = runsAsRoot();
      if (root) await Deno.chown(kb, 65534, 65534);
      for (const [mode, id] of [[0o640, "a"], [0o600, "b"]] as const) {
        await Deno.chmod(kb, mode);
        const r = await runCli(["ingest", "--kb", kb, "--entry", "-"], {
          permissions: RW,
          stdin: `{"id":"${id}"}`,
        });
        equal(r.code, 0, r.stderr);
        const st = await Deno.stat(kb);
        equal(st.mode! & 0o7777, mode);
        if (root) deepEqual([st.uid, st.gid], [65534, 65534]);
      }
      deepEqual(await kbIds(kb), ["a", "b"]);
    });
  },
});

Deno.test({
  name: "ingest refuses a read-only KB (0444, even as root) with KB_READ_ONLY, KB unchanged",
  ignore: !posix,
  fn: async () => {
    await withTempDir(async (dir) => {
      const kb = `${dir}/kb.json`;
      await Deno.writeTextFile(kb, '[{"id":"a"}]\n');
      await Deno.chmod(kb, 0o444);
      const r = await runCli(["ingest", "--kb", kb, "--entry", "-", "--json"], {
        permissions: RW,
        stdin: '{"id":"b"}',
      });
      equal(r.code, 1);
      equal(JSON.parse(r.stdout).code, "KB_READ_ONLY");
      ok(r.stderr.includes("KB_READ_ONLY") && r.stderr.endsWith("; nothing written\n"), r.stderr);
      equal(await Deno.readTextFile(kb), '[{"id":"a"}]\n');
      equal((await Deno.stat(kb)).mode! & 0o777, 0o444);
      deepEqual(await residue(dir), []);
    });
  },
});

Deno.test({
  name: "ingest as an unprivileged user refuses a KB it may read but not write (0644 root's)",
  ignore: !posix || !runsAsRoot(),
  fn: async () => {
    await withTempDir(async (dir) => {
      await Deno.chmod(dir, 0o777);
      const kb = `${dir}/kb.json`;
      await Deno.writeTextFile(kb, '[{"id":"a"}]\n');
      await Deno.chmod(kb, 0o644);
      const { ROOT } = await import("../_helpers.ts");
      const out = await new Deno.Command("setpriv", {
        args: [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          Deno.execPath(),
          "run",
          "--quiet",
          "--no-prompt",
          "--allow-read",
          "--allow-write",
          `${ROOT}/cli.ts`,
          "ingest",
          "--kb",
          kb,
          "--entry",
          "-",
          "--json",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: {
          NO_COLOR: "1",
          DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
        },
      }).spawn();
      const w = out.stdin.getWriter();
      await w.write(new TextEncoder().encode('{"id":"b"}'));
      await w.close();
      const r = await out.output();
      const stdout = new TextDecoder().decode(r.stdout);
      equal(r.code, 1, new TextDecoder().decode(r.stderr));
      equal(JSON.parse(stdout).code, "KB_READ_ONLY");
      equal(await Deno.readTextFile(kb), '[{"id":"a"}]\n');
    });
  },
});
