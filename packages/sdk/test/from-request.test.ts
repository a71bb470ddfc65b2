import { describe, expect, it } from "vitest";
import { createClientFromRequest } from "../src/index.js";

const base = { "Base44-App-Id": "app_1", "Base44-Api-Url": "http://127.0.0.1:1" };
const req = (headers: Record<string, string>, url = "http://fn.local/x") =>
  new Request(url, { headers });

describe("createClientFromRequest()", () => {
  it("fails without Base44-App-Id", () => {
    expect(() => createClientFromRequest(req({}))).toThrow(/Base44-App-Id header is missing/);
  });

  it.each([
    ["Authorization", "Basic abc"],
    ["Authorization", "Bearer"],
    ["Authorization", "Bearer a b"],
    ["Authorization", "bearer abc"],
    ["Authorization", "abc"],
    ["Base44-Service-Authorization", "Token xyz"],
    ["Base44-Service-Authorization", "Bearer  xyz"],
  ])("refuses %s: %j", (header, value) => {
    expect(() => createClientFromRequest(req({ ...base, [header]: value }))).toThrow(
      new RegExp(`Invalid ${header} header: expected "Bearer <token>"`),
    );
  });

  it("does not echo a malformed header's secret in the error", () => {
    expect(() =>
      createClientFromRequest(req({ ...base, Authorization: "supersecretvalue" })),
    ).toThrow(/^(?!.*supersecret)/);
  });

  it("accepts an anonymous caller and throws on asServiceRole without a service token", () => {
    const client = createClientFromRequest(req(base));
    expect(client.functions).toBeDefined();
    expect(() => client.asServiceRole).toThrow(
      /Cannot use asServiceRole: this client has no service token/,
    );
  });

  it("gives asServiceRole when the service header is present", () => {
    const client = createClientFromRequest(
      req({ ...base, Authorization: "Bearer u", "Base44-Service-Authorization": "Bearer s" }),
    );
    expect(client.asServiceRole.functions).toBeDefined();
  });

  it("falls back to the request's origin when Base44-Api-Url is missing", () => {
    expect(() =>
      createClientFromRequest(req({ "Base44-App-Id": "a" }, "http://fn.local:8080/x")),
    ).not.toThrow();
    expect(() =>
      createClientFromRequest({ headers: new Headers({ "Base44-App-Id": "a" }) }),
    ).toThrow(/Base44-Api-Url header is missing/);
  });
});
