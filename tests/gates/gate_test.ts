import { deepEqual, equal, match, ok } from "node:assert/strict";
import { copyExample, exampleMap, runCli, withTempDir } from "../_helpers.ts";

const SHA = "61CFC063796BE1928C03603FE6A166729E69C63B0BD7532EB4F6FA2A750481CC";
const SUMMARY_OK =
  "entries=4|blocking=2|ptr_exists=True|ptr_sha_match=True|ptr_entries_note=4|json_entries=4";

Deno.test("acceptance on the example: summary and PASS, exit 0, nothing on stderr", async () => {
  const r = await runCli(["acceptance", "examples/bootpack.txt", "--map", exampleMap("examples")]);
  equal(
    r.stdout,
    `${SUMMARY_OK}\n[PASS] SNAPSHOT accepted: 4 entries, 2 blocking; BootPack up to date\n`,
  );
  equal(r.stderr, "");
  equal(r.code, 0);
});

Deno.test("selftest on the example: summary, diag line, PASS", async () => {
  const r = await runCli(["selftest", "examples/bootpack.txt", "--map", exampleMap("examples")]);
  equal(
    r.stdout,
    `${SUMMARY_OK}\n` +
      `diag: First3=\\\\D|PathLength=27|TestPath.Raw=True|TestPath.Dequoted=True|TestPath.Long=True|OpenReadOK=True|KbSha=${SHA}|PtrSha=${SHA}|PtrEntriesNote=4\n` +
      "[PASS] KB examples/BUG_KB.json.txt accepted: 4 entries, 2 blocking; BootPack up to date\n",
  );
  equal(r.stderr, "");
  equal(r.code, 0);
});

Deno.test("acceptance without --map: unreachable pointer is a WARN and the SNAPSHOT decides", async () => {
  const r = await runCli(["acceptance", "examples/bootpack.txt"]);
  equal(
    r.stdout,
    "entries=4|blocking=2|ptr_exists=False|ptr_sha_match=False|ptr_entries_note=4|json_entries=NA\n" +
      '[WARN] POINTER_UNMAPPED: line 62: "\\\\DS-918\\kb\\BUG_KB.json.txt" is a Windows path and no --map FROM=TO covers it on this host; the SNAPSHOT alone decides acceptance\n' +
      "[PASS] SNAPSHOT accepted: 4 entries, 2 blocking; BootPack not up to date (1 warning)\n",
  );
  equal(r.code, 0);
});

Deno.test("acceptance --strict blocks on the first warning", async () => {
  const r = await runCli(["acceptance", "examples/bootpack.txt", "--strict"]);
  equal(r.code, 1);
  match(r.stdout, /\n\[GATE-BLOCK\] POINTER_UNMAPPED: line 62: .* \(--strict\)\n$/);
});

Deno.test("selftest blocks when the KB cannot be reached", async () => {
  const r = await runCli([
    "selftest",
    "examples/bootpack.txt",
    "--map",
    "\\\\DS-918\\kb=/nonexistent",
  ]);
  equal(r.code, 1);
  const lines = r.stdout.split("\n");
  equal(
    lines[0],
    "entries=NA|blocking=NA|ptr_exists=False|ptr_sha_match=False|ptr_entries_note=4|json_entries=NA",
  );
  match(
    lines[1]!,
    /^diag: First3=\\\\D\|PathLength=27\|TestPath.Raw=False\|TestPath.Dequoted=False\|TestPath.Long=False\|OpenReadOK=False\|KbSha=NA\|PtrSha=61CF/,
  );
  equal(
    lines[2],
    '[GATE-BLOCK] POINTER_UNREACHABLE: line 62: Cannot read "/nonexistent/BUG_KB.json.txt": no such file [POINTER_NOT_FOUND]',
  );
});

Deno.test("after an ingest, before a rebuild: STALE warnings, PASS; --strict blocks", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    const entries = JSON.parse(await Deno.readTextFile(kb));
    entries.push({ id: "KB-005", title: "new", blocking: true });
    await Deno.writeTextFile(
      kb,
      JSON.stringify(entries, null, 2).replaceAll("\n", "\r\n") + "\r\n",
    );
    const map = exampleMap(dir);
    const a = await runCli(["acceptance", bootpack, "--map", map], { cwd: dir });
    equal(a.code, 0);
    const lines = a.stdout.trimEnd().split("\n");
    equal(
      lines[0],
      "entries=4|blocking=2|ptr_exists=True|ptr_sha_match=False|ptr_entries_note=4|json_entries=5",
    );
    deepEqual(lines.slice(1, -1).map((l) => l.split(":")[0]), [
      "[WARN] STALE_SNAPSHOT",
      "[WARN] STALE_SHA",
      "[WARN] STALE_ENTRIES",
    ]);
    equal(
      lines.at(-1),
      "[PASS] SNAPSHOT accepted: 4 entries, 2 blocking; BootPack not up to date (3 warnings)",
    );
    const s = await runCli(["selftest", bootpack, "--map", map], { cwd: dir });
    equal(s.code, 0);
    match(
      s.stdout,
      /^entries=5\|blocking=3\|ptr_exists=True\|ptr_sha_match=False\|ptr_entries_note=4\|json_entries=5\n/,
    );
    const strict = await runCli(["acceptance", bootpack, "--map", map, "--strict"], { cwd: dir });
    equal(strict.code, 1);
    match(strict.stdout, /\[GATE-BLOCK\] STALE_SNAPSHOT: /);
  });
});

Deno.test("a BootPack that does not exist is a block with NA fields, not a crash", async () => {
  const r = await runCli(["acceptance", "no/such/bootpack.txt"]);
  equal(
    r.stdout,
    "entries=NA|blocking=NA|ptr_exists=False|ptr_sha_match=False|ptr_entries_note=NA|json_entries=NA\n" +
      '[GATE-BLOCK] BOOTPACK_NOT_FOUND: Cannot read "no/such/bootpack.txt": no such file\n',
  );
  equal(r.stderr, "");
  equal(r.code, 1);
});

Deno.test("a malformed BootPack blocks on its first violation and lists all on stderr", async () => {
  const path = "tests/fixtures/bootpack/reject/r24_several_at_once.txt";
  const r = await runCli(["acceptance", path]);
  equal(r.code, 1);
  match(
    r.stdout,
    /\n\[GATE-BLOCK\] FENCE_LANG_TAG: line 3: A fence must be exactly ``` with no language tag, found "```json"\n$/,
  );
  equal(
    r.stderr,
    `${path}:3: FENCE_LANG_TAG: A fence must be exactly \`\`\` with no language tag, found "\`\`\`json"\n` +
      `${path}:10: POINTER_ENTRIES_MISSING: The POINTER has no Entries= line\n` +
      `${path}:12: POINTER_SHA256_INVALID: SHA256 must be 64 hexadecimal digits, found "abc" (3 characters)\n`,
  );
});

Deno.test("selftest reports an invalid external KB with the KB's own line", async () => {
  await withTempDir(async (dir) => {
    const { bootpack, kb } = await copyExample(dir);
    await Deno.writeTextFile(kb, '[\r\n  {"id": "a"},\r\n  {"id": "b"}\r\n  {"id": "c"}\r\n]\r\n');
    const r = await runCli(["selftest", bootpack, "--map", exampleMap(dir)]);
    equal(r.code, 1);
    match(r.stdout, /\n\[GATE-BLOCK\] KB_JSON_INVALID: BUG_KB\.json\.txt line 4: Invalid JSON: /);
    const a = await runCli(["acceptance", bootpack, "--map", exampleMap(dir)]);
    equal(a.code, 0);
    match(
      a.stdout,
      /\[WARN\] KB_JSON_INVALID: BUG_KB\.json\.txt line 4: .*the SNAPSHOT alone decides acceptance\n/,
    );
  });
});

Deno.test("--json carries the same fields, warnings and verdict", async () => {
  const r = await runCli([
    "selftest",
    "examples/bootpack.txt",
    "--json",
    "--map",
    exampleMap("examples"),
  ]);
  equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  deepEqual(j.summary, {
    entries: 4,
    blocking: 2,
    ptr_exists: true,
    ptr_sha_match: true,
    ptr_entries_note: 4,
    json_entries: 4,
  });
  equal(j.diag.KbSha, SHA);
  equal(j.verdict.status, "PASS");
  equal(j.up_to_date, true);
  equal(j.exit_code, 0);
  const blocked = JSON.parse((await runCli(["acceptance", "missing.txt", "--json"])).stdout);
  deepEqual(blocked.summary.entries, null);
  deepEqual(blocked.verdict, {
    status: "GATE-BLOCK",
    code: "BOOTPACK_NOT_FOUND",
    text: 'Cannot read "missing.txt": no such file',
  });
});

Deno.test("usage errors exit 2 with a hint; --help exits 0", async () => {
  const unknownFlag = await runCli(["acceptance", "examples/bootpack.txt", "--strcit"]);
  equal(unknownFlag.code, 2);
  equal(unknownFlag.stdout, "");
  match(unknownFlag.stderr, /Unknown flag --strcit; did you mean --strict\?/);
  const missing = await runCli(["selftest"]);
  equal(missing.code, 2);
  match(missing.stderr, /Missing argument BOOTPACK/);
  const extra = await runCli(["acceptance", "a", "b"]);
  equal(extra.code, 2);
  const badMap = await runCli(["acceptance", "a", "--map", "nothing"]);
  equal(badMap.code, 2);
  match(badMap.stderr, /expected FROM=TO/);
  const badChaos = await runCli(["acceptance", "a", "--chaos", "FLOOD"]);
  equal(badChaos.code, 2);
  match(badChaos.stderr, /expected one of TIMEOUT, ERROR, PARTIAL, EMPTY, CORRUPT, LATENCY/);
  const unknownCommand = await runCli(["acceptence"]);
  equal(unknownCommand.code, 2);
  match(unknownCommand.stderr, /Unknown command "acceptence"; did you mean acceptance\?/);
  const none = await runCli([]);
  equal(none.code, 2);
  for (const command of ["acceptance", "selftest", "demo"]) {
    const help = await runCli([command, "--help"]);
    equal(help.code, 0, command);
    match(help.stdout, new RegExp(`^Usage: bootpack ${command}`));
  }
  const top = await runCli(["-h"]);
  equal(top.code, 0);
  match(top.stdout, /Commands:/);
});

Deno.test("a bad --calibration file fails closed with exit 1 and names the key", async () => {
  await withTempDir(async (dir) => {
    const cal = JSON.parse(await Deno.readTextFile("budgets/calibration.json"));
    cal.retry_count = null;
    await Deno.writeTextFile(`${dir}/cal.json`, JSON.stringify(cal));
    const r = await runCli([
      "acceptance",
      "examples/bootpack.txt",
      "--calibration",
      `${dir}/cal.json`,
    ]);
    equal(r.code, 1);
    equal(r.stdout, "");
    match(r.stderr, /^bootpack: error: acceptance: CALIBRATION_NULL: .*key retry_count is null\n$/);
  });
});

Deno.test("chaos: PARTIAL and CORRUPT reads never give a PASS with wrong numbers", async () => {
  for (const mode of ["PARTIAL", "EMPTY", "CORRUPT", "ERROR"]) {
    const r = await runCli([
      "acceptance",
      "examples/bootpack.txt",
      "--chaos",
      mode,
      "--map",
      exampleMap("examples"),
    ]);
    equal(r.code, 1, mode);
    match(
      r.stdout,
      /\[GATE-BLOCK\] (BOOTPACK_IO_SHORT_READ|BOOTPACK_INVALID_UTF8|BOOTPACK_IO_ERROR): /,
      mode,
    );
  }
  const latency = await runCli([
    "acceptance",
    "examples/bootpack.txt",
    "--chaos",
    "LATENCY",
    "--map",
    exampleMap("examples"),
  ]);
  equal(latency.code, 0);
  match(latency.stdout, new RegExp(`^${SUMMARY_OK.replaceAll("|", "\\|")}\n`));
});

Deno.test("the gates run with read permission only (no write, net, env or run)", async () => {
  // From source, a command's modules are read when it runs (the tasks load commands on demand),
  // so the narrowed read covers the code (cli, lib) beside the input (examples, budgets).
  const r = await runCli(["selftest", "examples/bootpack.txt", "--map", exampleMap("examples")], {
    permissions: ["--allow-read=examples,budgets,cli,lib"],
  });
  equal(r.code, 0);
  ok(r.stdout.includes("[PASS]"));
});

Deno.test("the tasks' build runs the gates with read of the input and of dist/tasks/ only", async () => {
  const { ROOT } = await import("../_helpers.ts");
  const { TASK_BUILD_DIR, TASK_BUILD_ENTRY } = await import("../../lib/core/program.ts");
  const { runCliProcess } = await import("../../lib/certify/cli_process.ts");
  const run = async (read: string) => {
    const args = ["selftest", "examples/bootpack.txt", "--map", exampleMap("examples")];
    const r = await runCliProcess(args, {
      cliPath: `${ROOT}/${TASK_BUILD_ENTRY}`,
      permissions: [`--allow-read=${read}`],
      cwd: ROOT,
    });
    return { code: r.code, out: r.stdout + r.stderr };
  };
  const allowed = await run(`examples,${TASK_BUILD_DIR}`);
  equal(allowed.code, 0, allowed.out);
  ok(allowed.out.includes("[PASS]"));
  // The control: without dist/tasks/ the command's own files cannot load, and it says so.
  const denied = await run("examples");
  equal(denied.code, 1);
  match(denied.out, /Requires read access to .*dist\/tasks\//);
  ok(!denied.out.includes("[PASS]"));
});

Deno.test("runGate() with cwd opens relative paths from it and reports them as given", async () => {
  const { runGate } = await import("../../lib/gates/gate.ts");
  const { ROOT } = await import("../_helpers.ts");
  const maps = [{ from: "\\\\DS-918\\kb", to: "examples" }];
  const r = await runGate("selftest", "examples/bootpack.txt", { maps, cwd: ROOT });
  equal(r.verdict.pass, true);
  equal(
    r.verdict.text,
    "KB examples/BUG_KB.json.txt accepted: 4 entries, 2 blocking; BootPack up to date",
  );
  const missing = await runGate("acceptance", "examples/nope.txt", { cwd: ROOT });
  equal(missing.verdict.text, 'Cannot read "examples/nope.txt": no such file');
});

Deno.test("runGate() counts a KB that differs from the SNAPSHOT from its own text", async () => {
  const { runGate } = await import("../../lib/gates/gate.ts");
  const { writeBootPack } = await import("../../scripts/bench/_fixtures.ts");
  await withTempDir(async (dir) => {
    const g = await writeBootPack(dir, 30);
    const fresh = await runGate("acceptance", g.bootpack);
    equal(fresh.upToDate, true);
    equal(fresh.summary.json_entries, 30);
    // Same length, other bytes: one entry's blocking flag broken, then flipped.
    const kb = await Deno.readTextFile(g.kb);
    await Deno.writeTextFile(g.kb, kb.replace('"blocking": true', '"blocking": fals'));
    const broken = await runGate("acceptance", g.bootpack);
    equal(broken.summary.json_entries, null);
    match(broken.warnings.map((w) => w.code).join(","), /KB_JSON_INVALID/);
    await Deno.writeTextFile(g.kb, kb.replace('"blocking": true', '"blocking":false'));
    const stale = await runGate("selftest", g.bootpack);
    equal(stale.summary.entries, 30);
    equal(stale.summary.blocking, 9);
    equal(stale.summary.ptr_sha_match, false);
  });
});
