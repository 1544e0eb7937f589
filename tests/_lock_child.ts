/**
 * Child process of the lock race test: takes the lock of a target `iterations` times and, while
 * holding it, proves it is alone (an exclusive-create witness file) and increments a counter with
 * a plain read-modify-write. Prints one JSON line per hold (`{"start","end"}`, ms since epoch) and
 * a last line `{"staleRetries":N}`. Exits 3 on an overlap.
 *
 * Usage: deno run --allow-read --allow-write tests/_lock_child.ts TARGET ITERATIONS [naive]
 * `naive` uses the lock protocol without verification (open, lock, work, unlink, unlock): the
 * control that shows the test detects the race.
 *
 * @module
 */

import { acquireFileLock } from "../lib/io/file_lock.ts";

const say = (text: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
};

const [target, iterationsArg, mode] = Deno.args;
if (target === undefined || iterationsArg === undefined) throw new Error("usage");
const iterations = Number(iterationsArg);
const witness = `${target}.holder`;
const counter = `${target}.counter`;
let staleRetries = 0;
const out: string[] = [];

async function naiveAcquire(): Promise<() => Promise<void>> {
  for (;;) {
    const f = await Deno.open(`${target}.lock`, { read: true, write: true, create: true });
    if (await f.tryLock(true)) {
      return async () => {
        await Deno.remove(`${target}.lock`).catch(() => {});
        f.close();
      };
    }
    f.close();
    await new Promise((r) => setTimeout(r, 1));
  }
}

for (let i = 0; i < iterations; i++) {
  let release: () => Promise<void>;
  if (mode === "naive") {
    release = await naiveAcquire();
  } else {
    const lock = await acquireFileLock(target, { waitMs: 60_000, pollMs: 1 });
    staleRetries += lock.staleRetries;
    release = () => lock.release();
  }
  const start = Date.now();
  try {
    await Deno.writeTextFile(witness, String(Deno.pid), { createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      out.push(JSON.stringify({ overlap: true }));
      say(out.join("\n"));
      Deno.exit(3);
    }
    throw error;
  }
  let n = 0;
  try {
    n = Number(await Deno.readTextFile(counter));
  } catch {
    n = 0;
  }
  await Deno.writeTextFile(counter, String(n + 1));
  await Deno.remove(witness);
  const end = Date.now();
  await release();
  out.push(JSON.stringify({ start, end }));
}
out.push(JSON.stringify({ staleRetries }));
say(out.join("\n"));
