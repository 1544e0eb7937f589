/**
 * `deno task compile`: self-contained `bootpack` binaries for x86_64 Windows, Linux and macOS with
 * `deno compile`, the permissions the program needs baked in and nothing more (no network).
 *
 *   deno task compile [--target TRIPLE]... [--dry-run]
 *
 * `deno compile` downloads the target's runtime (denort) from Deno's release host the first time:
 * run this on a connected machine. The program reads nothing from its source tree at run time (the
 * calibration is built in), so the binary is all a host needs. The bundle (`dist/bootpack.js`, built
 * first) is included in the binary, so that the packs the binary exports carry it as their tool.
 *
 * Each command revokes at dispatch what it does not use (`cli/_permissions.ts`), so the baked-in
 * union does not widen any command. One limit: a binary cannot narrow a permission for a child it
 * starts, so certify, which confines the writers it runs to scratch folders, refuses to run from
 * a binary (`CONFINEMENT_UNAVAILABLE`); run it with `deno run … dist/bootpack.js certify`.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import { buildBundle } from "../lib/proofpack/tool.ts";
import { BUNDLE_OUT } from "./bundle.ts";

/** Targets built by default. */
export const TARGETS = [
  "x86_64-pc-windows-msvc",
  "x86_64-unknown-linux-gnu",
  "x86_64-apple-darwin",
] as const;

/**
 * Permissions baked into the binary: the union of what its commands need. Reading and writing
 * files (gates, writers, proofpacks), running processes (proofpack replay and certify re-run the
 * binary itself and the platform's hashing tools), the time stamp of reproducible exports, and the
 * OS facts of toolchain.json. No network.
 */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env=SOURCE_DATE_EPOCH,BOOTPACK_CLI",
  "--allow-sys=osRelease,hostname",
  "--no-prompt",
] as const;

/**
 * The `deno compile` arguments for one target.
 *
 * @param target A Rust target triple.
 * @returns Arguments after `deno`.
 */
export function compileArgs(target: string): string[] {
  const exe = target.includes("windows") ? "bootpack.exe" : "bootpack";
  return [
    "compile",
    ...PERMISSIONS,
    "--target",
    target,
    "--include",
    BUNDLE_OUT,
    "--output",
    `dist/${target}/${exe}`,
    "cli.ts",
  ];
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        target: { type: "string", multiple: true },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`compile: ${(error as Error).message}`);
    return 2;
  }
  if (values.help) {
    console.log(`Usage: deno task compile [--target TRIPLE]... [--dry-run]

Builds dist/<target>/bootpack[.exe] for ${TARGETS.join(", ")}.
  --target TRIPLE  Build only this target (repeatable)
  --dry-run        Print the deno compile commands without running them
  -h, --help       Show this help`);
    return 0;
  }
  const targets = values.target ?? [...TARGETS];
  if (!values["dry-run"]) {
    await Deno.mkdir("dist", { recursive: true });
    await buildBundle(BUNDLE_OUT, { version: denoJson.version });
  }
  let failed = 0;
  for (const target of targets) {
    const args = compileArgs(target);
    if (values["dry-run"]) {
      console.log(["deno", ...args].join(" "));
      continue;
    }
    console.error(`compile: ${target}`);
    const out = await new Deno.Command("deno", {
      args,
      stdout: "inherit",
      stderr: "inherit",
    })
      .output();
    if (!out.success) {
      console.error(
        `compile: cannot build ${target} (exit ${out.code}); deno compile needs to download the ` +
          `target runtime from dl.deno.land the first time`,
      );
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exitCode = await main();
