/**
 * The layer rule of the source tree, and a checker for it (`tests/layers_test.ts`).
 *
 * The import graph comes from `deno info --json` (Deno's own parser: static, dynamic and
 * type-only imports, nothing from comments or JSDoc examples); the source text is read only to
 * find `Deno.` I/O calls in the pure files.
 *
 * @module
 */

/** What one folder owns and what it may import. */
export interface Layer {
  /** Folder (or root file) relative to the repository root, without a trailing slash. */
  readonly path: string;
  /** What it owns, for the README's table. */
  readonly owns: string;
  /** Folders and files it may import (its own folder is always allowed). */
  readonly mayImport: readonly string[];
  /** Pure: no I/O folder, no `Deno.` I/O API, no outside module but {@linkcode PURE_EXTERNAL}. */
  readonly pure?: boolean;
}

/** Files of a pure folder that do I/O, so are not pure (they may not be imported by pure files). */
export const IMPURE_FILES: readonly string[] = [
  "lib/core/calibration.ts", // reads the user's calibration file
];

/** Outside modules a pure file may import (computation only). */
export const PURE_EXTERNAL: readonly string[] = ["npm:jsonc-parser", "node:crypto"];

/** The layers, innermost first. A file's layer is the longest `path` that contains it. */
export const LAYERS: readonly Layer[] = [
  {
    path: "lib/core",
    owns:
      "diagnostics, errors, escaping, UTF-8, SHA-256, paths, program form, retry; calibration (I/O)",
    mayImport: ["budgets/calibration.json"],
    pure: true,
  },
  {
    path: "lib/bootpack",
    owns: "the BootPack format, pure: scanner, parser, renderer, KB parse, entries, pointer paths",
    mayImport: ["lib/core"],
    pure: true,
  },
  {
    path: "lib/io",
    owns: "the one read seam, locks, atomic write, streamed hashing",
    mayImport: ["lib/core"],
  },
  {
    path: "lib/gates",
    owns: "acceptance and selftest: run, verdict, format",
    mayImport: ["lib/core", "lib/bootpack", "lib/io"],
  },
  {
    path: "lib/writers",
    owns: "ingest and rebuild (locked, atomic)",
    mayImport: ["lib/core", "lib/bootpack", "lib/io"],
  },
  {
    path: "lib/proofpack",
    owns: "pack names, manifest, scripts, export, verify, replay",
    mayImport: ["lib/core", "lib/bootpack", "lib/io", "lib/gates"],
  },
  {
    path: "lib/certify",
    owns: "the certification harness: CLI processes, scratch copies, gates G0-G5, stats, report",
    mayImport: ["lib", "deno.json"],
  },
  {
    path: "mod.ts",
    owns: "the public API (the only barrel)",
    mayImport: ["lib"],
  },
  {
    path: "cli",
    owns: "the command-line shell, one file per command (`cli.ts` dispatches)",
    mayImport: ["lib", "cli.ts", "deno.json"],
  },
  {
    path: "cli.ts",
    owns: "the command-line entry point",
    mayImport: ["cli", "lib/core"],
  },
  {
    path: "scripts",
    owns: "gate drivers, benchmarks, compile, set-up",
    mayImport: ["lib", "cli", "deno.json"],
  },
];

/** One file as the checker sees it. */
export interface SourceFile {
  /** Path relative to the repository root, `/`-separated. */
  readonly path: string;
  /** What it imports: relative paths for files of the tree, specifiers (`npm:x`) otherwise. */
  readonly imports: readonly string[];
  /** Its text (only code lines are searched; comment lines are skipped). */
  readonly text: string;
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/**
 * The layer a file belongs to: the longest layer path that contains it.
 *
 * @param path Path relative to the repository root.
 * @returns The layer, or undefined for files outside every layer.
 */
export function layerOf(path: string): Layer | undefined {
  let best: Layer | undefined;
  for (const layer of LAYERS) {
    if (within(path, layer.path) && (!best || layer.path.length > best.path.length)) best = layer;
  }
  return best;
}

function isPure(path: string): boolean {
  return layerOf(path)?.pure === true && !IMPURE_FILES.includes(path);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function folderOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf("/")));
}

/** `Deno.` uses that do no I/O: error classes, build and version facts. */
const PURE_DENO = /\bDeno\.(?!errors\b|build\b|version\b)[A-Za-z_]\w*/;

/** The code lines of a file: JSDoc, block comments and `//` comment lines dropped. */
function codeLines(text: string): string[] {
  const lines: string[] = [];
  let inComment = false;
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (inComment) {
      if (trimmed.includes("*/")) inComment = false;
      continue;
    }
    if (trimmed.startsWith("/*")) {
      inComment = !trimmed.includes("*/");
      continue;
    }
    if (!trimmed.startsWith("//")) lines.push(line);
  }
  return lines;
}

function importViolations(file: SourceFile, target: string): string[] {
  const found: string[] = [];
  const layer = layerOf(file.path);
  const say = (why: string): void => void found.push(`${file.path} imports ${target}: ${why}`);
  if (/^[a-z]+:/.test(target)) {
    if (isPure(file.path) && !PURE_EXTERNAL.some((p) => target.startsWith(p))) {
      say("a pure file imports only computation modules");
    }
    return found;
  }
  if (!layer) return found;
  const allowed = [layer.path, ...layer.mayImport].some((p) => within(target, p));
  if (!allowed) say(`${layer.path} may import only ${[layer.path, ...layer.mayImport].join(", ")}`);
  if (isPure(file.path) && within(target, "lib") && !isPure(target)) {
    say("a pure file imports only pure files");
  }
  if (within(target, "lib/certify") && within(file.path, "lib") && layer.path !== "lib/certify") {
    say("only lib/certify/ imports lib/certify/");
  }
  const internal = baseName(target).startsWith("_");
  if (internal && within(target, "lib") && folderOf(target) !== folderOf(file.path)) {
    say("a `_` module is internal to its folder");
  }
  if (internal && within(target, "cli") && !within(file.path, "cli") && file.path !== "cli.ts") {
    say("a `_` module of cli/ is internal to the command-line shell");
  }
  return found;
}

/**
 * Every breach of the layer rule in `files`.
 *
 * @param files The files with their imports and text.
 * @returns One sentence per breach (empty when the tree keeps the rule).
 */
export function checkLayers(files: readonly SourceFile[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const target of file.imports) found.push(...importViolations(file, target));
    if (!isPure(file.path)) continue;
    for (const [i, line] of codeLines(file.text).entries()) {
      const m = line.match(PURE_DENO) ?? line.match(/\bfetch\(/);
      if (m) found.push(`${file.path}: a pure file uses ${m[0]} (code line ${i + 1})`);
    }
  }
  return found;
}

/**
 * Reads the import graph of `paths` (and everything they reach) with `deno info --json`.
 *
 * @param root The repository (or a synthetic tree) with its `deno.json`.
 * @param paths Files to start from, relative to `root`.
 * @returns Every local file reached, with its imports and text.
 */
export async function readTree(root: string, paths: readonly string[]): Promise<SourceFile[]> {
  // The entry module lives outside the tree, so that nothing is written into it.
  const dir = await Deno.makeTempDir({ prefix: "bootpack_layers_" });
  try {
    const entry = `${dir}/entry.ts`;
    const url = (p: string): string => new URL(`file://${root}/${p}`).href;
    await Deno.writeTextFile(entry, paths.map((p) => `import "${url(p)}";\n`).join(""));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${root}/deno.json`, entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return await graphFiles(root, JSON.parse(new TextDecoder().decode(out.stdout)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier?: string };
    readonly type?: { readonly specifier?: string };
  }[];
}

async function graphFiles(
  root: string,
  info: { modules: readonly InfoModule[] },
): Promise<SourceFile[]> {
  const prefix = new URL(`file://${root}/`).href;
  const rel = (s: string): string =>
    s.startsWith(prefix) ? decodeURIComponent(s.slice(prefix.length)) : s;
  const files: SourceFile[] = [];
  for (const m of info.modules) {
    const path = rel(m.specifier);
    if (!m.specifier.startsWith(prefix) || !/\.tsx?$/.test(path)) continue;
    const imports = new Set<string>();
    for (const d of m.dependencies ?? []) {
      for (const s of [d.code?.specifier, d.type?.specifier]) if (s) imports.add(rel(s));
    }
    files.push({ path, imports: [...imports], text: await Deno.readTextFile(`${root}/${path}`) });
  }
  return files;
}

/**
 * The layer table for the README's layout section, from {@linkcode LAYERS}.
 *
 * @returns Markdown table rows (header included), one per layer.
 */
export function layerTable(): string {
  const name = (p: string): string => (p.endsWith(".ts") || p.includes(".") ? p : `${p}/`);
  const rows = LAYERS.map((l) => {
    const may = l.mayImport.length === 0 ? "nothing else" : l.mayImport.map(name).join(", ");
    const kind = l.pure ? " (pure)" : "";
    return [`\`${name(l.path)}\`${kind}`, l.owns, may];
  });
  return [["folder", "what it owns", "what it may import"], ...rows]
    .map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}
