/**
 * Command-line flag parsing for the CLI layer: the subset of `node:util` `parseArgs` the commands
 * use (long and short flags, `--flag=value`, repeatable strings, `--`), strict about unknown
 * flags. Hand-written on purpose: importing `node:util` adds about 12 ms to every start (60 % of
 * Deno's own start-up), and the read-only gates must cost little more than starting Deno.
 *
 * @module
 */

/** One flag's definition, as in `node:util` `parseArgs`. */
export interface OptionSpec {
  /** `boolean` flags take no value; `string` flags take one. */
  readonly type: "boolean" | "string";
  /** Repeatable (values collected in order). Default `false`. */
  readonly multiple?: boolean;
  /** One-letter alias, e.g. `h`. */
  readonly short?: string;
}

/** Parsed flags and positionals. */
export interface ParsedFlags {
  /** Flag values by long name: `true`, a string, or a string array for `multiple`. */
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  /** Arguments that are not flags, in order. */
  readonly positionals: string[];
}

/** A usage error: unknown command or flag, missing or extra argument. The CLI exits 2. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong and, when possible, what was meant.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses command-line arguments against flag definitions.
 *
 * @param args The arguments after the command name.
 * @param options Flag definitions by long name.
 * @returns Values and positionals.
 * @throws {UsageError} On an unknown flag, a missing value, or a value given to a boolean flag.
 * @example
 * ```ts
 * import { parseFlags } from "./_args.ts";
 * const r = parseFlags(["x.txt", "--map=a=b", "--json"], {
 *   json: { type: "boolean" },
 *   map: { type: "string", multiple: true },
 * });
 * if (r.positionals[0] !== "x.txt" || r.values.json !== true) throw new Error();
 * ```
 */
export function parseFlags(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): ParsedFlags {
  const values: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) byShort.set(spec.short, name);

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      if (!(name in options)) {
        throw new UsageError(unknownFlag(arg.slice(0, eq === -1 ? undefined : eq), options));
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      name = byShort.get(arg.slice(1));
      if (name === undefined) throw new UsageError(unknownFlag(arg, options));
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = options[name]!;
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`Flag --${name} takes no value`);
      values[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) {
        throw new UsageError(`Flag --${name} needs a value`);
      }
      value = next;
      i++;
    }
    if (spec.multiple) {
      const list = (values[name] as string[] | undefined) ?? [];
      list.push(value);
      values[name] = list;
    } else {
      if (values[name] !== undefined) throw new UsageError(`Flag --${name} is given twice`);
      values[name] = value;
    }
  }
  return { values, positionals };
}

function unknownFlag(flag: string, options: Readonly<Record<string, OptionSpec>>): string {
  const names = Object.keys(options).map((n) => `--${n}`);
  const hint = closest(flag, names);
  return `Unknown flag ${flag}${hint ? `; did you mean ${hint}?` : ""} (see --help)`;
}

/**
 * Finds the candidate closest to a mistyped word (edit distance at most 2), for hints.
 *
 * @param word What was typed.
 * @param candidates What could have been meant.
 * @returns The closest candidate, or `undefined`.
 * @example
 * ```ts
 * import { closest } from "./_args.ts";
 * if (closest("acceptence", ["acceptance", "selftest"]) !== "acceptance") throw new Error();
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
