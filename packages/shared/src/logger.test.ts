import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs `records` through createLogger in a Node process of its own; its stderr. */
function logged(format: "pretty" | "json", records: string): Promise<string> {
  const script = `
    const { createLogger } = await import("@fnbase/shared");
    const log = createLogger({ component: "test" }, { format: ${JSON.stringify(format)}, level: "info" });
    ${records}
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: import.meta.dirname, env: { PATH: process.env.PATH ?? "" } },
      (err, _stdout, stderr) => (err ? reject(err) : resolve(stderr)),
    );
  });
}

const RECORDS = `
  log.info({ app: "a1", admin: true }, "dashboard sign-in");
  log.error({ err: new Error("boom") }, "the front did not restart");
`;

describe("createLogger()", () => {
  it("writes one readable line a record in the pretty format, an error's message on it", async () => {
    const lines = (await logged("pretty", RECORDS)).trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^\[[\d:.]+\] INFO: dashboard sign-in \{"app":"a1","admin":true\}$/),
      expect.stringMatching(/^\[[\d:.]+\] ERROR: the front did not restart \(boom\)$/),
    ]);
  });

  it("writes JSON lines, an error's stack kept, in the json format", async () => {
    const records = (await logged("json", RECORDS))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({
        level: 30,
        component: "test",
        app: "a1",
        msg: "dashboard sign-in",
      }),
      expect.objectContaining({
        level: 50,
        err: expect.objectContaining({ message: "boom", stack: expect.stringContaining("\n") }),
      }),
    ]);
  });
});
