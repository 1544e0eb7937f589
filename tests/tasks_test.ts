import { deepEqual, ok } from "node:assert/strict";
import { ROOT } from "./_helpers.ts";

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
