// Code inside functions calling back into a real fnbase server, with @fnbase/sdk (through the
// server's import map) and with Base44's own npm:@base44/sdk, unchanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type FnbaseClient } from "../src/index.js";
import { loadFunctions, startFnbase, type TestServer, testEmail } from "./helpers/fnbase.js";

let fnbase: TestServer;
let anonymous: FnbaseClient;

beforeAll(async () => {
  fnbase = await startFnbase(
    await loadFunctions(
      "orders/process",
      "call-other",
      "call-other-base44",
      "whoami",
      "whoami-base44",
    ),
  );
  anonymous = createClient({ appId: fnbase.appId, serverUrl: fnbase.url });
});
afterAll(() => fnbase?.[Symbol.asyncDispose]());

describe.each([
  ["@fnbase/sdk", "call-other"],
  ["npm:@base44/sdk", "call-other-base44"],
])("a function using %s", (sdk, name) => {
  it("calls another function through createClientFromRequest(req).asServiceRole", async () => {
    const res = await anonymous.functions.invoke(name, { orderId: 31 });
    expect(res.data).toEqual({
      via: sdk.replace("npm:", ""),
      status: 200,
      data: { function: "orders/process", orderId: 31, callerRole: "service" },
    });
  });
});

describe.each([
  ["@fnbase/sdk", "whoami"],
  ["npm:@base44/sdk", "whoami-base44"],
])("auth.me() inside a function using %s", (sdk, name) => {
  const via = sdk.replace("npm:", "");

  it("returns the logged-in caller", async () => {
    const email = testEmail();
    const user = createClient({ appId: fnbase.appId, serverUrl: fnbase.url });
    await user.auth.register({ email, password: "correct horse battery" });
    await user.auth.loginViaEmailPassword(email, "correct horse battery");
    const me = await user.auth.me();
    const res = await user.functions.invoke(name);
    expect(res.data).toMatchObject({ via, user: { id: me.id, email } });
  });

  it("is refused with a 401 for an anonymous caller", async () => {
    const res = await anonymous.functions.invoke(name);
    expect(res.data).toMatchObject({ via, user: null, status: 401 });
    // The users route refused (no token), not the management API's key check.
    expect(res.data.data).toMatchObject({ code: "UNAUTHORIZED" });
    expect(res.data.data.error).not.toMatch(/API key/);
  });
});
