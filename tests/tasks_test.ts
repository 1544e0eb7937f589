import { deepEqual, equal, match, ok } from "node:assert/strict";
import { copyBuildTree, ROOT, withTempDir } from "./_helpers.ts";
import { cliInvocation, runCliProcess } from "../lib/certify/cli_process.ts";
import { taskBuildEntry } from "../scripts/build.ts";
import { TASK_BUILD_DIR, TASK_BUILD_ENTRY } from "../lib/core/program.ts";

const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const tasks: Record<string, { command: string }> = config.tasks;

function flags(command: string): string[] {
  return command.split(/\s+/).filter((w) => /^--(allow|deny)-|^-A$|^--allow-all$/.test(w));
}

Deno.test("no deno task grants every permission", () => {
  for (const [name, task] of Object.entries(tasks)) {
    ok(!/(^|\s)(-A|--allow-all)(\s|$)/.test(task.command), name);
  }
});

Deno.test("the read-only gates get read permission and nothing else", () => {
  for (const name of ["acceptance", "selftest"]) {
    deepEqual(flags(tasks[name]!.command), ["--allow-read"], name);
  }
});

Deno.test("every command of the CLI is also a deno task", async () => {
  const cli = await Deno.readTextFile(`${ROOT}/cli.ts`);
  const commands = [...cli.matchAll(/^ {2}([a-z]+): \{$/gm)].map((m) => m[1]!);
  ok(commands.length >= 7);
  for (const c of commands) ok(c in tasks, `task ${c} missing`);
});

Deno.test("deno.json decides the build script of every npm package that has one", async () => {
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.lock`));
  const withScripts = Object.entries(lock.npm as Record<string, { scripts?: boolean }>)
    .filter(([, p]) => p.scripts === true).map(([id]) => `npm:${id.replace(/@[^@]+$/, "")}`);
  ok(withScripts.length > 0);
  const decided = [...config.allowScripts?.allow ?? [], ...config.allowScripts?.deny ?? []];
  deepEqual(withScripts.filter((p) => !decided.includes(p)), []);
});

/** A new DENO_DIR in `dir` holding a copy of this one's npm cache (no network here), as on a first run. */
async function freshDenoDir(dir: string): Promise<string> {
  const denoDir = `${dir}/deno_dir`;
  await Deno.mkdir(denoDir);
  const info = JSON.parse(
    new TextDecoder().decode(
      (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()).stdout,
    ),
  );
  const cp = await new Deno.Command("cp", { args: ["-R", info.npmCache, `${denoDir}/npm`] })
    .output();
  ok(cp.success, "copy of the npm cache");
  return denoDir;
}

/** Runs a `deno task` with a fresh DENO_DIR holding a copy of the npm cache, as a first run does. */
async function firstTask(dir: string, deno: Record<string, unknown>): Promise<string> {
  const project = `${dir}/project`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(`${project}/deno.json`, JSON.stringify(deno));
  await Deno.copyFile(`${ROOT}/deno.lock`, `${project}/deno.lock`);
  const denoDir = await freshDenoDir(dir);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "first"],
    cwd: project,
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  match(stdout, /^first run$/m);
  return new TextDecoder().decode(out.stderr);
}

Deno.test("the first deno task prints no warning box (and would without allowScripts)", async () => {
  await withTempDir(async (dir) => {
    const tasks = { first: "echo first run" };
    await Deno.mkdir(`${dir}/with`);
    const stderr = await firstTask(`${dir}/with`, { ...config, tasks });
    ok(!/Warning|Ignored build scripts/.test(stderr), stderr);
    // The control: the same first run without the decision shows the box.
    const { allowScripts: _, ...without } = config;
    await Deno.mkdir(`${dir}/without`);
    match(await firstTask(`${dir}/without`, { ...without, tasks }), /Ignored build scripts/);
  });
});

Deno.test("the README's two commands: the Deno that .ci/run installs, then the test task", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const start = readme.slice(
    readme.indexOf("## Start here"),
    readme.indexOf("### Running the tests"),
  );
  const block = start.match(/```sh\n([\s\S]*?)```/)?.[1] ?? "";
  const commands = block.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l);
  const ci = await Deno.readTextFile(`${ROOT}/.ci/run`);
  const version = ci.match(/^DENO_VERSION=(\S+)$/m)?.[1];
  deepEqual(commands, [`npm install -g deno@${version}`, "deno task test"]);
  ok(ci.includes("bash scripts/setup.sh") && ci.includes("deno task test --junit-path"));
  deepEqual(Deno.version.deno, version, "the tests run on the Deno the README installs");
});

/** The files of the tasks' build Deno reads to start `deno <words> COMMAND --help` (debug log). */
async function buildFilesRead(words: readonly string[], command: string): Promise<string[]> {
  const at = words.indexOf(TASK_BUILD_ENTRY);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      ...words.slice(1, at),
      "--log-level=debug",
      `${ROOT}/${TASK_BUILD_ENTRY}`,
      command,
      "--help",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stderr);
  return [...log.matchAll(/fetch_no_follow - specifier: file:\/\/\/\S*?\/dist\/tasks\/(\S+)\.js/g)]
    .map((m) => m[1]!.replace(/-[A-Z0-9]+$/, ""));
}

/** The CLI's tasks: every task whose command runs the program. */
const cliTasks = Object.entries(tasks).filter(([, t]) =>
  t.command.includes(` ${TASK_BUILD_ENTRY} `)
);

Deno.test("every command's task runs the tasks' build, after deno task build", () => {
  const names = cliTasks.map(([name]) => name).sort();
  deepEqual(names, [
    "acceptance",
    "certify",
    "demo",
    "ingest",
    "keygen",
    "proofpack",
    "rebuild",
    "selftest",
  ]);
  for (const [name, task] of cliTasks) {
    deepEqual((task as { dependencies?: string[] }).dependencies, ["build"], name);
    ok(!/\bcli\.ts\b/.test(task.command), name);
  }
});

Deno.test("the build's inputs (deno.json files) hold every module the program loads", async () => {
  const build = tasks["build"] as { command: string; files: string[]; output: string[] };
  // It reads and writes dist/ only (deno bundle, which it runs, reads the sources).
  deepEqual(flags(build.command), ["--allow-read=dist", "--allow-write=dist", "--allow-run=deno"]);
  deepEqual(build.output, [`${TASK_BUILD_DIR}/**/*`]);
  const covers = (path: string): boolean =>
    build.files.some((f) => f.endsWith("/**/*") ? path.startsWith(f.slice(0, -4)) : path === f);
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cli.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  ok(info.success);
  const local =
    (JSON.parse(new TextDecoder().decode(info.stdout)).modules as { specifier: string }[])
      .map((m) => m.specifier)
      .filter((s) => s.startsWith("file://"))
      .map((s) => decodeURIComponent(new URL(s).pathname).slice(ROOT.length + 1));
  ok(local.length > 60, local.join());
  deepEqual(local.filter((p) => !covers(p)), []);
  // The script that builds, the lock file (npm packages bundled in) and the config too.
  for (const f of ["scripts/build.ts", "deno.lock", "deno.json"]) ok(covers(f), f);
});

Deno.test("the tasks' build gives the gates' output of the source, byte for byte", async () => {
  const entry = await taskBuildEntry();
  const map = `\\\\DS-918\\kb=${ROOT}/examples`;
  for (const command of ["acceptance", "selftest"]) {
    for (const extra of [[], ["--json", "--strict"]]) {
      const args = [command, `${ROOT}/examples/bootpack.txt`, "--map", map, ...extra];
      const run = async (cliPath: string) => {
        const r = await runCliProcess(args, { cliPath });
        return [r.code, r.stdout, r.stderr];
      };
      deepEqual(await run(entry), await run(`${ROOT}/cli.ts`), args.join(" "));
    }
  }
});

Deno.test("a task reads the files of its own command only, not every command's", async () => {
  const words = tasks["acceptance"]!.command.split(" ");
  const read = await buildFilesRead(words, "acceptance");
  ok(read.includes("cli") && read.includes("acceptance"), read.join());
  ok(!read.includes("certify") && !read.includes("proofpack"), read.join());
  // The control: without --unstable-lazy-dynamic-imports, Deno reads the whole program first.
  const eager = await buildFilesRead(
    words.filter((w) => w !== "--unstable-lazy-dynamic-imports"),
    "acceptance",
  );
  ok(eager.includes("certify"), eager.join());
  // certify's child processes run the same way, from source too.
  ok(cliInvocation(["acceptance", "b.txt"]).args.includes("--unstable-lazy-dynamic-imports"));
});

/** Runs `deno task NAME ARGS` in `cwd` with `env`: exit code, stdout, stderr. */
async function task(
  cwd: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    cwd,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { code: o.code, stdout: text(o.stdout), stderr: text(o.stderr) };
}

Deno.test("a task runs what the sources say: a changed source is built again before it runs", async () => {
  await withTempDir(async (dir) => {
    // A copy of the tree the build reads, and a DENO_DIR of its own (the task cache lives there).
    const tree = `${dir}/tree`;
    await copyBuildTree(tree);
    const denoDir = await freshDenoDir(dir);
    const env = { DENO_DIR: denoDir };

    const first = await task(tree, env, "acceptance", "--help");
    equal(first.code, 0, first.stderr);
    match(first.stdout, /^Usage: bootpack acceptance /);
    match(first.stderr, /Task build deno run .*scripts\/build\.ts\n/);
    const again = await task(tree, env, "acceptance", "--help");
    match(again.stderr, /Task build .*\(cached, inputs unchanged\)/);

    // Change the help text in the source: the next task builds again and prints it.
    const gate = `${tree}/cli/gate.ts`;
    const source = await Deno.readTextFile(gate);
    ok(source.includes("Usage: bootpack ${command} <BOOTPACK>"));
    await Deno.writeTextFile(
      gate,
      source.replace(
        "Usage: bootpack ${command} <BOOTPACK>",
        "Usage: CHANGED ${command} <BOOTPACK>",
      ),
    );
    const changed = await task(tree, env, "acceptance", "--help");
    equal(changed.code, 0, changed.stderr);
    ok(!/\(cached/.test(changed.stderr), changed.stderr);
    match(changed.stdout, /^Usage: CHANGED acceptance /);

    // A build removed or edited by hand is put back as the sources made it.
    await Deno.remove(`${tree}/${TASK_BUILD_DIR}`, { recursive: true });
    match((await task(tree, env, "acceptance", "--help")).stdout, /^Usage: CHANGED acceptance /);
    const entry = `${tree}/${TASK_BUILD_ENTRY}`;
    const built = await Deno.readTextFile(entry);
    await Deno.writeTextFile(
      entry,
      built.replace("Deno.exit(await runProgram(Deno.args));", "Deno.exit(0);"),
    );
    const restored = await task(tree, env, "acceptance", "--help");
    match(restored.stdout, /^Usage: CHANGED acceptance /);
    equal(await Deno.readTextFile(entry), built);
  });
});
