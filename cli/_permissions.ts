/**
 * Least privilege at dispatch (SPEC §8): the compiled binary and the bundle carry the union of the
 * commands' permissions, and `deno run -A cli.ts` carries all of them, so before a command runs,
 * {@linkcode revokeUnneeded} revokes every permission kind it does not use. A kind a command keeps
 * stays at the scope the process was granted: Deno can revoke a grant, not narrow one (revoking
 * one path of a wider grant is a no-op, revoking one path of a narrower grant revokes all of it),
 * so narrowing write to a folder needs a new process started with `--allow-write=DIR`.
 *
 * @module
 */

/** A permission kind a command may keep. */
export type PermissionKind = "read" | "write" | "run" | "env" | "sys";

/** Every kind revoked unless kept; `net` and `ffi` are never kept. */
export const ALL_KINDS: readonly Deno.PermissionName[] = [
  "read",
  "write",
  "run",
  "env",
  "sys",
  "net",
  "ffi",
];

const READ: readonly PermissionKind[] = ["read"];
const WRITE: readonly PermissionKind[] = ["read", "write"];

/**
 * What each command (and each `proofpack` subcommand) keeps. `proofpack export` runs `deno bundle`
 * and `git` to carry its tool, reads `SOURCE_DATE_EPOCH` and the OS release; `replay` runs Deno on
 * a private copy and reads `BOOTPACK_CLI`; `verify` only reads. `certify` runs the commands it
 * judges and reads the host's name.
 */
export const COMMAND_KEEPS: Readonly<Record<string, readonly PermissionKind[]>> = {
  acceptance: READ,
  selftest: READ,
  ingest: WRITE,
  rebuild: WRITE,
  keygen: WRITE,
  "proofpack export": ["read", "write", "run", "env", "sys"],
  "proofpack verify": READ,
  "proofpack replay": ["read", "write", "run", "env"],
  proofpack: READ,
  certify: ["read", "write", "run", "sys"],
  demo: ["read", "write", "sys"],
};

/**
 * The kinds a command line keeps: its entry in {@linkcode COMMAND_KEEPS} (`proofpack` by
 * subcommand), none for anything else (help, version, an unknown command).
 *
 * @param args The CLI arguments, the command first.
 * @returns The kinds to keep.
 * @example
 * ```ts
 * import { keptKinds } from "./_permissions.ts";
 * if (keptKinds(["acceptance", "b.txt"]).join() !== "read") throw new Error();
 * if (keptKinds(["proofpack", "verify", "p"]).join() !== "read") throw new Error();
 * if (keptKinds(["--help"]).length !== 0) throw new Error();
 * ```
 */
export function keptKinds(args: readonly string[]): readonly PermissionKind[] {
  const [name, sub] = args;
  if (name === undefined) return [];
  const key =
    name === "proofpack" && sub !== undefined && Object.hasOwn(COMMAND_KEEPS, `${name} ${sub}`)
      ? `${name} ${sub}`
      : name;
  return Object.hasOwn(COMMAND_KEEPS, key) ? COMMAND_KEEPS[key]! : [];
}

/**
 * Revokes, for the rest of the process, every permission kind the command line does not keep.
 *
 * @param args The CLI arguments, the command first.
 * @returns The kinds revoked.
 * @example
 * ```ts ignore
 * import { revokeUnneeded } from "./_permissions.ts";
 * revokeUnneeded(["acceptance", "b.txt"]); // write, run, env, sys, net, ffi now denied
 * ```
 */
export function revokeUnneeded(args: readonly string[]): Deno.PermissionName[] {
  const keep = new Set<string>(keptKinds(args));
  const revoked: Deno.PermissionName[] = [];
  for (const name of ALL_KINDS) {
    if (keep.has(name)) continue;
    // The synchronous call: each awaited one costs a turn of the event loop at every start.
    Deno.permissions.revokeSync({ name });
    revoked.push(name);
  }
  return revoked;
}

/** What {@linkcode probePermissions} found for one kind. */
export interface ProbeResult {
  /** `Deno.permissions.query` state. */
  readonly state: Deno.PermissionState;
  /** `ok` when the real operation succeeded, else the name of the error it threw. */
  readonly attempt: string;
}

/**
 * Test hook behind the hidden `--permission-probe FILE` first argument: after the revocation of
 * the command that follows, actually attempts a write (creating `file`), a process run, an
 * environment read, a system fact and a read, and reports each outcome; the command itself is not
 * run. It cannot report "denied" for a permission that is still there: each attempt is the real
 * operation.
 *
 * @param file A file that must not exist; created only when writing is still permitted.
 * @returns The outcome per kind.
 * @example
 * ```ts ignore
 * import { probePermissions } from "./_permissions.ts";
 * const r = await probePermissions("/tmp/probe.txt");
 * ```
 */
export async function probePermissions(file: string): Promise<Record<string, ProbeResult>> {
  const attempt = async (f: () => unknown): Promise<string> => {
    try {
      await f();
      return "ok";
    } catch (error) {
      return error instanceof Error ? error.name : "Error";
    }
  };
  const state = (d: Deno.PermissionDescriptor): Deno.PermissionState =>
    Deno.permissions.querySync(d).state;
  return {
    write: {
      state: state({ name: "write" }),
      attempt: await attempt(() => Deno.writeTextFile(file, "probe\n", { createNew: true })),
    },
    run: {
      state: state({ name: "run" }),
      attempt: await attempt(() =>
        new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).output()
      ),
    },
    env: { state: state({ name: "env" }), attempt: await attempt(() => Deno.env.get("PATH")) },
    sys: { state: state({ name: "sys" }), attempt: await attempt(() => Deno.hostname()) },
    net: {
      state: state({ name: "net" }),
      attempt: await attempt(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close()),
    },
    read: { state: state({ name: "read" }), attempt: await attempt(() => Deno.statSync(".")) },
  };
}
