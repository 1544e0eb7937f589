import { deepEqual, match, ok } from "node:assert/strict";
import { ROOT, withTempDir } from "./_helpers.ts";
import { cliInvocation } from "../lib/certify/cli_process.ts";

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

/** Runs a `deno task` with a fresh DENO_DIR holding a copy of the npm cache, as a first run does. */
async function firstTask(dir: string, deno: Record<string, unknown>): Promise<string> {
  const project = `${dir}/project`;
  const denoDir = `${dir}/deno_dir`;
  await Deno.mkdir(project);
  await Deno.mkdir(denoDir);
  await Deno.writeTextFile(`${project}/deno.json`, JSON.stringify(deno));
  await Deno.copyFile(`${ROOT}/deno.lock`, `${project}/deno.lock`);
  const info = JSON.parse(
    new TextDecoder().decode(
      (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] })
        .output()).stdout,
    ),
  );
  const cp = await new Deno.Command("cp", { args: ["-r", info.npmCache, `${denoDir}/npm`] })
    .output();
  ok(cp.success, "copy of the npm cache");
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

/** The modules Deno reads to start `deno <words> COMMAND --help` (from its debug log). */
async function modulesRead(words: readonly string[], command: string): Promise<string[]> {
  const at = words.indexOf("cli.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...words.slice(1, at), "--log-level=debug", `${ROOT}/cli.ts`, command, "--help"],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stderr);
  return [...log.matchAll(/fetch_no_follow - specifier: file:\/\/\/\S*?\/(cli\/\S+\.ts)/g)]
    .map((m) => m[1]!);
}

Deno.test("a task reads the modules of its own command only, not every command's", async () => {
  const words = tasks["acceptance"]!.command.split(" ");
  const read = await modulesRead(words, "acceptance");
  ok(read.includes("cli/acceptance.ts"), read.join());
  ok(!read.includes("cli/certify.ts") && !read.includes("cli/proofpack.ts"), read.join());
  // The control: without --unstable-lazy-dynamic-imports, Deno reads the whole program first.
  const eager = await modulesRead(
    words.filter((w) => w !== "--unstable-lazy-dynamic-imports"),
    "acceptance",
  );
  ok(eager.includes("cli/certify.ts"), eager.join());
  // certify's child processes run the same way.
  ok(cliInvocation(["acceptance", "b.txt"]).args.includes("--unstable-lazy-dynamic-imports"));
});
