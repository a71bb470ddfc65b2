import { lookup } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
let appId: string;
// jsr.io is not reachable from every sandbox; the jsr: test needs it (npm: is always tested).
const jsrReachable = await lookup("jsr.io").then(
  () => true,
  () => false,
);

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("imports");
}, 120_000);
afterAll(() => t?.close());

describe("imports inside a function", () => {
  it("npm: packages load", async () => {
    await t.deploy(
      appId,
      "with-npm",
      `import { z } from "npm:zod@3";
       const Body = z.object({ name: z.string().min(1) });
       Deno.serve(async (req) => {
         const parsed = Body.safeParse(await req.json());
         return parsed.success
           ? Response.json({ hello: parsed.data.name })
           : Response.json({ issues: parsed.error.issues.length }, { status: 422 });
       });`,
    );
    const ok = await t.invoke(appId, "with-npm", { method: "POST", body: '{"name":"Ada"}' });
    expect(await ok.json()).toEqual({ hello: "Ada" });
    const bad = await t.invoke(appId, "with-npm", { method: "POST", body: '{"name":""}' });
    expect(bad.status).toBe(422);
    await bad.text();
  }, 120_000);

  it.skipIf(!jsrReachable)(
    "jsr: packages load",
    async () => {
      await t.deploy(
        appId,
        "with-jsr",
        `import { encodeHex } from "jsr:@std/encoding@1/hex";
         Deno.serve(() => Response.json({ hex: encodeHex(new Uint8Array([1, 171])) }));`,
      );
      const res = await t.invoke(appId, "with-jsr");
      expect(await res.json()).toEqual({ hex: "01ab" });
    },
    120_000,
  );

  it("relative imports reach base44/shared/ from a nested function", async () => {
    await t.deploy(appId, "orders/process", {
      entry: "entry.ts",
      files: [
        {
          path: "entry.ts",
          content: `import { tax } from "./lib/tax.ts";
            import { APP } from "../../../shared/constants.ts";
            Deno.serve(() => Response.json({ app: APP, tax: tax(100) }));`,
        },
        { path: "lib/tax.ts", content: "export const tax = (n: number) => n * 0.2;" },
        { path: "../../../shared/constants.ts", content: 'export const APP = "shop";' },
      ],
    });
    const res = await t.invoke(appId, "orders/process");
    expect(await res.json()).toEqual({ app: "shop", tax: 20 });
  }, 60_000);
});
