import { deepEqual, equal, match, ok } from "node:assert/strict";
import { ROOT, runCli } from "../_helpers.ts";

/** The commands `cli.ts` dispatches, read from its table (so a new command is covered). */
async function commands(): Promise<string[]> {
  const cli = await Deno.readTextFile(`${ROOT}/cli.ts`);
  return [...cli.matchAll(/^ {2}([a-z]+): \{$/gm)].map((m) => m[1]!);
}

Deno.test("bootpack --version and -V print the version of deno.json, exit 0", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  for (const flag of ["--version", "-V"]) {
    const r = await runCli([flag]);
    equal(r.code, 0, r.stderr);
    equal(r.stdout, `bootpack ${config.version}\n`);
    equal(r.stderr, "");
  }
});

Deno.test("every command and proofpack subcommand: --help and -h print usage, exit 0", async () => {
  const names = await commands();
  ok(names.length >= 7 && names.includes("proofpack"), `${names}`);
  const runs = [
    ...names.map((c) => [c]),
    ...["export", "verify", "replay"].map((s) => ["proofpack", s]),
  ];
  const results = await Promise.all(
    runs.flatMap((words) => ["--help", "-h"].map((flag) => [...words, flag])).map(async (args) => ({
      args,
      r: await runCli(args),
    })),
  );
  const failed = results.filter(({ r }) =>
    r.code !== 0 || r.stderr !== "" || !/^Usage: /.test(r.stdout)
  );
  deepEqual(failed.map(({ args, r }) => `${args.join(" ")}: exit ${r.code} ${r.stderr}`), []);
  for (const { args, r } of results) {
    match(r.stdout, new RegExp(`^Usage: bootpack ${args[0]}\\b`), args.join(" "));
  }
});

Deno.test("the top-level help lists every command, exit 0; no arguments is a usage error", async () => {
  const r = await runCli(["--help"]);
  equal(r.code, 0);
  for (const c of await commands()) match(r.stdout, new RegExp(`^ {2}${c} `, "m"), c);
  const none = await runCli([]);
  equal(none.code, 2);
  match(none.stderr, /^bootpack \S+: /);
});

Deno.test("every script task answers --help, exit 0", async () => {
  const results = await Promise.all(
    ["concurrency", "stress", "bench", "compile"].map(async (name) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          "--quiet",
          "--allow-read",
          `${ROOT}/scripts/${name}.ts`,
          "--help",
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      return { name, code: out.code, text };
    }),
  );
  for (const { name, code, text } of results) {
    equal(code, 0, `${name}: ${text}`);
    match(text, /Usage:/i, name);
  }
});
