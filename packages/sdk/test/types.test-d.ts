import type { AxiosResponse } from "axios";
import { describe, expectTypeOf, it } from "vitest";
import {
  type ApiError,
  createClient,
  createClientFromRequest,
  type DeleteManyResult,
  type EntityAggregateResult,
  type EntityFilterQuery,
  type EntityHandler,
  type EntityUpsertResult,
  type FnbaseClient,
  type FunctionNameOf,
  type FunctionsModule,
  type ImportResult,
  type LoginResult,
  type ServerEntityFields,
  type ServiceRoleClient,
  type SortField,
  type UpdateManyResult,
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

describe("entity types", () => {
  const client = createClient({ appId: "a", serverUrl: "http://x" });
  type Task = { title: string; done?: boolean; n?: number } & ServerEntityFields;
  const task = {} as EntityHandler<Task>;

  it("client.entities and asServiceRole.entities hand out loose handlers without a registry", () => {
    // An index signature: with noUncheckedIndexedAccess (as here) a name may be undefined,
    // exactly as with @base44/sdk; generated types make registered names plain properties.
    // biome-ignore lint/suspicious/noExplicitAny: the loose handler is the case under test
    type Loose = EntityHandler<any> | undefined;
    expectTypeOf(client.entities.Task).toEqualTypeOf<Loose>();
    expectTypeOf(client.asServiceRole.entities.Task).toEqualTypeOf<Loose>();
  });

  it("methods resolve with the answers' shapes", () => {
    expectTypeOf(task.get).returns.resolves.toEqualTypeOf<Task>();
    expectTypeOf(task.delete).returns.resolves.toEqualTypeOf<{ success: boolean }>();
    expectTypeOf(task.deleteMany).returns.resolves.toEqualTypeOf<DeleteManyResult>();
    expectTypeOf(task.updateMany).returns.resolves.toEqualTypeOf<UpdateManyResult>();
    expectTypeOf(task.bulkCreate).returns.resolves.toEqualTypeOf<Task[]>();
    expectTypeOf(task.count).returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(task.aggregate).returns.resolves.toEqualTypeOf<EntityAggregateResult>();
    expectTypeOf(task.upsert).returns.resolves.toEqualTypeOf<EntityUpsertResult<Task>>();
    expectTypeOf(task.importEntities).returns.resolves.toEqualTypeOf<ImportResult<Task>>();
    expectTypeOf(task.list({ limit: 5 }))
      .resolves.toHaveProperty("next_cursor")
      .toEqualTypeOf<string | null>();
  });

  it("queries and sorts are typed from the record", () => {
    expectTypeOf<"+title">().toExtend<SortField<Task>>();
    expectTypeOf<"-created_date">().toExtend<SortField<Task>>();
    expectTypeOf<"title desc">().not.toExtend<SortField<Task>>();
    expectTypeOf({
      n: { $gte: 5 },
      title: { $in: ["a", "b"], $regex: "^a" },
      $or: [{ done: true }, { created_by_id: null }],
    }).toExtend<EntityFilterQuery<Task>>();
    expectTypeOf({ n: { $regex: "5" } }).not.toExtend<EntityFilterQuery<Task>>();
    expectTypeOf({ done: "yes" }).not.toExtend<EntityFilterQuery<Task>>();
  });
});
