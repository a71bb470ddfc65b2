/**
 * Core.InvokeLLM, GenerateImage and ExtractDataFromUploadedFile against an OpenAI-compatible
 * server the test runs: a small HTTP server that speaks the Chat Completions and Images wire
 * formats (what llama.cpp's server, Ollama's `/v1` and OpenAI answer), records what it was
 * sent and answers like a model would. Through `@base44/sdk` 0.8.50, `@fnbase/sdk` and a
 * deployed function; and a server with nothing configured answers 501 for each.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, oneFile } from "../helpers.js";
import { type Fixture, fixture, type User } from "./integration-helpers.js";

interface Seen {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A 1x1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

let llm: Server;
let llmUrl: string;
const seen: Seen[] = [];
/** The next answer's content, when a test sets one (else an echo, or JSON for a schema). */
let nextContent: string | undefined;
let nextStatus = 200;

function chatAnswer(model: string, content: string) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

let f: Fixture;
let ada: User;

beforeAll(async () => {
  llm = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => {
      text += d;
    });
    req.on("end", () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      seen.push({ path: req.url ?? "", authorization: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      if (nextStatus !== 200) {
        res.statusCode = nextStatus;
        nextStatus = 200;
        res.end(JSON.stringify({ error: { message: "model overloaded", type: "server_error" } }));
        return;
      }
      if (req.url === "/v1/images/generations") {
        res.end(JSON.stringify({ created: 1, data: [{ b64_json: PNG.toString("base64") }] }));
        return;
      }
      const messages = body.messages as { content: unknown }[];
      const first = messages[0]!.content;
      const prompt = typeof first === "string" ? first : JSON.stringify(first);
      const content =
        nextContent ??
        (body.response_format
          ? JSON.stringify({ city: "Paris", population: 2_100_000 })
          : `Echo: ${prompt}`);
      nextContent = undefined;
      res.end(JSON.stringify(chatAnswer(String(body.model), content)));
    });
  });
  await new Promise<void>((resolve) => llm.listen(0, "127.0.0.1", resolve));
  llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
  f = await fixture({
    llmUrl,
    llmApiKey: "sk-test",
    llmModel: "llama-default",
    llmModels: { gpt_5_mini: "llama-small", claude_sonnet_4_6: "qwen-large" },
    imageModel: "sd-test",
  });
  ada = await f.user("ada@example.com");
}, 120_000);
afterAll(async () => {
  await f?.close();
  await new Promise<void>((resolve) => llm?.close(() => resolve()));
});

const last = () => seen.at(-1)!;
const SCHEMA = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "number" } },
  required: ["city"],
};

describe("InvokeLLM", () => {
  it("answers the model's text, the model name mapped, through @base44/sdk", async () => {
    const answer = await f.base44(ada).integrations.Core.InvokeLLM({
      prompt: "Say hi",
      model: "gpt_5_mini",
    });
    expect(answer).toBe("Echo: Say hi");
    expect(last()).toEqual({
      path: "/v1/chat/completions",
      authorization: "Bearer sk-test",
      body: { model: "llama-small", messages: [{ role: "user", content: "Say hi" }] },
    });
  });

  it("answers the object response_json_schema describes, asked for as structured output", async () => {
    const answer = await f.base44(ada).integrations.Core.InvokeLLM({
      prompt: "Largest city of France?",
      response_json_schema: SCHEMA,
    });
    expect(answer).toEqual({ city: "Paris", population: 2_100_000 });
    expect(last().body).toEqual({
      model: "llama-default",
      messages: [{ role: "user", content: "Largest city of France?" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "response", schema: SCHEMA, strict: false },
      },
    });
    // Small models wrap JSON in a Markdown fence: still read.
    nextContent = '```json\n{"city":"Lyon"}\n```';
    expect(
      await f
        .fnbase(ada)
        .integrations.Core.InvokeLLM({ prompt: "x", response_json_schema: SCHEMA }),
    ).toEqual({ city: "Lyon" });
  });

  it("uses the default model for names it does not map, and passes temperature", async () => {
    await f.fnbase(ada).integrations.Core.InvokeLLM({
      prompt: "x",
      model: "gemini_3_flash",
      temperature: 0.2,
    });
    expect(last().body).toMatchObject({ model: "llama-default", temperature: 0.2 });
  });

  it("gives the model the app's files: images as data URLs, text inline", async () => {
    const core = f.base44(ada).integrations.Core;
    const image = (await core.UploadFile({
      file: new File([PNG], "dot.png", { type: "image/png" }),
    })) as {
      file_url: string;
    };
    const { file_uri } = (await core.UploadPrivateFile({
      file: new File(["name,qty\ntea,2\n"], "order.csv", { type: "text/csv" }),
    })) as { file_uri: string };
    const { signed_url } = (await core.CreateFileSignedUrl({ file_uri })) as { signed_url: string };
    await core.InvokeLLM({ prompt: "Describe", file_urls: [image.file_url, signed_url] });
    expect(last().body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Describe" },
          {
            type: "image_url",
            image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` },
          },
          { type: "text", text: "File order.csv:\nname,qty\ntea,2\n" },
        ],
      },
    ]);
    await expectError(
      await f.core(
        "InvokeLLM",
        { prompt: "x", file_urls: ["https://elsewhere.example/a.png"] },
        ada,
      ),
      400,
      "BAD_REQUEST",
    );
  });

  it("reports the endpoint's failures and answers that are not JSON as 502, bad input as 400", async () => {
    nextStatus = 500;
    const failed = await expectError(
      await f.core("InvokeLLM", { prompt: "x" }, ada),
      502,
      "UPSTREAM_ERROR",
    );
    expect(failed.error).toBe("The LLM endpoint answered 500: model overloaded");
    nextContent = "Sure! The city is Paris.";
    await expectError(
      await f.core("InvokeLLM", { prompt: "x", response_json_schema: SCHEMA }, ada),
      502,
      "UPSTREAM_ERROR",
    );
    for (const bad of [
      {},
      { prompt: "" },
      { prompt: 3 },
      { prompt: "x", response_json_schema: "s" },
      { prompt: "x", temperature: 9 },
    ]) {
      await expectError(await f.core("InvokeLLM", bad, ada), 400, "BAD_REQUEST");
    }
    await expectError(await f.core("InvokeLLM", { prompt: "x" }), 401, "UNAUTHORIZED");
  });

  it("runs inside a function through npm:@base44/sdk", async () => {
    const res = await f.admin(`/api/apps/${f.appId}/backend-functions/ask`, {
      method: "PUT",
      body: JSON.stringify(
        oneFile(`
import { createClientFromRequest } from "npm:@base44/sdk@0.8.31";
Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const text = await base44.integrations.Core.InvokeLLM({ prompt: "From a function" });
  const data = await base44.asServiceRole.integrations.Core.InvokeLLM({
    prompt: "Structured", response_json_schema: { type: "object", properties: { city: { type: "string" } } },
  });
  return Response.json({ text, data });
});`),
      ),
    });
    expect(res.status).toBe(200);
    const out = await fetch(`${f.url}/api/apps/${f.appId}/functions/ask`, {
      method: "POST",
      headers: { authorization: `Bearer ${ada.token}` },
    });
    expect(await out.json()).toEqual({
      text: "Echo: From a function",
      data: { city: "Paris", population: 2_100_000 },
    });
  }, 60_000);
});

describe("GenerateImage and ExtractDataFromUploadedFile", () => {
  it("stores the generated image as a public file of the app", async () => {
    const { url } = (await f.base44(ada).integrations.Core.GenerateImage({ prompt: "a dot" })) as {
      url: string;
    };
    expect(last()).toMatchObject({
      path: "/v1/images/generations",
      body: { model: "sd-test", prompt: "a dot", n: 1, response_format: "b64_json" },
    });
    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
  });

  it("reads a CSV here into the schema's shape, typed, and other files through the model", async () => {
    const core = f.base44(ada).integrations.Core;
    const { file_url } = (await core.UploadFile({
      file: new File(["item,qty,paid\ntea,2,true\ncake,1,false\n"], "orders.csv", {
        type: "text/csv",
      }),
    })) as { file_url: string };
    const calls = seen.length;
    const schema = {
      type: "object",
      properties: {
        orders: {
          type: "array",
          items: {
            type: "object",
            properties: {
              item: { type: "string" },
              qty: { type: "number" },
              paid: { type: "boolean" },
            },
          },
        },
      },
    };
    expect(await core.ExtractDataFromUploadedFile({ file_url, json_schema: schema })).toEqual({
      status: "success",
      details: null,
      output: {
        orders: [
          { item: "tea", qty: 2, paid: true },
          { item: "cake", qty: 1, paid: false },
        ],
      },
    });
    expect(seen.length).toBe(calls);

    const image = (await core.UploadFile({
      file: new File([PNG], "receipt.png", { type: "image/png" }),
    })) as {
      file_url: string;
    };
    expect(
      await core.ExtractDataFromUploadedFile({ file_url: image.file_url, json_schema: SCHEMA }),
    ).toEqual({
      status: "success",
      details: null,
      output: { city: "Paris", population: 2_100_000 },
    });
    expect(last().body.response_format).toMatchObject({ type: "json_schema" });
    nextContent = "not json";
    expect(
      await core.ExtractDataFromUploadedFile({ file_url: image.file_url, json_schema: SCHEMA }),
    ).toMatchObject({
      status: "error",
      output: null,
    });
  });
});

describe("a server with no LLM and no SMTP relay", () => {
  it("answers 501 INTEGRATION_NOT_CONFIGURED, saying what to set", async () => {
    const bare = await fixture();
    try {
      const bo = await bare.user("bo@example.com");
      for (const [endpoint, params] of [
        ["InvokeLLM", { prompt: "x" }],
        ["GenerateImage", { prompt: "x" }],
        ["SendEmail", { to: bo.email, subject: "x", body: "x" }],
      ] as const) {
        const err = await expectError(
          await bare.core(endpoint, params, bo),
          501,
          "INTEGRATION_NOT_CONFIGURED",
        );
        expect((err as { hint?: string }).hint).toMatch(/FNBASE_(LLM_URL|SMTP_URL)/);
      }
      const invite = await fetch(`${bare.url}/api/apps/${bare.appId}/runtime/users/invite-user`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bo.token}` },
        body: JSON.stringify({ user_email: "new@example.com", role: "user" }),
      });
      await expectError(invite, 501, "INTEGRATION_NOT_CONFIGURED");
    } finally {
      await bare.close();
    }
  });
});
