import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FnbaseError, type Logger } from "@fnbase/shared";
import { type DenoInfo, graphProblems } from "./code-graph.js";

/** Settings of {@link CodeChecker}. */
export interface CodeCheckSettings {
  denoPath: string;
  /** DENO_DIR of the checks: their own, so nothing of one app's code lands where instances read. */
  cacheDir: string;
  /** The import map instances run with (`base44:runtime`, the SDKs). */
  imports: Record<string, string>;
  /** Folders outside the deployment that imports may reach (the runtime, the SDK bundles). */
  readable: string[];
  /** Longest a check may take, in ms; past it the deploy goes ahead unchecked (and it is logged). */
  timeoutMs: number;
  log: Logger;
}

/** Where imports of files outside the deployment and the runtime are sent: nowhere. */
const OUTSIDE = "file:///nonexistent.fnbase-outside-the-deployment/";

/** Most bytes of `deno info` output read (a graph of thousands of modules fits). */
const MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Checks a deployment's code before it goes live: Deno's own parser reads every module reached
 * from the entry by static imports (`deno info --json`), so what Deno would refuse at boot is
 * refused at deploy, with the file, line and column. It runs on the deployment as written to
 * disk (SDK imports already rewritten, see sdk-imports.ts) with the instances' import map, so
 * every SDK specifier instances accept passes. npm, JSR and remote modules are not fetched
 * (`--no-npm --no-remote`): a deploy never waits for a registry. Types are not checked here
 * (Deno does not check them when it runs a function either; `fnbase dev` reports them).
 * Files outside the deployment are mapped to a path that does not exist, so the check never
 * reads them. About 20-40 ms per deploy.
 */
export class CodeChecker {
  readonly #s: CodeCheckSettings;

  constructor(settings: CodeCheckSettings) {
    this.#s = settings;
  }

  /**
   * Checks the function `name` whose deployment tree is at `root`, entry `entry` (relative to
   * the function's folder).
   *
   * @throws {FnbaseError} `INVALID_CODE` (400) naming the first problem, its location in the
   *   body's `location`, and how many more there are.
   */
  async check(root: string, name: string, entry: string): Promise<void> {
    const info = await this.#info(root, join(root, "functions", name, entry));
    if (!info) return;
    const problems = graphProblems(info, { root, outside: OUTSIDE });
    const first = problems[0];
    if (!first) return;
    const { file, line, column } = first.location;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    throw new FnbaseError(
      "INVALID_CODE",
      `Cannot deploy "${name}": ${file}:${line}:${column}: ${first.message}${more}`,
      { location: first.location, ...(first.hint ? { hint: first.hint } : {}) },
    );
  }

  /** `deno info --json` of the entry; undefined (logged) when Deno could not say. */
  async #info(root: string, entry: string): Promise<DenoInfo | undefined> {
    const s = this.#s;
    const rootUrl = `${pathToFileURL(root).href}/`;
    const imports: Record<string, string> = {
      ...s.imports,
      "file:///": OUTSIDE,
      [rootUrl]: rootUrl,
    };
    for (const dir of s.readable) {
      const url = `${pathToFileURL(dir).href.replace(/\/$/, "")}/`;
      imports[url] = url;
    }
    const map = `data:application/json,${encodeURIComponent(JSON.stringify({ imports }))}`;
    const args = [
      "info",
      "--json",
      "--no-npm",
      "--no-remote",
      "--no-config",
      "--no-lock",
      `--import-map=${map}`,
      entry,
    ];
    const child = spawn(s.denoPath, args, {
      cwd: root,
      env: { DENO_DIR: s.cacheDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_OUTPUT) out.push(c);
      else child.kill("SIGKILL");
    });
    child.stderr.on("data", (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, s.timeoutMs);
    const code = await new Promise<number | null>((resolve) => {
      child.once("error", () => resolve(null));
      child.once("close", (c) => resolve(c));
    });
    clearTimeout(timer);
    const why = timedOut
      ? `it took over ${s.timeoutMs} ms`
      : size > MAX_OUTPUT
        ? "its output was too long"
        : code !== 0
          ? `deno info exited with ${code}: ${stderr.trim()}`
          : undefined;
    if (why === undefined) {
      try {
        return JSON.parse(Buffer.concat(out).toString("utf8")) as DenoInfo;
      } catch {
        s.log.warn({ entry }, "code check: deno info printed no JSON; deployed unchecked");
        return undefined;
      }
    }
    s.log.warn({ entry, why }, "code check did not finish; deployed unchecked");
    return undefined;
  }
}
