import { deepEqual, equal, match, ok } from "node:assert/strict";
import { DEFAULT_CALIBRATION } from "../../lib/core/calibration.ts";
import { runGate } from "../../lib/gates/gate.ts";
import type { GateReport } from "../../lib/gates/verdict.ts";
import { writeBootPack } from "../../scripts/bench/_fixtures.ts";
import { copyExample, exampleMap, runCli, withTempDir } from "../_helpers.ts";

const codes = (r: GateReport): string[] => r.warnings.map((w) => w.code);

Deno.test("runGate() warns STALE_SNAPSHOT when the SNAPSHOT's text differs with equal counts, in both gates", async () => {
  await withTempDir(async (dir) => {
    const g = await writeBootPack(dir, 6);
    const text = await Deno.readTextFile(g.bootpack);
    // Control: an exact copy is up to date.
    for (const command of ["acceptance", "selftest"] as const) {
      const fresh = await runGate(command, g.bootpack);
      equal(fresh.upToDate, true, command);
      deepEqual(codes(fresh), [], command);
    }
    // One entry's title changed in the SNAPSHOT only: same entries, same blocking.
    await Deno.writeTextFile(g.bootpack, text.replace("Generated entry 2", "Generated entry X"));
    for (const command of ["acceptance", "selftest"] as const) {
      const r = await runGate(command, g.bootpack);
      equal(r.summary.entries, 6, command);
      equal(r.summary.json_entries, 6, command);
      equal(r.summary.ptr_sha_match, true, command);
      deepEqual(codes(r), ["STALE_SNAPSHOT"], command);
      equal(r.upToDate, false, command);
      equal(r.verdict.pass, true, command);
      const strict = await runGate(command, g.bootpack, { strict: true });
      equal(strict.verdict.pass, false, command);
      equal(strict.verdict.code, "STALE_SNAPSHOT", command);
    }
  });
});

Deno.test("runGate() compares the SNAPSHOT with the KB whatever their line endings", async () => {
  await withTempDir(async (dir) => {
    const g = await writeBootPack(dir, 4);
    // The BootPack with LF line endings, the KB still CRLF: the same text.
    const text = await Deno.readTextFile(g.bootpack);
    await Deno.writeTextFile(g.bootpack, text.replaceAll("\r\n", "\n"));
    const r = await runGate("acceptance", g.bootpack);
    deepEqual(codes(r), []);
    equal(r.upToDate, true);
    // A KB without its final line break is still the SNAPSHOT's text.
    const kb = await Deno.readTextFile(g.kb);
    await Deno.writeTextFile(g.kb, kb.replace(/\r\n$/, ""));
    const trimmed = await runGate("selftest", g.bootpack);
    deepEqual(codes(trimmed), ["STALE_SHA"]);
  });
});

Deno.test("acceptance --strict and selftest --strict block a SNAPSHOT whose blocking flag was edited", async () => {
  await withTempDir(async (dir) => {
    const { bootpack } = await copyExample(dir);
    const text = await Deno.readTextFile(bootpack);
    const edited = text.replace(/"blocking": true/, '"blocking": false');
    ok(edited !== text);
    await Deno.writeTextFile(bootpack, edited);
    for (const command of ["acceptance", "selftest"]) {
      const r = await runCli([command, bootpack, "--map", exampleMap(dir), "--strict"]);
      equal(r.code, 1, r.stdout);
      match(r.stdout, /\n\[GATE-BLOCK\] STALE_SNAPSHOT: SNAPSHOT's JSON text differs from /);
    }
  });
});

Deno.test("runGate() refuses a BootPack or KB above max_input_bytes with its own code", async () => {
  await withTempDir(async (dir) => {
    const g = await writeBootPack(dir, 20);
    const bootpackSize = (await Deno.stat(g.bootpack)).size;
    const calibration = { ...DEFAULT_CALIBRATION, max_input_bytes: g.kbBytes };
    const ok1 = await runGate("acceptance", g.bootpack, {
      calibration: { ...DEFAULT_CALIBRATION, max_input_bytes: bootpackSize },
    });
    equal(ok1.verdict.pass, true, "control: at the limit is read");
    const big = await runGate("acceptance", g.bootpack, { calibration });
    equal(big.verdict.code, "BOOTPACK_TOO_LARGE");
    equal(big.summary.entries, null);
    // The KB alone too large: acceptance warns (the SNAPSHOT decides), selftest blocks.
    const small = { ...DEFAULT_CALIBRATION, max_input_bytes: g.kbBytes - 1 };
    await Deno.writeTextFile(
      `${dir}/b.txt`,
      (await Deno.readTextFile(g.bootpack)).slice(0, 0) +
        `[BUG_KB_JSON]\n\`\`\`\n[]\n\`\`\`\n[BUG_KB_JSON_POINTER]\nPath=BUG_KB_20.json.txt\n` +
        `SHA256=${"0".repeat(64)}\nEntries=20\n`,
    );
    const a = await runGate("acceptance", `${dir}/b.txt`, { calibration: small });
    equal(a.verdict.pass, true);
    ok(codes(a).includes("KB_TOO_LARGE"), codes(a).join());
    equal(a.summary.json_entries, null);
    const s = await runGate("selftest", `${dir}/b.txt`, { calibration: small });
    equal(s.verdict.code, "KB_TOO_LARGE");
  });
});

Deno.test("a POINTER Path with a NUL or an ESC is POINTER_PATH_INVALID, and nothing raw is echoed", async () => {
  await withTempDir(async (dir) => {
    for (const bad of ["BUG\u0000KB.json.txt", "\u001b]0;owned\u0007\u001b[2JBUG_KB.json.txt"]) {
      await Deno.writeTextFile(
        `${dir}/b.txt`,
        `[BUG_KB_JSON]\n\`\`\`\n[]\n\`\`\`\n[BUG_KB_JSON_POINTER]\nPath=${bad}\n` +
          `SHA256=${"0".repeat(64)}\nEntries=0\n`,
      );
      for (const command of ["acceptance", "selftest"] as const) {
        const r = await runGate(command, `${dir}/b.txt`);
        equal(r.verdict.code, "POINTER_PATH_INVALID", command);
        equal(r.verdict.pass, false);
        const cli = await runCli([command, `${dir}/b.txt`]);
        equal(cli.code, 1);
        ok(
          !["\0", "\x1b", "\x07"].some((c) => (cli.stdout + cli.stderr).includes(c)),
          JSON.stringify(cli),
        );
        match(cli.stdout, /\[GATE-BLOCK\] POINTER_PATH_INVALID: line 6: Path holds the control/);
      }
    }
  });
});

Deno.test("runGate() shows the POINTER's KB path without ./ segments", async () => {
  await withTempDir(async (dir) => {
    const g = await writeBootPack(dir, 2);
    const text = await Deno.readTextFile(g.bootpack);
    await Deno.writeTextFile(g.bootpack, text.replace("Path=BUG_KB", "Path=./././BUG_KB"));
    const r = await runGate("selftest", `${dir}/./bootpack_2.txt`);
    equal(
      r.verdict.text,
      `KB ${dir}/BUG_KB_2.json.txt accepted: 2 entries, 1 blocking; BootPack up to date`,
    );
  });
});

Deno.test("decideGate() lists 200,000 non-boolean blocking members without overflowing the stack", async () => {
  const { decideGate } = await import("../../lib/gates/verdict.ts");
  const many = Array.from({ length: 200_000 }, (_, i) => i);
  const summary = {
    shape: "array" as const,
    entries: many.length,
    blocking: 0,
    nonBooleanBlocking: many,
  };
  const r = decideGate({
    command: "acceptance",
    bootpack: "b.txt",
    violations: [],
    parseWarnings: [],
    snapshot: summary,
    pointer: null,
    diag: null,
    kb: { status: "absent", path: null, problem: null, sha256: null, summary: null },
  });
  equal(r.warnings.length, 200_000);
  equal(r.verdict.pass, true);
});
