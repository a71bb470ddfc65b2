import { type ChildProcess, spawn } from "node:child_process";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type LocalFunction, projectPath } from "@fnbase/project";

/** One function to check: its deployment as written to disk, and where it is in the project. */
export interface TypeCheckTarget {
  fn: Pick<LocalFunction, "name" | "dir">;
  /** The deployment's root folder (its `base44/` tree). */
  root: string;
  /** The entry file, absolute, inside `root`. */
  entry: string;
}

/** Settings of {@link DevTypeChecker}. */
export interface DevTypeCheckSettings {
  denoPath: string;
  /** DENO_DIR: the dev server's module cache, so npm types download once. */
  denoDir: string;
  /** The import map instances run with (the SDKs, `base44:runtime`). */
  importMapPath: string;
  projectRoot: string;
  /**
   * Says what the check found: a `warning` once per function whose result changed (and when
   * Deno could not check at all); `checked` once, when the first check finds no error.
   */
  print: (kind: "warning" | "checked", message: string) => void;
}

/** One diagnostic of `deno check`: the TS code, the first line of its message, where. */
interface Diagnostic {
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
}

/**
 * `fnbase dev`'s type check: after a reload, `deno check` runs in the background on what was
 * deployed (SDK imports rewritten, the instances' import map), and type errors are printed as a
 * warning per function, with their place in the project. The SDKs are typed by their own
 * declarations, which ship beside their bundles (`@fnbase/runtime`'s dist/*.d.ts, named by each
 * bundle's `@ts-self-types`), so this needs no registry for them. A function still runs with
 * type errors, as under `deno run`, which does not check types; deploys (and the server) do not
 * wait for it. When a function's errors are gone, that is said once; when the first check finds
 * none at all, that too. A new check stops the one running and takes over its functions.
 */
export class DevTypeChecker {
  readonly #s: DevTypeCheckSettings;
  #child: ChildProcess | undefined;
  #pending = new Map<string, TypeCheckTarget>();
  /** Functions whose last check found errors. */
  readonly #failing = new Set<string>();
  /** Whether a check has finished yet (the first one says so when it finds nothing). */
  #finished = false;
  /** The last "could not check" message, said once until it changes. */
  #unchecked = "";
  #closed = false;

  constructor(settings: DevTypeCheckSettings) {
    this.#s = settings;
  }

  /** Checks these functions (and any whose check was cut short), in the background. */
  check(targets: TypeCheckTarget[]): void {
    if (this.#closed) return;
    for (const t of targets) this.#pending.set(t.fn.name, t);
    if (this.#pending.size === 0) return;
    this.#child?.kill("SIGKILL");
    const batch = this.#pending;
    this.#pending = new Map();
    const child = spawn(
      this.#s.denoPath,
      [
        "check",
        "--no-config",
        "--no-lock",
        `--import-map=${this.#s.importMapPath}`,
        ...[...batch.values()].map((t) => t.entry),
      ],
      {
        env: {
          DENO_DIR: this.#s.denoDir,
          NO_COLOR: "1",
          DENO_NO_UPDATE_CHECK: "1",
          PATH: process.env.PATH ?? "",
          ...(process.env.NPM_CONFIG_REGISTRY
            ? { NPM_CONFIG_REGISTRY: process.env.NPM_CONFIG_REGISTRY }
            : {}),
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    this.#child = child;
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      if (stderr.length < 1 << 20) stderr += c.toString();
    });
    child.once("error", () => {});
    child.once("close", (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      if (signal !== null) {
        // Cut short by a newer check: its functions go with that one (unless newer already).
        for (const [name, t] of batch) if (!this.#pending.has(name)) this.#pending.set(name, t);
        return;
      }
      this.#report(batch, code === 0, stderr);
    });
  }

  #report(batch: Map<string, TypeCheckTarget>, passed: boolean, stderr: string): void {
    const found = passed ? [] : diagnostics(stderr);
    const targets = [...batch.values()];
    const isFirst = this.#finished === false;
    this.#finished = true;
    if (!passed && !found.some((d) => targets.some((t) => d.file.startsWith(t.root)))) {
      // Deno failed for a reason in no function's files: a package it could not download,
      // a module it could not read. Say it (once) rather than call the code clean.
      const why = found[0]
        ? `${found[0].code} ${found[0].message}`
        : (stderr.match(/^error: (.*)$/m)?.[1] ?? stderr.trim().split("\n")[0] ?? "");
      const message = `Could not check the types of ${[...batch.keys()].join(", ")}: ${why}`;
      if (message !== this.#unchecked) this.#s.print("warning", message);
      this.#unchecked = message;
      return;
    }
    this.#unchecked = "";
    if (isFirst && passed) {
      const n = batch.size;
      this.#s.print(
        "checked",
        `No type errors in ${n === 1 ? "the function" : `the ${n} functions`} (deno check)`,
      );
    }
    for (const [name, t] of batch) {
      const own = found.filter((d) => d.file.startsWith(t.root));
      const first = own[0];
      if (!first) {
        if (this.#failing.delete(name)) this.#s.print("warning", `No type errors left in ${name}`);
        continue;
      }
      this.#failing.add(name);
      const inRoot = `base44/${relative(t.root, first.file).split("\\").join("/")}`;
      const where = projectPath(this.#s.projectRoot, t.fn, inRoot);
      const more = own.length > 1 ? ` (and ${own.length - 1} more)` : "";
      this.#s.print(
        "warning",
        `Type errors in ${name} (it runs anyway: Deno does not check types when it runs code): ${where}:${first.line}:${first.column}: ${first.code} ${first.message}${more}`,
      );
    }
  }

  /** Stops the running check. */
  close(): void {
    this.#closed = true;
    this.#child?.kill("SIGKILL");
  }
}

/**
 * The diagnostics in `deno check`'s output (Deno 2.x, NO_COLOR): blocks of
 * `TS2322 [ERROR]: <message>` … `at file:///…:<line>:<column>`.
 */
function diagnostics(stderr: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const block = /^(TS\d+) \[ERROR\]: (.*)$[\s\S]*?^\s+at (file:\/\/\S+):(\d+):(\d+)$/gm;
  for (const m of stderr.matchAll(block)) {
    let file: string;
    try {
      file = fileURLToPath(m[3] ?? "");
    } catch {
      continue;
    }
    out.push({
      code: m[1] ?? "",
      message: (m[2] ?? "").trim(),
      file,
      line: Number(m[4]),
      column: Number(m[5]),
    });
  }
  return out;
}
