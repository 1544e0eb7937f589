import { deepEqual, equal, throws } from "node:assert/strict";
import { closest, parseFlags, UsageError } from "../../cli/_args.ts";

const OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  map: { type: "string", multiple: true },
  kb: { type: "string" },
} as const;

Deno.test("parseFlags() reads booleans, strings, repeated strings, = forms and --", () => {
  const r = parseFlags([
    "a",
    "--json",
    "--map",
    "x=y",
    "--map=p=q",
    "--kb",
    "-",
    "-h",
    "--",
    "--not-a-flag",
  ], OPTIONS);
  deepEqual(r.positionals, ["a", "--not-a-flag"]);
  deepEqual(r.values, { json: true, map: ["x=y", "p=q"], kb: "-", help: true });
});

Deno.test("parseFlags() refuses unknown flags with a hint, missing values and repeated singles", () => {
  throws(
    () => parseFlags(["--jsno"], OPTIONS),
    (e: unknown) => e instanceof UsageError && /did you mean --json\?/.test(e.message),
  );
  throws(() => parseFlags(["-x"], OPTIONS), UsageError);
  throws(() => parseFlags(["--kb"], OPTIONS), /needs a value/);
  throws(() => parseFlags(["--kb", "--json"], OPTIONS), /needs a value/);
  throws(() => parseFlags(["--json=yes"], OPTIONS), /takes no value/);
  throws(() => parseFlags(["--kb", "a", "--kb", "b"], OPTIONS), /given twice/);
});

Deno.test("closest() suggests only near misses", () => {
  equal(closest("selftets", ["acceptance", "selftest"]), "selftest");
  equal(closest("zzz", ["acceptance", "selftest"]), undefined);
});
