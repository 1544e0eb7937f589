import assert from "node:assert/strict";
import {
  cliInvocation,
  COMMAND_PERMISSIONS,
  narrowWrite,
  runCliProcess,
} from "../../lib/certify/cli_process.ts";
import { CLI, ROOT } from "../_helpers.ts";
import { TASK_BUILD_ENTRY } from "../../lib/core/program.ts";

Deno.test("cliInvocation() runs cli.ts with the command's task permissions from source", async () => {
  const inv = cliInvocation(["ingest", "--kb", "kb.json"], { execPath: "/usr/bin/deno" });
  assert.equal(inv.mode, "source");
  assert.equal(inv.command, "/usr/bin/deno");
  assert.deepEqual(inv.args, [
    "run",
    "--no-prompt",
    "--quiet",
    "--allow-read",
    "--allow-write",
    "--unstable-lazy-dynamic-imports",
    CLI,
    "ingest",
    "--kb",
    "kb.json",
  ]);
  assert.deepEqual(COMMAND_PERMISSIONS["acceptance"], ["--allow-read"]);
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  for (const name of ["acceptance", "selftest", "ingest", "rebuild", "proofpack", "certify"]) {
    const flags = (tasks[name].command as string).split(/\s+/).filter((w) =>
      w.startsWith("--allow-")
    );
    assert.deepEqual(COMMAND_PERMISSIONS[name], flags, name);
  }
  const narrow = cliInvocation(["rebuild", "b.txt"], {
    execPath: "C:\\deno\\deno.exe",
    permissions: ["--allow-read", "--allow-write=/tmp/x"],
    cliPath: "/repo/cli.ts",
  });
  assert.deepEqual(narrow.args.slice(3), [
    "--allow-read",
    "--allow-write=/tmp/x",
    "--unstable-lazy-dynamic-imports",
    "/repo/cli.ts",
    "rebuild",
    "b.txt",
  ]);
});

Deno.test("cliInvocation() runs the tasks' build with every flag of the command's task", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  for (const name of ["acceptance", "ingest", "certify"]) {
    const program = `/repo/${TASK_BUILD_ENTRY}`;
    const inv = cliInvocation([name, "x"], { execPath: "/usr/bin/deno", cliPath: program });
    assert.equal(inv.mode, "build");
    // The task's own command line, with --quiet: `deno run FLAGS dist/tasks/cli.js NAME x`.
    const words = (tasks[name].command as string).split(/\s+/);
    const flags = words.slice(1, words.indexOf(TASK_BUILD_ENTRY));
    assert.deepEqual([...inv.args].sort(), ["--quiet", ...flags, program, name, "x"].sort(), name);
    assert.ok(inv.args.includes("--v8-flags=--no-lazy"), name);
  }
  // Windows paths name the build too.
  const win = cliInvocation(["acceptance", "x"], {
    execPath: "C:\\deno\\deno.exe",
    cliPath: "C:\\bp\\dist\\tasks\\cli.js",
  });
  assert.equal(win.mode, "build");
  // From source the V8 flags stay out (the source modules' code cache is shared with the tests),
  // and the one-file bundle takes none of the task's flags.
  const source = cliInvocation(["acceptance", "x"], { execPath: "/usr/bin/deno" });
  assert.ok(!source.args.some((a) => a.startsWith("--v8-flags")), source.args.join(" "));
  const bundle = cliInvocation(["acceptance", "x"], {
    execPath: "/usr/bin/deno",
    cliPath: "/opt/bootpack.js",
  });
  assert.equal(bundle.mode, "bundle");
  assert.deepEqual(bundle.args, [
    "run",
    "--no-prompt",
    "--quiet",
    "--allow-read",
    "/opt/bootpack.js",
    "acceptance",
    "x",
  ]);
});

Deno.test("cliInvocation() re-invokes a compiled binary itself, permissions built in", () => {
  for (const exec of ["/opt/bootpack", "C:\\tools\\bootpack.exe"]) {
    const inv = cliInvocation(["selftest", "b.txt"], { execPath: exec });
    assert.deepEqual(inv, { command: exec, args: ["selftest", "b.txt"], mode: "binary" });
  }
});

Deno.test("cliInvocation() rejects no command and a command without known permissions", () => {
  assert.throws(() => cliInvocation([], { execPath: "/usr/bin/deno" }), TypeError);
  assert.throws(() => cliInvocation(["nonsense"], { execPath: "/usr/bin/deno" }), TypeError);
});

Deno.test("runCliProcess() runs the CLI as a process and measures it", async () => {
  const r = await runCliProcess([
    "acceptance",
    `${ROOT}/examples/bootpack.txt`,
    "--map",
    `\\\\DS-918\\kb=${ROOT}/examples`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^entries=4\|blocking=2\|ptr_exists=True/);
  assert.equal(r.timedOut, false);
  assert.ok(r.ms > 0);
});

Deno.test("runCliProcess() kills a process that outlives its deadline", async () => {
  // TIMEOUT with the built-in io_timeout_ms (5 s) x 4 attempts: far beyond 300 ms.
  const r = await runCliProcess(
    ["acceptance", `${ROOT}/examples/bootpack.txt`, "--chaos", "TIMEOUT"],
    { timeoutMs: 300 },
  );
  assert.equal(r.timedOut, true);
  assert.equal(r.code, -1);
});

Deno.test("narrowWrite() confines a writer to the given folders", () => {
  assert.deepEqual(narrowWrite(["--allow-read", "--allow-write", "--allow-run"], ["/a", "/b"]), [
    "--allow-read",
    "--allow-write=/a,/b",
    "--allow-run",
  ]);
  assert.deepEqual(narrowWrite(["--allow-read"], ["/a"]), ["--allow-read"]);
});
