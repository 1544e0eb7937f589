import { deepEqual, equal, throws } from "node:assert/strict";
import {
  fromLongPath,
  isWindowsAbsolute,
  parsePathMapping,
  resolvePointerPath,
  toLongPath,
} from "../../lib/bootpack/pointer_path.ts";

const KB = "\\\\DS-918\\kb\\BUG_KB.json.txt";

Deno.test("resolvePointerPath() maps a UNC pointer on a POSIX host", () => {
  const r = resolvePointerPath(KB, {
    maps: [{ from: "\\\\DS-918\\kb", to: "/mnt/kb" }],
    platform: "posix",
  });
  deepEqual(r, {
    ok: true,
    path: "/mnt/kb/BUG_KB.json.txt",
    mapping: { from: "\\\\DS-918\\kb", to: "/mnt/kb" },
  });
});

Deno.test("resolvePointerPath() matches case-insensitively, with / or \\, on whole components", () => {
  const maps = [{ from: "//ds-918/KB/", to: "/mnt/kb/" }];
  const ok = resolvePointerPath("\\\\DS-918\\kb\\sub\\x.json", { maps, platform: "posix" });
  deepEqual(ok.ok && ok.path, "/mnt/kb/sub/x.json");
  const partial = resolvePointerPath("\\\\DS-918\\kb2\\x.json", { maps, platform: "posix" });
  equal(partial.ok, false);
});

Deno.test("resolvePointerPath() prefers the longest matching mapping", () => {
  const r = resolvePointerPath("Z:\\kb\\deep\\BUG_KB.json.txt", {
    maps: [{ from: "Z:\\", to: "/z" }, { from: "z:/kb/deep", to: "/deep" }],
    platform: "posix",
  });
  equal(r.ok && r.path, "/deep/BUG_KB.json.txt");
});

Deno.test("resolvePointerPath() follows long \\\\?\\UNC\\ and \\\\?\\Z:\\ forms through the same mapping", () => {
  const maps = [{ from: "\\\\DS-918\\kb", to: "/mnt/kb" }, { from: "Z:\\", to: "/z" }];
  const unc = resolvePointerPath("\\\\?\\UNC\\DS-918\\kb\\BUG_KB.json.txt", {
    maps,
    platform: "posix",
  });
  equal(unc.ok && unc.path, "/mnt/kb/BUG_KB.json.txt");
  const drive = resolvePointerPath("\\\\?\\Z:\\a\\b.txt", { maps, platform: "posix" });
  equal(drive.ok && drive.path, "/z/a/b.txt");
});

Deno.test("resolvePointerPath() refuses an unmapped Windows path on POSIX, keeps it on Windows", () => {
  const posix = resolvePointerPath(KB, { platform: "posix" });
  equal(posix.ok, false);
  equal(!posix.ok && posix.reason.includes("--map"), true);
  const windows = resolvePointerPath(KB, { platform: "windows" });
  equal(windows.ok && windows.path, KB);
});

Deno.test("resolvePointerPath() resolves a relative Path against the BootPack's folder", () => {
  equal(resolvePointerPath("BUG_KB.json.txt", { baseDir: "/data/bp", platform: "posix" }).ok, true);
  deepEqual(resolvePointerPath("kb/BUG_KB.json.txt", { baseDir: "/data/bp/", platform: "posix" }), {
    ok: true,
    path: "/data/bp/kb/BUG_KB.json.txt",
    mapping: null,
  });
  deepEqual(resolvePointerPath("/abs/kb.json", { baseDir: "/data", platform: "posix" }), {
    ok: true,
    path: "/abs/kb.json",
    mapping: null,
  });
});

Deno.test("resolvePointerPath() maps onto a Windows target with backslashes", () => {
  const r = resolvePointerPath("\\\\DS-918\\kb\\a/b.txt", {
    maps: [{ from: "\\\\DS-918\\kb", to: "Z:\\" }],
    platform: "windows",
  });
  equal(r.ok && r.path, "Z:\\a\\b.txt");
});

Deno.test("toLongPath() and fromLongPath() convert UNC and drive paths both ways", () => {
  equal(toLongPath(KB), "\\\\?\\UNC\\DS-918\\kb\\BUG_KB.json.txt");
  equal(toLongPath("C:\\x\\y"), "\\\\?\\C:\\x\\y");
  equal(toLongPath("\\\\?\\C:\\x"), "\\\\?\\C:\\x");
  equal(toLongPath("/mnt/kb"), null);
  equal(fromLongPath("\\\\?\\UNC\\DS-918\\kb\\x"), "\\\\DS-918\\kb\\x");
  equal(fromLongPath("\\\\?\\C:\\x"), "C:\\x");
  equal(fromLongPath("/mnt/kb"), "/mnt/kb");
});

Deno.test("isWindowsAbsolute() tells UNC and drive paths from others", () => {
  for (const p of [KB, "C:\\x", "c:/x", "\\\\?\\UNC\\s\\x", "//server/share"]) {
    equal(isWindowsAbsolute(p), true, p);
  }
  for (const p of ["/mnt/kb", "kb.json", "C:relative", "\\single"]) {
    equal(isWindowsAbsolute(p), false, p);
  }
});

Deno.test("parsePathMapping() splits at the first = and rejects empty sides", () => {
  deepEqual(parsePathMapping("\\\\DS-918\\kb=/mnt/a=b"), {
    from: "\\\\DS-918\\kb",
    to: "/mnt/a=b",
  });
  throws(() => parsePathMapping("no-equals"), TypeError);
  throws(() => parsePathMapping("=/mnt"), TypeError);
  throws(() => parsePathMapping("x="), TypeError);
});
