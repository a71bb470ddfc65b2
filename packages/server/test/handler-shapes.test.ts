import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

const SHAPES: Record<string, string> = {
  "serve-handler": `Deno.serve((req) => Response.json({ shape: "serve-handler", method: req.method }));`,
  "serve-options-handler": `
    const server = Deno.serve({ port: 8123, hostname: "0.0.0.0" }, (req) =>
      Response.json({ shape: "serve-options-handler", method: req.method }));
    if (!server.finished) throw new Error("Deno.serve must return a server");`,
  "serve-options-with-handler": `
    Deno.serve({ port: 8124, handler: (req) =>
      Response.json({ shape: "serve-options-with-handler", method: req.method }) });`,
  "default-function": `
    export default function (req: Request) {
      return Response.json({ shape: "default-function", method: req.method });
    }`,
  "default-fetch": `
    export default {
      fetch(req: Request) {
        return Response.json({ shape: "default-fetch", method: req.method });
      },
    };`,
};

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("shapes");
  for (const [name, code] of Object.entries(SHAPES)) await t.deploy(appId, name, code);
}, 120_000);
afterAll(() => t?.close());

describe("handler shapes", () => {
  for (const name of Object.keys(SHAPES)) {
    it(`${name} serves requests`, async () => {
      const res = await t.invoke(appId, name, { method: "PUT", body: "{}" });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ shape: name, method: "PUT" });
    }, 60_000);
  }
});
