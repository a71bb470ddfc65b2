import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Actor } from "../../entities/index.js";
import type { FileService } from "../files/file-service.js";
import { fileParts } from "./file-parts.js";
import type { ChatMessage, LlmClient } from "./openai-client.js";

const MAX_PROMPT_CHARS = 1024 * 1024;

/**
 * Reads a model's JSON answer: the content as JSON, or the JSON inside a Markdown code fence
 * (small models often add one); 502 when neither parses.
 */
export function parseJsonAnswer(content: string): unknown {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(content);
  try {
    return JSON.parse(fenced ? fenced[1]! : content);
  } catch {
    throw new FnbaseError(
      "UPSTREAM_ERROR",
      `The model's answer is not the JSON the schema asked for: ${JSON.stringify(content.slice(0, 200))}`,
      { hint: "Use a model that supports structured output (response_format json_schema)" },
    );
  }
}

/**
 * `Core.InvokeLLM` `{ prompt, model?, response_json_schema?, file_urls?, temperature?,
 * add_context_from_internet? }` (`@base44/sdk` 0.8.50 `integrations.types.d.ts`): one chat
 * completion. Answers the model's text, or, with `response_json_schema`, the object it
 * describes (asked for as structured output). `add_context_from_internet` has no search engine
 * behind it here: the call goes on without one, and the server log says so.
 */
export async function invokeLlm(
  llm: LlmClient,
  files: FileService,
  appId: string,
  actor: Actor,
  params: Record<string, unknown>,
  log: Logger,
): Promise<unknown> {
  const { prompt, response_json_schema: schema, temperature } = params;
  if (typeof prompt !== "string" || prompt === "" || prompt.length > MAX_PROMPT_CHARS) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Invalid prompt: a non-empty string of at most ${MAX_PROMPT_CHARS} characters`,
    );
  }
  if (
    schema !== undefined &&
    schema !== null &&
    (typeof schema !== "object" || Array.isArray(schema))
  ) {
    throw new FnbaseError("BAD_REQUEST", "Invalid response_json_schema: a JSON schema object");
  }
  if (
    temperature !== undefined &&
    (typeof temperature !== "number" || !(temperature >= 0 && temperature <= 2))
  ) {
    throw new FnbaseError("BAD_REQUEST", `Invalid temperature: ${JSON.stringify(temperature)}`);
  }
  const model = llm.model(params.model);
  if (params.add_context_from_internet === true) {
    log.warn({ app: appId }, "InvokeLLM: add_context_from_internet asked for, no web search here");
  }
  const attachments = await fileParts(files, appId, actor, params.file_urls);
  const messages: ChatMessage[] = [
    {
      role: "user",
      content: attachments.length ? [{ type: "text", text: prompt }, ...attachments] : prompt,
    },
  ];
  const content = await llm.chat({
    model,
    messages,
    ...(schema ? { jsonSchema: schema as object } : {}),
    ...(typeof temperature === "number" ? { temperature } : {}),
  });
  return schema ? parseJsonAnswer(content) : content;
}
