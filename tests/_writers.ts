/**
 * Helpers of the writers' tests: child processes with line-by-line stdout, and the residue a
 * writer may leave in a folder.
 *
 * @module
 */

import { isTempFileName } from "../lib/io/atomic_write.ts";
import { ROOT } from "./_helpers.ts";

/** A running child process whose stdout is read line by line. */
export interface Child {
  /** The process. */
  readonly process: Deno.ChildProcess;
  /** Resolves with the next stdout line (`null` at end of output). */
  nextLine(): Promise<string | null>;
  /** Writes a line to the child's stdin (when spawned with `stdin: true`). */
  send(line: string): Promise<void>;
  /** Waits for exit; gives the code and every stdout line not yet read. */
  done(): Promise<{ code: number; signal: Deno.Signal | null; lines: string[] }>;
}

/**
 * Spawns `deno run --allow-read --allow-write <script> <args>` from the repository root.
 *
 * @param script Script path relative to the root (e.g. `tests/_writer_child.ts`, `cli.ts`).
 * @param args Its arguments.
 * @param options `stdin: true` to keep stdin open for {@linkcode Child.send}.
 * @returns The child.
 */
export function spawn(
  script: string,
  args: readonly string[],
  options: { stdin?: boolean; input?: string } = {},
): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", "--allow-read", "--allow-write", script, ...args],
    cwd: ROOT,
    stdin: options.stdin || options.input !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = options.stdin || options.input !== undefined ? process.stdin.getWriter() : null;
  if (options.input !== undefined && writer) {
    writer.write(new TextEncoder().encode(options.input)).then(() => writer.close());
  }
  const stderr = new Response(process.stderr).text();
  const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let ended = false;
  const nextLine = async (): Promise<string | null> => {
    for (;;) {
      const nl = buffer.indexOf("\n");
      if (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        return line;
      }
      if (ended) {
        if (buffer === "") return null;
        const line = buffer;
        buffer = "";
        return line;
      }
      const { value, done } = await reader.read();
      if (done) ended = true;
      else buffer += value;
    }
  };
  return {
    process,
    nextLine,
    send: async (line) => {
      await writer!.write(new TextEncoder().encode(line + "\n"));
      await writer!.close();
    },
    done: async () => {
      const lines: string[] = [];
      for (let l = await nextLine(); l !== null; l = await nextLine()) lines.push(l);
      const status = await process.status;
      await stderr;
      return { code: status.code, signal: status.signal, lines };
    },
  };
}

/**
 * Lists what writers must not leave behind in a folder: lock files and temporary files.
 *
 * @param dir The folder.
 * @returns Names of `*.lock` and `*.tmp-<hex>` files, sorted.
 */
export async function residue(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".lock") || isTempFileName(e.name)) names.push(e.name);
  }
  return names.sort();
}

/**
 * Reads a KB and gives the ids of its entries, in order.
 *
 * @param path The KB.
 * @returns The ids.
 */
export async function kbIds(path: string): Promise<string[]> {
  const doc: unknown = JSON.parse(await Deno.readTextFile(path));
  const entries = Array.isArray(doc) ? doc : (doc as { entries: unknown[] }).entries;
  return entries.map((e) => (e as { id: string }).id);
}

/**
 * Awaits `fn`, expects it to reject with an instance of `cls`, and gives the error.
 *
 * @param fn The call.
 * @param cls The expected error class.
 * @returns The error.
 */
export async function rejectsWith<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof cls) return error;
    throw new Error(`Expected ${cls.name}, got ${error}`);
  }
  throw new Error(`Expected ${cls.name}, nothing was thrown`);
}

/**
 * Whether this process runs as root, learnt without `--allow-sys` (the test task has none): the
 * owner of a file it creates.
 *
 * @returns `true` for uid 0 (always `false` on Windows).
 */
export function runsAsRoot(): boolean {
  if (Deno.build.os === "windows") return false;
  const probe = Deno.makeTempFileSync({ prefix: "bootpack_uid_" });
  try {
    return Deno.statSync(probe).uid === 0;
  } finally {
    Deno.removeSync(probe);
  }
}
