import assert from "node:assert/strict";
import { basename, dirname, fromFileUrl, isAbsolute, join, resolve } from "../../lib/core/path.ts";

const windows = Deno.build.os === "windows";

Deno.test("dirname() and basename() split on the host's separators", () => {
  assert.equal(dirname("/a/b/c.txt"), "/a/b");
  assert.equal(dirname("/c.txt"), "/");
  assert.equal(dirname("c.txt"), ".");
  assert.equal(basename("/a/b/c.txt"), "c.txt");
  assert.equal(basename("c.txt"), "c.txt");
  // A backslash is a separator on Windows only: elsewhere it may be part of a name.
  assert.equal(basename("a\\b.txt"), windows ? "b.txt" : "a\\b.txt");
});

Deno.test("isAbsolute(), join() and resolve() agree with each other", () => {
  assert.equal(isAbsolute("/x"), true);
  assert.equal(isAbsolute("x/y"), false);
  assert.equal(isAbsolute("C:\\x"), windows);
  assert.equal(join("/kb", "a.json"), "/kb/a.json");
  assert.equal(join("/kb/", "a.json"), "/kb/a.json");
  assert.equal(join("/kb", "/abs/a.json"), "/abs/a.json");
  assert.equal(resolve("/abs", "/cwd"), "/abs");
  assert.equal(resolve("rel/x", Deno.cwd()), join(Deno.cwd(), "rel/x"));
});

Deno.test("fromFileUrl() decodes the URL's path, and refuses other schemes", () => {
  if (!windows) {
    assert.equal(fromFileUrl("file:///tmp/a%20b/c%23d.ts"), "/tmp/a b/c#d.ts");
    assert.equal(fromFileUrl(new URL("file:///r%C3%A9pertoire/x")), "/répertoire/x");
  }
  assert.throws(() => fromFileUrl("https://example.com/x"), TypeError);
});
