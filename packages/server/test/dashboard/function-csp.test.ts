/**
 * Every function answer carries the sandbox policy (http_rules.js functionAnswerHeaders), on
 * Node's gateway and on the front's direct path alike: a page a function serves runs in an
 * opaque origin, never in the dashboard's.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { sleep, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("csp");
  await t.deploy(
    appId,
    "page",
    `Deno.serve(() => new Response("<script>document.title = document.cookie</script>", { headers: { "content-type": "text/html" } }));`,
  );
});
afterAll(() => t?.close());

it("a function's HTML answer is sandboxed on both paths", async () => {
  const paths: boolean[] = [];
  const off = t.server.onInvocation((r) => paths.push(r.direct));
  const policies: (string | null)[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await t.invoke(appId, "page");
    expect(res.status).toBe(200);
    await res.text();
    policies.push(res.headers.get("content-security-policy"));
  }
  // Direct invocations reach Node as records in batches.
  for (let i = 0; i < 100 && paths.length < 6; i++) await sleep(20);
  off();
  // The first call went through Node's gateway, later ones straight from the front.
  expect(paths).toContain(false);
  expect(paths).toContain(true);
  for (const p of policies) {
    expect(p).toBe("sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads");
  }
});
