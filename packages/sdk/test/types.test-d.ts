import type { AxiosResponse } from "axios";
import { describe, expectTypeOf, it } from "vitest";
import {
  type ApiError,
  createClient,
  createClientFromRequest,
  type FnbaseClient,
  type FunctionNameOf,
  type FunctionsModule,
  type LoginResult,
  type ServiceRoleClient,
  type User,
} from "../src/index.js";

// The registry's real augmentation is checked in its own program (fixtures/typed-registry);
// here the rule is checked through FunctionNameOf with explicit registries.
describe("FunctionNameOf", () => {
  it("is string for an empty registry", () => {
    // biome-ignore lint/complexity/noBannedTypes: the empty registry is the case under test
    expectTypeOf<FunctionNameOf<{}>>().toEqualTypeOf<string>();
  });

  it("is the union of a populated registry's keys", () => {
    expectTypeOf<FunctionNameOf<{ "process-order": true; "orders/process": true }>>().toEqualTypeOf<
      "process-order" | "orders/process"
    >();
  });
});

describe("client types", () => {
  const client = createClient({ appId: "a", serverUrl: "http://x" });

  it("createClient and createClientFromRequest return an FnbaseClient", () => {
    expectTypeOf(client).toEqualTypeOf<FnbaseClient>();
    expectTypeOf(createClientFromRequest).toBeCallableWith(new Request("http://x"));
    expectTypeOf(client.asServiceRole).toEqualTypeOf<ServiceRoleClient>();
  });

  it("invoke resolves with an axios response; fetch with a Response", () => {
    const untyped = client.functions.invoke("f");
    expectTypeOf(untyped).resolves.toHaveProperty("status").toEqualTypeOf<number>();
    expectTypeOf(untyped).resolves.toHaveProperty("data").toBeAny();
    expectTypeOf(client.functions.invoke<{ total: number }>("f")).resolves.toEqualTypeOf<
      AxiosResponse<{ total: number }>
    >();
    expectTypeOf(client.functions.fetch).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf<FunctionsModule["fetch"]>().parameter(1).toEqualTypeOf<RequestInit | undefined>();
  });

  it("invoke refuses a string as data", () => {
    // @ts-expect-error data is named parameters, not a string
    void client.functions.invoke("f", "text");
    expectTypeOf(client.functions.invoke)
      .parameter(1)
      .toEqualTypeOf<Record<string, unknown> | FormData | undefined>();
  });

  it("auth methods resolve with the body", () => {
    expectTypeOf(client.auth.me).returns.resolves.toEqualTypeOf<User>();
    expectTypeOf(client.auth.loginViaEmailPassword).returns.resolves.toEqualTypeOf<LoginResult>();
    expectTypeOf(client.auth.isAuthenticated).returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf<ApiError["status"]>().toEqualTypeOf<number | undefined>();
  });
});
