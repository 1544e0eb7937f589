/**
 * Which form of bootpack is running, told from where one of its own modules was loaded: the source
 * tree (`cli.ts` and its modules), the tasks' build of it (`dist/tasks/`, which `deno task build`
 * writes: `cli.js` and one chunk per command's modules), or the one-file bundle (`bootpack.js`,
 * every module in that one file). A compiled binary is told apart by its executable, not here.
 *
 * @module
 */

import { fromFileUrl } from "./path.ts";

/** Where `deno task build` writes the program the tasks run, in the source tree. */
export const TASK_BUILD_DIR = "dist/tasks";

/** The entry point of that build, in the source tree: what the tasks run. */
export const TASK_BUILD_ENTRY = `${TASK_BUILD_DIR}/cli.js`;

/** A form of the program, with the paths it runs from. */
export type ProgramForm =
  /** From source: `root` is the source tree, `cli` its `cli.ts`. */
  | { readonly kind: "source"; readonly root: string; readonly cli: string }
  /** The tasks' build in a source tree: `cli` is its entry point (`dist/tasks/cli.js`). */
  | { readonly kind: "build"; readonly root: string; readonly cli: string }
  /** The one-file bundle: `file` is the bundle. */
  | { readonly kind: "bundle"; readonly file: string };

/**
 * Tells the form from a module's own URL and its path in the source tree: at that path, the source
 * tree; in `dist/tasks/`, the build (its chunks keep no source path); anywhere else, the one-file
 * bundle (in the bundle every module is that one file).
 *
 * @param moduleUrl The calling module's `import.meta.url`.
 * @param sourcePath That module's path in the source tree, e.g. `lib/proofpack/tool.ts`.
 * @returns The form and its paths (native paths of this host).
 * @throws {TypeError} When the module was not loaded from a local file.
 * @example
 * ```ts
 * import { programForm } from "./program.ts";
 * const here = programForm("file:///src/bootpack/lib/core/x.ts", "lib/core/x.ts");
 * if (here.kind !== "source" || here.root !== "/src/bootpack") throw new Error();
 * const build = programForm("file:///src/bootpack/dist/tasks/chunk-AB12.js", "lib/core/x.ts");
 * if (build.kind !== "build" || build.cli !== "/src/bootpack/dist/tasks/cli.js") throw new Error();
 * if (programForm("file:///opt/bootpack.js", "lib/core/x.ts").kind !== "bundle") throw new Error();
 * ```
 */
export function programForm(moduleUrl: string, sourcePath: string): ProgramForm {
  const url = new URL(moduleUrl);
  if (url.protocol !== "file:") {
    throw new TypeError(`Cannot tell how bootpack runs from "${url.href}": not a local file`);
  }
  const path = url.pathname;
  const local = (p: string): string => fromFileUrl(new URL(`file://${url.host}${p}`));
  if (path.endsWith(`/${sourcePath}`)) {
    const root = path.slice(0, -sourcePath.length - 1);
    return { kind: "source", root: local(root), cli: local(`${root}/cli.ts`) };
  }
  const slash = path.lastIndexOf("/");
  if (path.slice(0, slash).endsWith(`/${TASK_BUILD_DIR}`)) {
    const root = path.slice(0, slash - TASK_BUILD_DIR.length - 1);
    return { kind: "build", root: local(root), cli: local(`${root}/${TASK_BUILD_ENTRY}`) };
  }
  return { kind: "bundle", file: local(path) };
}
