import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

const ALLOWED = "https://app.example.com";
const OTHER = "https://elsewhere.example.com";
const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

/** A server with one app that allows only ALLOWED; returns a preflight helper. */
async function setup(corsAnyOrigin: boolean) {
  const t = await startTestServer({ corsAnyOrigin });
  servers.push(t);
  const appId = await t.createApp("cors");
  await t.admin(`/api/apps/${appId}`, {
    method: "PATCH",
    body: JSON.stringify({ cors_origins: [ALLOWED] }),
  });
  return (route: string, origin: string) =>
    fetch(`${t.url}/api/apps/${appId}/${route}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST" },
    }).then((r) => r.headers.get("access-control-allow-origin"));
}

describe("CORS on the browser routes (auth/*, entities/*)", () => {
  it("follows the app's cors_origins", async () => {
    const preflight = await setup(false);
    for (const route of ["auth/login", "entities/User/me"]) {
      expect(await preflight(route, ALLOWED)).toBe(ALLOWED);
      expect(await preflight(route, OTHER)).toBeNull();
    }
  }, 30_000);

  it("lets any origin in under fnbase dev, as invocations do", async () => {
    const preflight = await setup(true);
    for (const route of ["auth/login", "entities/User/me"]) {
      expect(await preflight(route, OTHER)).toBe(OTHER);
    }
  }, 30_000);
});
