/**
 * `proofpack replay` (SPEC §6): the same replay as the pack's `replay.sh`, run from Deno. Verifies
 * the pack, copies the files the gates read (the BootPack and KB that MANIFEST names, and the
 * pack's own tool) into a private folder, checks the copy's SHA256 against the verified ones, and
 * re-runs each gate there with `deno run --allow-read=<copy>` (no other permission), with the
 * command line derived from the evidence ({@linkcode import("./gate_plan.ts").gateArgs}); then
 * compares stdout and exit code with the recorded ones.
 *
 * @module
 */

import { dirname, join } from "../core/path.ts";
import { type Calibration, DEFAULT_CALIBRATION } from "../core/calibration.ts";
import { type ChaosMode, readFileBytes } from "../io/file_read.ts";
import { copyFileHashed, hashFile } from "../io/hash_stream.ts";
import { COMMANDS_FILE, type GateRecord, type PackFileProblem } from "./manifest.ts";
import { verifyProofpack, type VerifyReport } from "./verify.ts";

/** What {@linkcode replayProofpack} found. */
export interface ReplayReport {
  /** The verify step's report. */
  readonly verify: VerifyReport;
  /** The replayed gates (empty when verify failed or none were recorded). */
  readonly gates: readonly {
    /** `acceptance` or `selftest`. */
    readonly name: string;
    /** The arguments it ran with, derived from the pack's evidence. */
    readonly args: readonly string[];
    /** The recorded verdict (`PASS` or `GATE-BLOCK`). */
    readonly recordedVerdict: string;
    /** Recorded exit code. */
    readonly recordedExitCode: number;
    /** Exit code of the fresh run. */
    readonly exitCode: number;
    /** The fresh stdout equals the recorded output byte for byte. */
    readonly sameOutput: boolean;
    /** The fresh stdout. */
    readonly output: string;
    /** The fresh stderr (for the user when something differs). */
    readonly stderr: string;
    /** Same output and same exit code. */
    readonly ok: boolean;
  }[];
  /** Problems reading the gate record. */
  readonly problems: readonly PackFileProblem[];
  /** The tool that ran the gates: the pack's own or the one given, with its SHA256. */
  readonly tool: { path: string; sha256: string; source: "pack" | "given" } | null;
  /** The recorded verdict reproduced: `PASS` only when every gate passed; `null` when not. */
  readonly reproduced: "PASS" | "GATE-BLOCK" | null;
  /** No tool to replay with: the pack carries none and none was given (exit 2 in the CLI). */
  readonly missingTool: boolean;
  /** Everything verified and every gate replayed identically (a reproduced block included). */
  readonly ok: boolean;
}

/** One replayed gate. */
export type ReplayedGate = ReplayReport["gates"][number];

/** Options of {@linkcode replayProofpack}. */
export interface ReplayOptions {
  /**
   * bootpack's `cli.ts` to re-run the gates with (path or `file:` URL), when the pack carries no
   * `tool/bootpack.js`. Default: none (such a pack with gates cannot be replayed).
   */
  readonly cli?: string | undefined;
  /** The Deno executable. Default `deno` (from PATH). */
  readonly deno?: string;
  /** Root digest recorded elsewhere. Default: not checked. */
  readonly expectedRoot?: string | undefined;
  /** Thresholds (retries, timeouts). Default: the built-in calibration. */
  readonly calibration?: Calibration;
  /** Chaos fault to inject into every read of the verify step. Default none. */
  readonly chaos?: ChaosMode | undefined;
}

/**
 * Replays a proofpack: verify, then re-run the recorded gates in a read-only sandbox.
 *
 * @param dir The pack's folder.
 * @param options The CLI to replay with, Deno, expected root.
 * @returns The report.
 * @example
 * ```ts
 * import { exportProofpack } from "./export.ts";
 * import { replayProofpack } from "./replay.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await exportProofpack(`${dir}/pack`, { files: ["deno.json"], createdAt: new Date(0) });
 *   const r = await replayProofpack(`${dir}/pack`, { cli: "cli.ts" });
 *   if (!r.ok) throw new Error();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function replayProofpack(dir: string, options: ReplayOptions): Promise<ReplayReport> {
  const calibration = options.calibration ?? DEFAULT_CALIBRATION;
  const verify = await verifyProofpack(dir, {
    calibration,
    chaos: options.chaos,
    expectedRoot: options.expectedRoot,
  });
  const problems: PackFileProblem[] = [];
  let missingTool = false;
  const fail = (message?: string): ReplayReport => {
    if (message !== undefined) problems.push(problem(message));
    return { verify, gates: [], problems, tool: null, reproduced: null, missingTool, ok: false };
  };
  if (!verify.ok) return fail();
  if (verify.gates.length === 0) {
    return { verify, gates: [], problems, tool: null, reproduced: null, missingTool, ok: true };
  }
  // A private copy of the verified files the gates read, checked again after the copy.
  const work = await Deno.makeTempDir({ prefix: "bootpack_replay_" });
  try {
    const copy = await Deno.realPath(work);
    if (copy.includes(",")) {
      return fail(`Cannot sandbox "${copy}": a comma would widen --allow-read`);
    }
    const need = [
      verify.inputs!.bootpack,
      ...(verify.inputs!.kb === null ? [] : [verify.inputs!.kb]),
    ];
    const hasTool = verify.files.some((f) => f.path === TOOL_FILE);
    if (hasTool) need.push(TOOL_FILE);
    for (const path of need) {
      const want = verify.files.find((f) => f.path === path);
      if (want === undefined) return fail(`"${path}" is not one of the pack's files`);
      await Deno.mkdir(`${copy}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      const got = await copyFileHashed(`${dir}/${path}`, `${copy}/${path}`, { calibration });
      if (got.sha256 !== want.sha256.toUpperCase()) {
        return fail(`"${path}" changed after it verified`);
      }
    }
    const tool = hasTool
      ? { path: `${copy}/${TOOL_FILE}`, config: null, source: "pack" as const }
      : await givenTool(options.cli);
    if (tool === null) {
      missingTool = true;
      return fail(
        "Cannot replay: the pack has no tool/bootpack.js; give --cli FILE or set BOOTPACK_CLI",
      );
    }
    const toolSha256 = (await hashFile(tool.path, { calibration })).sha256;
    const replayed: ReplayedGate[] = [];
    for (const gate of verify.gates) {
      const recorded = await readFileBytes(`${dir}/${gate.output}`, { calibration });
      replayed.push(await runOne(gate, recorded, copy, tool, options.deno ?? "deno"));
    }
    const ok = replayed.every((g) => g.ok);
    return {
      verify,
      gates: replayed,
      problems,
      tool: {
        path: tool.source === "pack" ? TOOL_FILE : tool.path,
        sha256: toolSha256,
        source: tool.source,
      },
      missingTool,
      reproduced: ok
        ? (verify.gates.every((g) => g.verdict === "PASS") ? "PASS" : "GATE-BLOCK")
        : null,
      ok,
    };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** The pack's own tool, listed in SHA256SUMS (written by export when it carries itself). */
export const TOOL_FILE = "tool/bootpack.js";

interface Tool {
  readonly path: string;
  readonly config: string | null;
  readonly source: "pack" | "given";
}

async function givenTool(cli: string | undefined): Promise<Tool | null> {
  if (cli === undefined || cli === "") return null;
  const given = cli.startsWith("file:") ? new URL(cli).pathname : cli;
  const path = given.startsWith("/") || /^[A-Za-z]:[\\/]/.test(given)
    ? given
    : `${Deno.cwd()}/${given}`;
  return { path, config: await configBeside(path), source: "given" };
}

async function runOne(
  gate: GateRecord,
  recorded: Uint8Array,
  copy: string,
  tool: Tool,
  deno: string,
): Promise<ReplayedGate> {
  const out = await new Deno.Command(deno, {
    args: [
      "run",
      "--no-prompt",
      "--quiet",
      "--no-lock",
      ...(tool.config === null ? ["--no-config"] : ["--config", tool.config]),
      `--allow-read=${copy}`,
      tool.path,
      ...gate.args,
    ],
    cwd: copy,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const sameOutput = equalBytes(out.stdout, recorded);
  const dec = new TextDecoder();
  return {
    name: gate.name,
    args: gate.args,
    recordedVerdict: gate.verdict,
    recordedExitCode: gate.exit_code,
    exitCode: out.code,
    sameOutput,
    output: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ok: sameOutput && out.code === gate.exit_code,
  };
}

function problem(message: string): PackFileProblem {
  return { file: COMMANDS_FILE, line: null, path: COMMANDS_FILE, code: "INVALID", message };
}

async function configBeside(cli: string): Promise<string | null> {
  const config = join(dirname(cli), "deno.json");
  try {
    return (await Deno.stat(config)).isFile ? config : null;
  } catch {
    return null;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
