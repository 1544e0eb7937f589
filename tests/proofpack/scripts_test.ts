import assert from "node:assert/strict";
import { Language, type Node, Parser } from "web-tree-sitter";
import {
  bashQuote,
  encodeVerifyPs1,
  renderReplaySh,
  renderVerifyPs1,
} from "../../lib/proofpack/scripts.ts";

let parser: Parser | null = null;

/** The real PowerShell grammar (tree-sitter-powershell's .wasm, run by web-tree-sitter). */
async function powershell(): Promise<Parser> {
  if (parser) return parser;
  const wasm = new URL(
    import.meta.resolve("tree-sitter-powershell/tree-sitter-powershell.wasm"),
  ).pathname;
  await Parser.init();
  const language = await Language.load(await Deno.readFile(wasm));
  parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** Every ERROR or MISSING node of the parse, as `line:column type`. */
async function grammarErrors(text: string): Promise<string[]> {
  const tree = (await powershell()).parse(text);
  assert(tree !== null, "no tree");
  const out: string[] = [];
  const visit = (n: Node): void => {
    if (n.type === "ERROR" || n.isMissing) {
      out.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.type}`);
    }
    for (const c of n.children) if (c) visit(c);
  };
  visit(tree.rootNode);
  return out;
}

/** Removes comments and quoted strings, so the trap checks look at code only. */
function codeOnly(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/'[^']*'/g, "''").replace(/"[^"]*"/g, '""').replace(/#.*$/, ""))
    .join("\n");
}

/** The Windows PowerShell 5.1 traps, by name; empty when the script avoids them all. */
function ps51Traps(text: string): string[] {
  const traps: string[] = [];
  const code = codeOnly(text);
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) traps.push("non-ASCII character");
  if (/\bSort-Object\b/i.test(code)) traps.push("Sort-Object (culture-dependent order)");
  if (/\?\?/.test(code)) traps.push("?? or ??= (PowerShell 7)");
  if (/\?\./.test(code)) traps.push("?. (PowerShell 7)");
  if (/\s\?\s[^:]*\s:\s/.test(code)) traps.push("ternary ? : (PowerShell 7)");
  if (/&&|\|\|/.test(code)) traps.push("&& or || pipeline chain (PowerShell 7)");
  if (/-Parallel\b/i.test(code)) traps.push("ForEach-Object -Parallel (PowerShell 7)");
  if (/\$PSStyle\b/i.test(code)) traps.push("$PSStyle (PowerShell 7.2)");
  if (/(^|[\s{}])clean\s*\{/im.test(code)) traps.push("clean block (PowerShell 7.3)");
  if (/-(AsHashtable|Depth)\b/i.test(code) && /ConvertFrom-Json/i.test(code)) {
    traps.push("ConvertFrom-Json -AsHashtable/-Depth (PowerShell 6+)");
  }
  const pathCmds =
    /\b(Get-FileHash|Test-Path|Get-ChildItem|Get-Item|Resolve-Path|Get-Content)\b([^\n]*)/gi;
  for (const m of code.matchAll(pathCmds)) {
    if (!/-LiteralPath\b/.test(m[2]!)) traps.push(`${m[1]} without -LiteralPath`);
  }
  if (/\s-Path\b/i.test(code)) traps.push("-Path (wildcards: use -LiteralPath)");
  return traps;
}

const PS1_SOURCE = new URL("../../lib/proofpack/scripts/verify.ps1", import.meta.url);

Deno.test("verify.ps1 parses with the real PowerShell grammar, read from its source: zero error nodes", async () => {
  const source = await Deno.readTextFile(PS1_SOURCE);
  const errors = await grammarErrors(source);
  assert(errors.length === 0, errors.join("; "));
  assert(renderVerifyPs1() === source.replace(/\r?\n/g, "\r\n"), "the pack's copy is the source");
  assert(ps51Traps(source).length === 0, ps51Traps(source).join("; "));
});

Deno.test("the grammar check catches PowerShell 7-only syntax (it can fail)", async () => {
  for (const bad of ["$x = $a ?? 1", "$x = ($a) ? 1 : 2", "$y = $x?.Name", "if ($a { }"]) {
    const text = renderVerifyPs1().replace("$bad = 0", `$bad = 0\r\n${bad}`);
    assert((await grammarErrors(text)).length > 0, bad);
  }
});

Deno.test("verify.ps1 avoids every PowerShell 5.1 trap", () => {
  const traps = ps51Traps(renderVerifyPs1());
  assert(traps.length === 0, traps.join("; "));
});

Deno.test("the trap check catches each trap (it can fail)", () => {
  const base = renderVerifyPs1();
  const cases: [string, RegExp][] = [
    ["$o = $order | Sort-Object", /Sort-Object/],
    ["$x = $a ?? 1", /\?\?/],
    ["$x = $a ? 1 : 2", /ternary/],
    ["$x = $a?.b", /\?\./],
    ["Get-Item a && Get-Item b", /pipeline chain/],
    ["$h = Get-FileHash -Path $full", /-LiteralPath/],
    ["$h = Get-FileHash $full", /Get-FileHash without -LiteralPath/],
    ["Write-Output 'caf\u00e9'", /non-ASCII/],
    ["1..3 | ForEach-Object -Parallel { $_ }", /-Parallel/],
    ["function f { process { } clean { } }", /clean block/],
  ];
  for (const [line, want] of cases) {
    const traps = ps51Traps(base.replace("$bad = 0", `$bad = 0\r\n${line}`));
    assert(traps.some((t) => want.test(t)), `${line}: ${traps.join("; ")}`);
  }
});

Deno.test("verify.ps1 is UTF-8 with BOM, otherwise ASCII, CRLF line ends", () => {
  const bytes = encodeVerifyPs1();
  assert(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, "BOM");
  assert(bytes.subarray(3).every((b) => b < 0x80), "ASCII");
  const text = new TextDecoder().decode(bytes.subarray(3));
  assert(!/[^\r]\n/.test(text) && text.endsWith("\r\n"), "CRLF");
  assert(!text.includes("\uFEFF"), "one BOM only");
});

Deno.test("verify.ps1 streams SHA256SUMS.txt as strict UTF-8 and compares names ordinally", () => {
  const code = codeOnly(renderVerifyPs1());
  assert(/New-Object -TypeName System\.Text\.UTF8Encoding/.test(code));
  assert(/UTF8Encoding -ArgumentList @\(\$false, \$true\)/.test(code), "strict UTF-8, no BOM");
  assert(/StreamReader -ArgumentList @\(\$crypto, \$utf8, \$false/.test(code), "one streamed pass");
  assert(/\[System\.IO\.File\]::Open\(\$full, /.test(code), "each file opened once, by its path");
  assert(/\[System\.StringComparer\]::Ordinal\)/.test(code), "names compared ordinally");
  assert(!/StringComparer\]::OrdinalIgnoreCase/.test(code), "names never compared ignoring case");
  assert(/ReparsePoint/.test(code), "reparse points refused");
  for (const word of ["MISSING", "MODIFIED", "EXTRA", "UNSAFE", "SYMLINK", "SPECIAL"]) {
    const text = renderVerifyPs1();
    assert(text.includes(`'${word}: '`) || text.includes(`Report '${word}'`), word);
  }
  assert(/\bexit 0\b/.test(code) && /\bexit 1\b/.test(code));
});

async function shellcheck(text: string): Promise<{ ok: boolean; out: string }> {
  let child;
  try {
    child = new Deno.Command("shellcheck", {
      args: ["--shell=bash", "--severity=style", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error(`shellcheck is needed (apt-get install shellcheck): ${error}`);
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { ok: out.success, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("replay.sh passes shellcheck, read from its source file", async () => {
  const r = await shellcheck(
    await Deno.readTextFile(new URL("../../lib/proofpack/scripts/replay.sh", import.meta.url)),
  );
  assert(r.ok, r.out);
});

Deno.test("shellcheck catches a defect in a script (the check can fail)", async () => {
  const r = await shellcheck(renderReplaySh().replace('cd -- "$pack"', "cd $pack"));
  assert(!r.ok);
});

Deno.test("bashQuote() refuses NUL", () => {
  let threw = false;
  try {
    bashQuote("a\0b");
  } catch (error) {
    threw = error instanceof TypeError;
  }
  assert(threw);
});

Deno.test("_scripts_text.ts is what deno task gen writes from lib/proofpack/scripts/", async () => {
  const { renderScriptsModule } = await import("../../scripts/gen_scripts.ts");
  const dir = new URL("../../lib/proofpack/", import.meta.url);
  const want = renderScriptsModule(
    await Deno.readTextFile(new URL("scripts/replay.sh", dir)),
    await Deno.readTextFile(new URL("scripts/verify.ps1", dir)),
  );
  const got = await Deno.readTextFile(new URL("_scripts_text.ts", dir));
  assert(got === want, "lib/proofpack/_scripts_text.ts is out of date: run deno task gen");
});
