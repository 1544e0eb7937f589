/**
 * Child process of the writers' crash and fault tests: runs `ingestEntry` or `rebuildBootPack`
 * (the library the CLI runs) with test hooks wired in, as a real process that a test can kill.
 *
 * Usage: deno run --allow-read --allow-write tests/_writer_child.ts ingest KB ENTRY_JSON [flags]
 *        deno run --allow-read --allow-write tests/_writer_child.ts rebuild BOOTPACK KB [flags]
 * Flags:
 *   --pause-at STEP   at that writer step, print "at STEP" and hang (the test kills us)
 *   --fail-at STEP    at that writer step, throw (a fault injected at that point)
 *   --report          on failure, report it as the CLI does (writerFailure, --json) first
 *   --fail-rename N   the first N renames fail with PermissionDenied (EPERM), then real ones
 *   --no-lock         run without the lock (the control experiment)
 *   --hold-ms MS      sleep MS after reading the file, widening the read-modify-write window
 *   --barrier         print "ready", then wait for a line on stdin before starting
 *   --retry-count N   calibration retry_count (default: the built-in calibration's)
 * Prints a last line `{"ok":true|false,"code":...,"renames":N}`; exit 0 or 1.
 *
 * @module
 */

import { DEFAULT_CALIBRATION } from "../lib/core/calibration.ts";
import { writerFailure } from "../cli/_writer.ts";
import { ingestEntry } from "../lib/writers/ingest.ts";
import { rebuildBootPack } from "../lib/writers/rebuild.ts";
import type { WriterSeamOptions, WriterStep } from "../lib/writers/_options.ts";

const [command, a, b, ...rest] = Deno.args;
const flag = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i === -1 ? undefined : rest[i + 1];
};
const pauseAt = flag("--pause-at") as WriterStep | undefined;
const failAt = flag("--fail-at") as WriterStep | undefined;
let failRenames = Number(flag("--fail-rename") ?? 0);
const holdMs = Number(flag("--hold-ms") ?? 0);
let renames = 0;

const say = (line: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
};

if (rest.includes("--barrier")) {
  say("ready");
  const reader = Deno.stdin.readable.getReader();
  await reader.read();
  reader.releaseLock();
}

const options: WriterSeamOptions = {
  calibration: {
    ...DEFAULT_CALIBRATION,
    retry_count: Number(flag("--retry-count") ?? DEFAULT_CALIBRATION.retry_count),
  },
  lock: !rest.includes("--no-lock"),
  onStep: async (step) => {
    if (step === failAt) throw new Deno.errors.Interrupted(`fault injected at ${step}`);
    if (step === pauseAt) {
      say(`at ${step}`);
      await new Promise(() => setInterval(() => {}, 1000));
    }
    if (step === "read" && holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
  },
  rename: (from, to) => {
    renames++;
    if (failRenames > 0) {
      failRenames--;
      return Promise.reject(new Deno.errors.PermissionDenied("EPERM (injected)"));
    }
    return Deno.rename(from, to);
  },
};

try {
  if (command === "ingest") await ingestEntry(a!, b!, options);
  else if (command === "rebuild") await rebuildBootPack(a!, { ...options, kb: b });
  else throw new Error(`unknown command ${command}`);
  say(JSON.stringify({ ok: true, renames }));
} catch (error) {
  if (rest.includes("--report")) writerFailure(command!, error, true);
  const e = error as { code?: string; written?: boolean };
  say(JSON.stringify({ ok: false, code: e.code ?? null, written: e.written ?? false, renames }));
  Deno.exitCode = 1;
}
