import { readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { processAlive } from "./runtime/leftovers.js";

/** The file in a data dir that names the server using it: its pid, in decimal. */
export const LOCK_FILE = "server.pid";

/** A data dir this server holds; `release()` once it has closed (idempotent). */
export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * One server per data dir: a second one would kill the first's instances as leftovers of an
 * earlier start and replace its internal socket (found by a newcomer trial, 2026-12-01: two
 * `npm start` in one project left the first answering UPSTREAM_ERROR). The lock is
 * `<dataDir>/server.pid`, created exclusively, holding this process's pid. A lock whose process
 * is gone (a server that was SIGKILLed) is taken over at once; one of a live process, this one
 * included (two servers in one process), is refused.
 *
 * Our own code rather than `proper-lockfile`: its staleness goes by the lock's age (refreshed on
 * a timer), so a server restarted right after a SIGKILL would wait out the stale time, where the
 * pid says at once that the holder is gone. Two servers taking over the same stale lock at the
 * same instant may both win; the lock is against a second start by mistake, not a race.
 *
 * @throws FnbaseError `DATA_DIR_IN_USE` (409) naming the holder's pid, with a hint.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE);
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, `${mine}\n`, { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new FnbaseError(
          "DATA_DIR_IN_USE",
          `Another fnbase server (pid ${holder}) uses the data dir ${dataDir}`,
          {
            hint: "Stop that server first, or give this one a data dir of its own (--data; npm start and fnbase dev use <project>/.fnbase)",
          },
        );
      }
      // Taken over once already, and another start took it meanwhile.
      if (attempt > 0) throw err;
      // Its server is gone: take it over.
      await unlink(file).catch(() => {});
    }
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      const holder = await readFile(file, "utf8").catch(() => "");
      if (holder.trim() === mine) await unlink(file).catch(() => {});
    },
  };
}
