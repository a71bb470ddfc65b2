import { describe, expectTypeOf, it } from "vitest";
import {
  type CoreIntegrations,
  createClient,
  type ExtractDataResult,
  type IntegrationsModule,
  type UsersModule,
} from "../src/index.js";

const client = createClient({ appId: "a", serverUrl: "http://x", storage: false });

describe("integrations and users", () => {
  it("types the Core integrations' parameters and answers", () => {
    expectTypeOf(client.integrations).toEqualTypeOf<IntegrationsModule>();
    expectTypeOf(client.integrations.Core).toEqualTypeOf<CoreIntegrations>();
    expectTypeOf(client.integrations.Core.UploadFile).returns.resolves.toEqualTypeOf<{
      file_url: string;
    }>();
    expectTypeOf(client.integrations.Core.InvokeLLM).returns.resolves.toEqualTypeOf<
      string | object
    >();
    expectTypeOf(
      client.integrations.Core.ExtractDataFromUploadedFile,
    ).returns.resolves.toEqualTypeOf<ExtractDataResult>();
    // @ts-expect-error: SendEmail needs a subject
    void client.integrations.Core.SendEmail({ to: "a@b.co", body: "x" });
    // @ts-expect-error: UploadFile takes a File
    void client.integrations.Core.UploadFile({ file: "path" });
  });

  it("lets other packages be called by name, and has the service role's", () => {
    expectTypeOf(client.integrations.Slack!.PostMessage!).returns.resolves.toBeUnknown();
    expectTypeOf(client.asServiceRole.integrations).toEqualTypeOf<IntegrationsModule>();
  });

  it("takes only user or admin as an invitation's role", () => {
    expectTypeOf(client.users).toEqualTypeOf<UsersModule>();
    // @ts-expect-error: roles are user or admin
    void client.users.inviteUser("b@c.co", "owner");
  });
});
