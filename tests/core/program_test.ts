import assert from "node:assert/strict";
import { programForm, TASK_BUILD_ENTRY } from "../../lib/core/program.ts";

const windows = Deno.build.os === "windows";
const native = (p: string): string => windows ? p.replace(/^\//, "").replaceAll("/", "\\") : p;

Deno.test("programForm() tells the source tree from a module at its own path", () => {
  assert.deepEqual(programForm("file:///src/bp/lib/proofpack/tool.ts", "lib/proofpack/tool.ts"), {
    kind: "source",
    root: native("/src/bp"),
    cli: native("/src/bp/cli.ts"),
  });
  // Percent-encoded names are decoded once, after the layout is read.
  const spaced = programForm("file:///my%20src/lib/core/x.ts", "lib/core/x.ts");
  assert.equal(spaced.kind === "source" && spaced.root, native("/my src"));
});

Deno.test("programForm() tells the tasks' build from a chunk in dist/tasks/", () => {
  for (const file of ["cli.js", "chunk-KJ3XO5R6.js", "acceptance-X73J67S4.js"]) {
    assert.deepEqual(programForm(`file:///src/bp/dist/tasks/${file}`, "lib/core/x.ts"), {
      kind: "build",
      root: native("/src/bp"),
      cli: native(`/src/bp/${TASK_BUILD_ENTRY}`),
    });
  }
  // A file named like a chunk elsewhere, or a deeper folder, is not the build.
  assert.equal(programForm("file:///src/bp/dist/chunk-A.js", "lib/core/x.ts").kind, "bundle");
  assert.equal(programForm("file:///src/bp/dist/tasks/x/cli.js", "lib/core/x.ts").kind, "bundle");
});

Deno.test("programForm() takes any other file for the one-file bundle", () => {
  assert.deepEqual(programForm("file:///opt/bootpack.js", "lib/core/x.ts"), {
    kind: "bundle",
    file: native("/opt/bootpack.js"),
  });
  // The same name at another path (a copy of one module) is not the source tree.
  assert.equal(programForm("file:///lib/core/y.ts", "lib/core/x.ts").kind, "bundle");
});

Deno.test("programForm() refuses a module that is not a local file", () => {
  assert.throws(
    () => programForm("https://example.com/lib/core/x.ts", "lib/core/x.ts"),
    /not a local file/,
  );
});
