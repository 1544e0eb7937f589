import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { OutputError, safeText, writeRaw } from "../../cli/_output.ts";
import { CLI, ROOT, runCli, withTempDir } from "../_helpers.ts";

/** Characters that must never reach a terminal raw: ESC, CSI (C1), BEL, DEL, bidi override. */
const RAW = ["\x1b", "\x9b", "\x07", "\x7f", "\u202e", "\u2066", "\0"];

function hasRaw(text: string): string | null {
  return RAW.find((c) => text.includes(c)) ?? null;
}

const ZEROS = "0".repeat(64);

Deno.test("the gates echo Path, keys and file names escaped on stdout, stderr and --json", async () => {
  await withTempDir(async (dir) => {
    // A Path with a C1 CSI, DEL and a bidi override (possible file names, so not invalid), an
    // unknown key with ESC sequences, and a file name with a bidi override.
    const path = "KB\x9b2J\x7f\u202etxt.json";
    const name = `${dir}/boot\u202e\x1b[31m.txt`;
    await Deno.writeTextFile(
      name,
      "[BUG_KB_JSON]\n```\n[]\n```\n[BUG_KB_JSON_POINTER]\n" +
        `Path=${path}\nSHA256=${ZEROS}\nEntries=0\nX\x1b]0;title\x07\x1b[2J=1\nNote\0Key=1\n`,
    );
    for (const command of ["acceptance", "selftest"]) {
      const text = await runCli([command, name]);
      equal(hasRaw(text.stdout + text.stderr), null, JSON.stringify(text));
      match(
        text.stdout,
        /POINTER_LINE_IGNORED: line 9: .*: "X\\u001b\]0;title\\u0007\\u001b\[2J=1"$/m,
      );
      match(text.stdout, /KB\\x9b2J\\x7f\\u\{202e\}txt\.json/);
      match(text.stdout, /line 10: .*"Note\\u0000Key=1"$/m);
      const json = await runCli([command, name, "--json"]);
      equal(hasRaw(json.stdout + json.stderr), null, json.stdout);
      const report = JSON.parse(json.stdout);
      // The JSON value is the input's exactly: escaped in the bytes only.
      equal(report.bootpack, name);
      ok(
        JSON.stringify([report.warnings, report.violations]).includes("KB\x9b2J\x7f\u202etxt.json"),
      );
    }
    // A malformed BootPack lists its violations on stderr with its name.
    await Deno.writeTextFile(name, "[BUG_KB_JSON]\n[BUG_KB_JSON]\n");
    const bad = await runCli(["acceptance", name]);
    equal(bad.code, 1);
    ok(bad.stderr.includes("boot\\u{202e}\\x1b[31m.txt:"), bad.stderr);
    equal(hasRaw(bad.stdout + bad.stderr), null);
  });
});

Deno.test("safeText() escapes each line and keeps the line breaks", () => {
  equal(safeText("a\x1b[2J\nb\u202e\n"), "a\\x1b[2J\nb\\u{202e}\n");
  equal(safeText("C:\\x64\\u{1}\n"), "C:\\\\x64\\\\u{1}\n");
});

function failing(error: unknown): { writeSync(p: Uint8Array): number } {
  return {
    writeSync(): number {
      throw error;
    },
  };
}

Deno.test("writeRaw() turns ENOSPC and EIO on stdout into coded errors, and drops a broken pipe", () => {
  const full = Object.assign(new Error("No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  const eio = Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" });
  throws(
    () => writeRaw(failing(full), "stdout", "x"),
    (e) => e instanceof OutputError && e.code === "STDOUT_FULL",
  );
  throws(
    () => writeRaw(failing(eio), "stdout", "x"),
    (e) => e instanceof OutputError && e.code === "STDOUT_IO",
  );
  // On stderr there is nowhere to say it: ignored.
  writeRaw(failing(eio), "stderr", "x");
  // Short writes are continued.
  const got: number[] = [];
  writeRaw({ writeSync: (p) => (got.push(...p.subarray(0, 1)), 1) }, "stdout", "abc");
  deepEqual(got, [97, 98, 99]);
});

/** A BootPack whose acceptance prints many warning lines (unknown POINTER keys), and passes. */
async function longOutput(dir: string): Promise<string> {
  const keys = Array.from({ length: 5000 }, (_, i) => `Note${i}=${"x".repeat(20)}\n`).join("");
  const path = `${dir}/long.txt`;
  await Deno.writeTextFile(
    path,
    "[BUG_KB_JSON]\n```\n[]\n```\n[BUG_KB_JSON_POINTER]\nPath=none.json\n" +
      `SHA256=${ZEROS}\nEntries=0\n${keys}`,
  );
  return path;
}

async function bash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    env: { ...env, DENO: Deno.execPath(), CLI, NO_COLOR: "1" },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

const GATE = '"$DENO" run --no-prompt --quiet --allow-read "$CLI" acceptance "$BP"';

Deno.test("acceptance | head: the exit code is the verdict's and nothing is printed on stderr", async () => {
  await withTempDir(async (dir) => {
    const bp = await longOutput(dir);
    const whole = await runCli(["acceptance", bp]);
    equal(whole.code, 0);
    ok(whole.stdout.length > 200_000, "control: the output is longer than a pipe's buffer");
    for (const head of ["head -1", "head -c 10"]) {
      const r = await bash(`${GATE} 2>"$ERR" | ${head} >/dev/null; echo "\${PIPESTATUS[0]}"`, {
        BP: bp,
        ERR: `${dir}/err`,
      });
      equal(r.out.trim(), "0", head);
      equal(await Deno.readTextFile(`${dir}/err`), "", head);
    }
    // The same with a block: still 1, still silent.
    await Deno.writeTextFile(bp, (await Deno.readTextFile(bp)).replace("[]", "[1]"));
    const blocked = await bash(`${GATE} 2>"$ERR" | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`, {
      BP: bp,
      ERR: `${dir}/err`,
    });
    equal(blocked.out.trim(), "1");
    equal(await Deno.readTextFile(`${dir}/err`), "");
  });
});

Deno.test("acceptance > /dev/full: STDOUT_FULL on stderr, exit 1", async () => {
  await withTempDir(async (dir) => {
    const bp = await longOutput(dir);
    const r = await bash(`${GATE} >/dev/full`, { BP: bp });
    equal(r.code, 1);
    match(
      r.err,
      /^bootpack: error: acceptance: STDOUT_FULL: Cannot write the output: no space left on stdout\n$/,
    );
    const json = await bash(`${GATE} --json >/dev/full`, { BP: bp });
    equal(json.code, 1);
    match(json.err, /STDOUT_FULL/);
  });
});

Deno.test("bootpack help acceptance prints what acceptance --help prints", async () => {
  for (const command of ["acceptance", "selftest", "ingest"]) {
    const a = await runCli(["help", command], { permissions: ["--allow-read", "--allow-write"] });
    const b = await runCli([command, "--help"], { permissions: ["--allow-read", "--allow-write"] });
    equal(a.code, 0);
    equal(a.stdout, b.stdout);
    match(a.stdout, new RegExp(`^Usage: bootpack ${command}`));
  }
  const unknown = await runCli(["help", "nope"]);
  equal(unknown.code, 2);
  equal(unknown.stdout, "");
  match(unknown.stderr, /Unknown command "nope"/);
});
