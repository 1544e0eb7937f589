/**
 * Lines picked out of a CLI process's output for the certification's criteria (internal, pure).
 *
 * @module
 */

/** The last non-blank line of a text. */
export function lastLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? "";
}

/** A gate's verdict line (`[PASS] …` or `[GATE-BLOCK] …`), else the last line. */
export function verdictLine(stdout: string): string {
  return stdout.split("\n").find((l) => /^\[(PASS|GATE-BLOCK)\]/.test(l)) ?? lastLine(stdout);
}
