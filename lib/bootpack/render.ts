/**
 * Pure part of `rebuild` (SPEC §5): from a BootPack's text and a KB's text, SHA256 and entry
 * count, the new BootPack text. The SNAPSHOT becomes an exact copy of the KB text (its line
 * endings converted to the BootPack's own) between bare fences; the POINTER becomes canonical
 * (`Path=` as the user wrote it, `SHA256=` uppercase, `Entries=` the real count); every other byte
 * stays as it was, line endings included. Missing sections are appended. No I/O.
 *
 * @module
 */

import {
  joinLines,
  type Line,
  parseBootPack,
  POINTER_HEADER,
  type PointerSection,
  SNAPSHOT_HEADER,
} from "./parse.ts";
import type { Diagnostic } from "../core/diagnostic.ts";

/** The KB facts a rebuild writes into the BootPack. */
export interface RenderKb {
  /** The KB file's text, exactly as read. */
  readonly text: string;
  /** SHA256 of the KB file's bytes (any case; written uppercase). */
  readonly sha256: string;
  /** Number of entries in the KB. */
  readonly entries: number;
  /**
   * The `Path=` value to write when the BootPack has no usable one (no POINTER, no `Path` line,
   * or an empty one). `null`: such a BootPack is refused.
   */
  readonly path: string | null;
  /**
   * Write `path` as the `Path=` value even when the BootPack has a usable one (the KB copied is
   * not the file its Path names). Default `false`: a usable Path stays as the user wrote it.
   */
  readonly replacePath?: boolean;
}

/** Result of {@linkcode renderBootPack}. */
export type RenderResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/** Violations a rebuild repairs by rewriting the sections; any other one is refused. */
const REPAIRED = new Set([
  "SNAPSHOT_MISSING",
  "POINTER_MISSING",
  "FENCE_LANG_TAG",
  "SNAPSHOT_EMPTY",
  "SNAPSHOT_BOM",
  "SNAPSHOT_JSON_INVALID",
  "SNAPSHOT_SHAPE",
  "SNAPSHOT_ENTRY_NOT_OBJECT",
  "POINTER_SHA256_MISSING",
  "POINTER_SHA256_INVALID",
  "POINTER_ENTRIES_MISSING",
  "POINTER_ENTRIES_INVALID",
]);

/** Repaired only when the caller gives a path to write (`RenderKb.path`). */
const REPAIRED_WITH_PATH = new Set(["POINTER_PATH_MISSING", "POINTER_PATH_EMPTY"]);

const FENCE = "```";

/**
 * Computes a rebuilt BootPack (see the module doc). Refuses, with the parser's reason code and
 * line, a BootPack whose structure a rebuild cannot rewrite safely: a duplicate section or
 * POINTER key, an unclosed or unbalanced fence, text before the SNAPSHOT's opening fence, a bad
 * `Path` (unless `kb.path` is given), or any other violation it does not repair. It also
 * refuses (`REBUILD_SELF_CHECK`) if its own result would not parse back to the KB's facts.
 *
 * @param text The BootPack's text (decoded; an empty text gets both sections).
 * @param kb The KB's text, SHA256, entry count, and the Path to use when none is usable.
 * @returns The new text, or the reason nothing may be written.
 * @example
 * ```ts
 * import { renderBootPack } from "./render.ts";
 * const r = renderBootPack("Notes\r\n", {
 *   text: "[]\n",
 *   sha256: "ab".repeat(32),
 *   entries: 0,
 *   path: "kb.json",
 * });
 * const fence = "`".repeat(3);
 * const head = `Notes\r\n\r\n[BUG_KB_JSON]\r\n${fence}\r\n[]\r\n${fence}\r\n`;
 * if (!r.ok || !r.text.startsWith(head)) throw new Error();
 * ```
 */
export function renderBootPack(text: string, kb: RenderKb): RenderResult {
  const bp = parseBootPack(text);
  for (const v of bp.violations) {
    if (REPAIRED.has(v.code)) continue;
    if (REPAIRED_WITH_PATH.has(v.code) && kb.path !== null) continue;
    // A SNAPSHOT header followed by blank lines only: the fenced block goes after the header.
    if (v.code === "FENCE_MISSING" && v.line === bp.snapshot?.headerLine) continue;
    return {
      ok: false,
      diagnostic: { ...v, message: `${v.message}; a rebuild cannot repair this` },
    };
  }
  const eol = bp.lineEnding ?? kbLineEnding(kb.text) ?? "\n";
  const kbLines = toLines(kb.text, eol);
  const sha = kb.sha256.toUpperCase();
  const lines: Line[] = bp.lines.slice();
  const edits: Edit[] = [];

  if (bp.snapshot) {
    const s = bp.snapshot;
    if (s.openFenceLine !== null && s.closeFenceLine !== null) {
      const open = lines[s.openFenceLine - 1]!;
      const close = lines[s.closeFenceLine - 1]!;
      edits.push({
        start: s.openFenceLine - 1,
        end: s.closeFenceLine,
        lines: framed(kbLines, { text: FENCE, cr: "", eol: open.eol }, {
          text: FENCE,
          cr: close.cr,
          eol: close.eol,
        }),
      });
    } else {
      // FENCE_MISSING with nothing but blank lines in the section: the block goes after the header.
      const at = s.headerLine - 1;
      const fenced = framed(kbLines, { text: FENCE, cr: "", eol }, { text: FENCE, cr: "", eol });
      edits.push(insertAfter(lines, at, fenced, eol));
    }
  }

  const keyLines = (wanted: PointerValues): Line[] => [
    { text: `Path=${wanted.path}`, cr: "", eol },
    { text: `SHA256=${sha}`, cr: "", eol },
    { text: `Entries=${kb.entries}`, cr: "", eol },
  ];

  if (bp.pointer) {
    const pathValue = kb.replacePath && kb.path !== null
      ? kb.path
      : bp.pointer.path?.raw ?? kb.path;
    if (pathValue === null) return refuse("POINTER_PATH_MISSING", bp.pointer.headerLine);
    const insert = rewritePointer(lines, bp.pointer, keyLines({ path: pathValue }), eol);
    if (insert !== null) edits.push(insert);
  }

  // Edits never overlap; they are applied in one pass, in line order.
  let out = joinLines(applyEdits(lines, edits));

  let appended: Line[] = [];
  if (!bp.snapshot) {
    appended = framed(kbLines, { text: `[${SNAPSHOT_HEADER}]`, cr: "", eol }, {
      text: FENCE,
      cr: "",
      eol,
    });
    appended.splice(1, 0, { text: FENCE, cr: "", eol });
  }
  if (!bp.pointer) {
    if (kb.path === null) return refuse("POINTER_MISSING", null);
    if (appended.length > 0) appended.push({ text: "", cr: "", eol });
    appended.push({ text: `[${POINTER_HEADER}]`, cr: "", eol });
    for (const l of keyLines({ path: kb.path })) appended.push(l);
  }
  if (appended.length > 0) out = appendBlock(out, joinLines(appended), eol);

  return selfCheck(out, kb, sha);
}

/**
 * Rewrites the POINTER's key lines in place in canonical form (same line count: no index moves);
 * gives the insertion of the missing keys after the last one, if any.
 */
function rewritePointer(
  lines: Line[],
  pointer: PointerSection,
  canonical: readonly Line[],
  eol: string,
): Edit | null {
  const found = pointer.keyLines;
  const missing: Line[] = [];
  let last = pointer.headerLine - 1;
  (["path", "sha256", "entries"] as const).forEach((key, k) => {
    const line = found[key];
    const want = canonical[k]!;
    if (line === undefined) {
      missing.push(want);
      return;
    }
    const index = line - 1;
    last = Math.max(last, index);
    const old = lines[index]!;
    lines[index] = { ...want, cr: old.cr, eol: old.eol };
  });
  return missing.length > 0 ? insertAfter(lines, last, missing, eol) : null;
}

interface Edit {
  /** 0-based first line replaced. */
  readonly start: number;
  /** 0-based line after the last replaced. */
  readonly end: number;
  readonly lines: Line[];
}

interface PointerValues {
  readonly path: string;
}

function refuse(code: string, line: number | null): RenderResult {
  return {
    ok: false,
    diagnostic: {
      code,
      line,
      message: "The BootPack has no usable POINTER Path and no KB path was given to write",
    },
  };
}

/** `first`, then `middle`, then `last`, built without spreading (`middle` may be huge). */
function framed(middle: readonly Line[], first: Line, last: Line): Line[] {
  const out: Line[] = [first];
  for (const l of middle) out.push(l);
  out.push(last);
  return out;
}

/** Applies non-overlapping edits in one pass (no `splice(...lines)`: no argument per line). */
function applyEdits(lines: readonly Line[], edits: readonly Edit[]): Line[] {
  const sorted = edits.slice().sort((a, b) => a.start - b.start);
  const out: Line[] = [];
  let at = 0;
  for (const e of sorted) {
    for (; at < e.start; at++) out.push(lines[at]!);
    for (const l of e.lines) out.push(l);
    at = e.end;
  }
  for (; at < lines.length; at++) out.push(lines[at]!);
  return out;
}

/** Replaces line `at` by itself plus `added`; a last line without terminator passes it on. */
function insertAfter(lines: readonly Line[], at: number, added: Line[], eol: string): Edit {
  const anchor = lines[at]!;
  if (anchor.eol !== "") return { start: at + 1, end: at + 1, lines: added };
  const tail = added[added.length - 1]!;
  return {
    start: at,
    end: at + 1,
    lines: framed(added.slice(0, -1), { ...anchor, eol }, { ...tail, eol: "" }),
  };
}

/** The KB text as lines ending with `eol` (a final line without terminator gets one). */
function toLines(text: string, eol: string): Line[] {
  const parts = text.split(/\r\n|\n/);
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((p) => ({ text: p, cr: "", eol }));
}

function kbLineEnding(text: string): "\r\n" | "\n" | null {
  const m = /\r\n|\n/.exec(text);
  return m ? (m[0] as "\r\n" | "\n") : null;
}

/** Appends a block after the text, separated by one blank line. */
function appendBlock(text: string, block: string, eol: string): string {
  if (text === "") return block;
  if (/(\r?\n)[ \t]*\r?\n$/.test(text)) return text + block;
  if (/\n$/.test(text)) return text + eol + block;
  return text + eol + eol + block;
}

function selfCheck(out: string, kb: RenderKb, sha: string): RenderResult {
  const check = parseBootPack(out);
  const snap = check.snapshot;
  const ptr = check.pointer;
  const ok = check.violations.length === 0 && snap?.kb?.entries === kb.entries &&
    ptr?.sha256?.value === sha && ptr.entries?.value === kb.entries;
  if (!ok) {
    const first = check.violations[0];
    return {
      ok: false,
      diagnostic: {
        code: "REBUILD_SELF_CHECK",
        line: first?.line ?? null,
        message: `The rebuilt BootPack would not match the KB${
          first ? ` (${first.code}: ${first.message})` : ""
        }; nothing written`,
      },
    };
  }
  return { ok: true, text: out };
}
