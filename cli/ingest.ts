/**
 * CLI of `ingest`: add one entry to the KB, under the KB's lock, atomically.
 *
 * @module
 */

import { readFileBytes } from "../lib/io/file_read.ts";
import { decodeUtf8 } from "../lib/core/utf8.ts";
import { ingestEntry } from "../lib/writers/ingest.ts";
import { WriterError } from "../lib/writers/writer.ts";
import { UsageError } from "./_args.ts";
import { calibrationOf, chaosOf, COMMON_HELP, parseCommand } from "./_common.ts";
import { printInfo, writeJson, writeStdout } from "./_output.ts";
import { usageFailure, writerFailure } from "./_writer.ts";

const USAGE = "Usage: bootpack ingest --kb KB --entry FILE|- [--json]";

const HELP = `${USAGE}

Adds one entry (a JSON object with a non-empty string "id", unique in the KB) to the KB by
inserting its text after the last entry: every byte of the existing KB stays as it was
(numbers such as 1e400, escapes, hand formatting), the new entry takes the KB's line ending
and the entries' indentation. The entry is checked strictly: a member name given twice or a
number that does not survive a JSON parse exactly (1e400, 1e-400, 0.10000000000000000000001,
integers beyond 2^53) is refused.

Safe with many concurrent writers: the KB's lock (sidecar KB.lock, an OS lock that a crash
releases; a lock file that is a symlink, FIFO or folder is refused) is held while the KB is
read, checked and replaced atomically (temporary file created exclusively, mode and owner set
through its handle, sync, rename). Bad JSON, a non-object, a missing or duplicate id, an
invalid KB, a read-only KB (KB_READ_ONLY) or one with several hard links (KB_HARDLINKED):
exit 1 and the KB byte-for-byte unchanged.

Output (stdout): ingested id=ID entries=N sha256=HEX (or one JSON object with --json).
A refusal with --json is one object {"code","message","file","line"} on stdout.
Exit 0 written, 1 refused or failed, 2 usage error.

Options:
  --kb KB              The KB file (BUG_KB.json.txt)
  --entry FILE|-       The entry's JSON, from a file or from stdin (-)
  --json               Print one JSON object
${COMMON_HELP}

Example:
  echo '{"id":"KB-005","title":"..."}' | deno task ingest --kb BUG_KB.json.txt --entry -
`;

/**
 * Runs `bootpack ingest`.
 *
 * @param args Arguments after the command name.
 * @returns The exit code: 0 written, 1 refused or failed, 2 usage error.
 * @example
 * ```ts
 * import { main } from "./ingest.ts";
 * if (await main(["--help"]) !== 0) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let kb: string;
  let entry: string;
  let flags;
  let chaos;
  try {
    flags = parseCommand(args, {
      kb: { type: "string" },
      entry: { type: "string" },
      json: { type: "boolean" },
    });
    if (flags.values["help"]) {
      writeStdout(HELP);
      return 0;
    }
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument ${JSON.stringify(flags.positionals[0])}`);
    }
    const k = flags.values["kb"];
    const e = flags.values["entry"];
    if (typeof k !== "string") throw new UsageError("Missing --kb KB");
    if (typeof e !== "string") throw new UsageError("Missing --entry FILE|-");
    kb = k;
    entry = e;
    chaos = chaosOf(flags);
  } catch (error) {
    if (error instanceof UsageError) {
      return usageFailure("ingest", error.message, USAGE, args.includes("--json"));
    }
    throw error;
  }

  try {
    const calibration = await calibrationOf(flags);
    const source = entry === "-" ? "<stdin>" : entry;
    const bytes = entry === "-"
      ? await readStdin()
      : await readFileBytes(entry, { calibration, chaos });
    const text = decodeUtf8(bytes);
    if (text === null) {
      throw new WriterError("ENTRY_INVALID_UTF8", "The entry is not valid UTF-8", { file: source });
    }
    const result = await ingestEntry(kb, text, {
      calibration,
      chaos,
      onWait: (lockPath) => printInfo(`ingest: waiting for the lock on "${lockPath}"`),
      onRetry: (message) => printInfo(`ingest: ${message}`),
    }).catch((error) => {
      // An entry problem is about the entry's file, not the KB.
      if (error instanceof WriterError && error.file === null && error.code.startsWith("ENTRY_")) {
        throw new WriterError(error.code, error.message, { file: source, line: error.line });
      }
      throw error;
    });
    if (flags.values["json"]) {
      writeJson(result, 0);
    } else {
      writeStdout(
        `ingested id=${result.id} entries=${result.entries} sha256=${result.sha256}\n`,
      );
    }
    return 0;
  } catch (error) {
    return writerFailure("ingest", error, flags.values["json"] === true);
  }
}

async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}
