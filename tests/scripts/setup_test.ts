import { equal, match, ok } from "node:assert/strict";
import { findPwsh, ROOT, withTempDir } from "../_helpers.ts";

const SETUP = `${ROOT}/scripts/setup.sh`;
const BASH = "/bin/bash";

interface Run {
  readonly code: number;
  readonly stderr: string;
}

async function setup(env: Record<string, string>): Promise<Run> {
  const out = await new Deno.Command(BASH, {
    args: [SETUP],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(new TextDecoder().decode(out.stdout), "", "setup prints nothing on stdout");
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Root or not, as setup.sh sees it (`id -u`; Deno.uid() would need --allow-sys). */
async function isRoot(): Promise<boolean> {
  const out = await new Deno.Command("id", { args: ["-u"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim() === "0";
}

/** A folder to use as PATH holding only the given commands (links to the real ones or scripts). */
async function binDir(dir: string, scripts: Record<string, string> = {}): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  for (const [name, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${bin}/${name}`, `#!${BASH}\n${body}\n`, { mode: 0o755 });
  }
  return bin;
}

Deno.test("setup.sh finds every tool on this machine and says so, exit 0", async () => {
  const r = await setup({ PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" });
  equal(r.code, 0, r.stderr);
  match(r.stderr, /^setup: test tools present: .*pwsh at \/.*pwsh$/m);
  ok(!r.stderr.includes("missing"), r.stderr);
});

Deno.test("setup.sh without the tools and without a way to install them fails closed", async () => {
  await withTempDir(async (dir) => {
    const r = await setup({ PATH: await binDir(dir), HOME: dir });
    equal(r.code, 1, r.stderr);
    match(r.stderr, /^setup: missing: shellcheck rhash hashdeep hyperfine openssl sha256sum/m);
    match(r.stderr, /apt-get install -y shellcheck rhash hashdeep hyperfine openssl coreutils/);
    ok(!r.stderr.includes("test tools present"), r.stderr);
  });
});

Deno.test("setup.sh installs missing tools with apt-get (root) and pwsh with dotnet tool", async () => {
  await withTempDir(async (dir) => {
    const log = `${dir}/calls.log`;
    // Stand-ins that record their arguments and "install" by creating stub executables.
    const stub = (name: string): string =>
      `printf '#!${BASH}\\n' > "$BIN/${name}"; /bin/chmod +x "$BIN/${name}"`;
    const bin = await binDir(dir, {
      "apt-get": [
        `echo "apt-get $*" >> ${log}`,
        `[ "$1" = update ] && exit 0`,
        ...["shellcheck", "rhash", "hashdeep", "hyperfine", "openssl", "sha256sum"].map(stub),
      ].join("\n"),
      dotnet: [
        `echo "dotnet $*" >> ${log}`,
        `/bin/mkdir -p "$HOME/.dotnet/tools"`,
        `printf '#!${BASH}\\n' > "$HOME/.dotnet/tools/pwsh"; /bin/chmod +x "$HOME/.dotnet/tools/pwsh"`,
      ].join("\n"),
    });
    const r = await setup({ PATH: bin, HOME: dir, BIN: bin });
    const calls = await Deno.readTextFile(log);
    match(calls, /^dotnet tool install --global PowerShell --version 7\.6\.9$/m);
    match(r.stderr, /installing PowerShell 7\.6\.9 with dotnet tool install/);
    if (await isRoot()) {
      equal(r.code, 0, r.stderr);
      match(calls, /^apt-get update -qq$/m);
      match(
        calls,
        /^apt-get install -y -qq shellcheck rhash hashdeep hyperfine openssl coreutils$/m,
      );
      match(r.stderr, new RegExp(`pwsh at ${dir}/\\.dotnet/tools/pwsh$`, "m"));
    } else {
      equal(r.code, 1, r.stderr);
      match(r.stderr, /cannot install them here \(needs root and apt-get\)/);
    }
  });
});

Deno.test("setup.sh as a user who is not root prints the apt-get line instead, exit 1", async () => {
  await withTempDir(async (dir) => {
    const log = `${dir}/calls.log`;
    const bin = await binDir(dir, { "apt-get": `echo "apt-get $*" >> ${log}` });
    await Deno.chmod(dir, 0o777);
    // As root, run it as nobody (setpriv); as any other user, run it as that user.
    const asUser = (await isRoot())
      ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BASH]
      : [BASH];
    const out = await new Deno.Command(asUser[0]!, {
      args: [...asUser.slice(1), SETUP],
      env: { PATH: bin, HOME: dir },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 1, stderr);
    match(stderr, /cannot install them here \(needs root and apt-get\); run:/);
    match(stderr, /sudo apt-get update && sudo apt-get install -y shellcheck rhash/);
    await Deno.stat(log).then(() => ok(false, "apt-get ran"), () => {});
  });
});

Deno.test("setup.sh BOOTPACK_SETUP_DRY_RUN=1 says what it would install and installs nothing", async () => {
  await withTempDir(async (dir) => {
    const r = await setup({ PATH: await binDir(dir), HOME: dir, BOOTPACK_SETUP_DRY_RUN: "1" });
    equal(r.code, 0, r.stderr);
    match(r.stderr, /would run: dotnet tool install --global PowerShell --version 7\.6\.9/);
    match(r.stderr, /^setup: dry run: nothing installed$/m);
  });
});

Deno.test("the test task runs setup.sh first, and findPwsh() finds what it installed", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  match(config.tasks.test.command, /^bash scripts\/setup\.sh && deno test /);
  match(findPwsh(), /\/pwsh$/);
});

Deno.test("shellcheck finds nothing in setup.sh and .ci/run", async () => {
  const out = await new Deno.Command("shellcheck", {
    args: [SETUP, `${ROOT}/.ci/run`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stdout));
});
