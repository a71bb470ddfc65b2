import { FnbaseError, type Logger } from "@fnbase/shared";

/** A part of a chat message's content (OpenAI Chat Completions). */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } };

/** One chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ContentPart[];
}

/** What {@link LlmClient} is configured with (see `ServerOptions`). */
export interface LlmOptions {
  url: string | undefined;
  apiKey: string | undefined;
  model: string | undefined;
  models: Record<string, string>;
  imageModel: string | undefined;
  timeoutMs: number;
  log: Logger;
}

const notConfigured = (what: string, hint: string) =>
  new FnbaseError("INTEGRATION_NOT_CONFIGURED", `${what} is not configured on this server`, {
    hint,
  });

/**
 * A client of the OpenAI-compatible endpoint the operator configured (`llmUrl`: OpenAI,
 * Ollama's `/v1`, llama.cpp's server, vLLM...), speaking the Chat Completions and Images wire
 * formats with `fetch`: one JSON POST each, no streaming, no retries (the caller decides). No
 * endpoint: 501 INTEGRATION_NOT_CONFIGURED; the endpoint failing or answering something else
 * than the format: 502 UPSTREAM_ERROR with its message.
 *
 * @example
 * const llm = new LlmClient({ url: "http://localhost:11434/v1", model: "llama3.2", models: {}, ... });
 * const text = await llm.chat({ model: llm.model(), messages: [{ role: "user", content: "Hi" }] });
 */
export class LlmClient {
  readonly #o: LlmOptions;

  constructor(options: LlmOptions) {
    this.#o = options;
  }

  #url(): string {
    if (!this.#o.url) {
      throw notConfigured(
        "The LLM",
        "The operator sets an OpenAI-compatible endpoint: FNBASE_LLM_URL (or fnbase server --llm-url)",
      );
    }
    return this.#o.url;
  }

  /**
   * The endpoint's model for `name` (a Base44 name such as `gpt_5_mini`, or the endpoint's own):
   * its mapping, else the default model, else `name` itself.
   */
  model(name?: unknown): string {
    this.#url();
    if (typeof name === "string" && name !== "") {
      const mapped = this.#o.models[name];
      if (mapped) return mapped;
      if (this.#o.model) return this.#o.model;
      return name;
    }
    if (!this.#o.model) {
      throw notConfigured(
        "A default LLM model",
        "Set FNBASE_LLM_MODEL (or fnbase server --llm-model), or name a model in the call",
      );
    }
    return this.#o.model;
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const url = `${this.#url()}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...(this.#o.apiKey ? { authorization: `Bearer ${this.#o.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === "TimeoutError";
      throw new FnbaseError(
        "UPSTREAM_ERROR",
        timedOut
          ? `The LLM endpoint did not answer within ${this.#o.timeoutMs} ms`
          : `Cannot reach the LLM endpoint: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const message =
        (json as { error?: { message?: unknown } } | undefined)?.error?.message ??
        text.slice(0, 300);
      this.#o.log.warn({ status: res.status, path }, "LLM endpoint error");
      throw new FnbaseError(
        "UPSTREAM_ERROR",
        `The LLM endpoint answered ${res.status}: ${String(message)}`,
      );
    }
    if (json === undefined) {
      throw new FnbaseError("UPSTREAM_ERROR", "The LLM endpoint answered something else than JSON");
    }
    return json;
  }

  /**
   * `POST {url}/chat/completions`; answers the first choice's message content. `jsonSchema`
   * asks for structured output (`response_format: { type: "json_schema" }`).
   */
  async chat(request: {
    model: string;
    messages: ChatMessage[];
    jsonSchema?: object;
    temperature?: number;
  }): Promise<string> {
    const body: Record<string, unknown> = { model: request.model, messages: request.messages };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.jsonSchema) {
      body.response_format = {
        type: "json_schema",
        json_schema: { name: "response", schema: request.jsonSchema, strict: false },
      };
    }
    const answer = (await this.#post("/chat/completions", body)) as {
      choices?: { message?: { content?: unknown } }[];
    };
    const content = answer.choices?.[0]?.message?.content;
    if (typeof content !== "string") {
      throw new FnbaseError("UPSTREAM_ERROR", "The LLM endpoint answered without a message");
    }
    return content;
  }

  /** `POST {url}/images/generations` with the image model; answers the image's bytes or URL. */
  async image(prompt: string): Promise<{ bytes: Buffer } | { url: string }> {
    this.#url();
    if (!this.#o.imageModel) {
      throw notConfigured(
        "Image generation",
        "Set FNBASE_IMAGE_MODEL (or fnbase server --image-model) to a model of the LLM endpoint",
      );
    }
    const answer = (await this.#post("/images/generations", {
      model: this.#o.imageModel,
      prompt,
      n: 1,
      response_format: "b64_json",
    })) as { data?: { b64_json?: unknown; url?: unknown }[] };
    const first = answer.data?.[0];
    if (typeof first?.b64_json === "string")
      return { bytes: Buffer.from(first.b64_json, "base64") };
    if (typeof first?.url === "string" && /^https?:\/\//.test(first.url)) return { url: first.url };
    throw new FnbaseError("UPSTREAM_ERROR", "The image endpoint answered without an image");
  }
}
