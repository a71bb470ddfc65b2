import type { AxiosInstance } from "axios";

/**
 * `InvokeLLM`'s parameters (`@base44/sdk` 0.8.50 `integrations.types.d.ts`).
 *
 * @example
 * ```ts
 * const params: InvokeLLMParams = { prompt: "Summarize: ...", response_json_schema: { type: "object" } };
 * ```
 */
export interface InvokeLLMParams {
  /** The prompt text. */
  prompt: string;
  /** A model name; the server maps it to its endpoint's (or uses its default). */
  model?: string;
  /** Asks for web context; fnbase has no search engine and answers without it. */
  add_context_from_internet?: boolean;
  /** A JSON schema: the answer is then the object it describes, else a string. */
  response_json_schema?: object;
  /** Links of files of this app (`UploadFile`, signed links) given to the model. */
  file_urls?: string[];
  /** Sampling temperature, 0 to 2. */
  temperature?: number;
}

/**
 * `SendEmail`'s parameters.
 *
 * @example
 * ```ts
 * const email: SendEmailParams = { to: "ada@example.com", subject: "Hi", body: "<b>Hello</b>" };
 * ```
 */
export interface SendEmailParams {
  /** One address, or several separated by commas. */
  to: string;
  subject: string;
  /** Plain text or HTML. */
  body: string;
  /** The sender's display name; default the app's name. */
  from_name?: string;
}

/**
 * `ExtractDataFromUploadedFile`'s answer.
 *
 * @example
 * ```ts
 * const { status, output }: ExtractDataResult = await Core.ExtractDataFromUploadedFile({ file_url, json_schema });
 * ```
 */
export interface ExtractDataResult {
  status: "success" | "error";
  details: string | null;
  output: unknown;
}

/**
 * The Core integrations (`client.integrations.Core`), as `@base44/sdk` sends them:
 * `POST /api/apps/{appId}/integration-endpoints/Core/{name}`, JSON, or multipart when a value
 * is a `File`. Each resolves with the server's JSON body and rejects with an `ApiError`.
 *
 * @example
 * ```ts
 * const { file_url } = await client.integrations.Core.UploadFile({ file });
 * const summary = await client.integrations.Core.InvokeLLM({ prompt: "Summarize this", file_urls: [file_url] });
 * ```
 */
export interface CoreIntegrations {
  /**
   * One answer of the server's LLM: a string, or, with `response_json_schema`, an object.
   *
   * @example
   * ```ts
   * const { city } = (await Core.InvokeLLM({ prompt, response_json_schema: schema })) as { city: string };
   * ```
   */
  InvokeLLM(params: InvokeLLMParams): Promise<string | object>;
  /**
   * An image from the server's image model, stored as a public file.
   *
   * @example
   * ```ts
   * const { url } = await Core.GenerateImage({ prompt: "a lighthouse at dusk" });
   * ```
   */
  GenerateImage(params: { prompt: string }): Promise<{ url: string }>;
  /**
   * Uploads a file; answers its public link.
   *
   * @example
   * ```ts
   * const { file_url } = await Core.UploadFile({ file: input.files[0] });
   * ```
   */
  UploadFile(params: { file: File }): Promise<{ file_url: string }>;
  /**
   * Uploads a private file; answers the `file_uri` to sign links for.
   *
   * @example
   * ```ts
   * const { file_uri } = await Core.UploadPrivateFile({ file });
   * ```
   */
  UploadPrivateFile(params: { file: File }): Promise<{ file_uri: string }>;
  /**
   * A link to a private file that works `expires_in` seconds (default 300).
   *
   * @example
   * ```ts
   * const { signed_url } = await Core.CreateFileSignedUrl({ file_uri, expires_in: 60 });
   * ```
   */
  CreateFileSignedUrl(params: {
    file_uri: string;
    expires_in?: number;
  }): Promise<{ signed_url: string }>;
  /**
   * Sends an email through the server's SMTP relay.
   *
   * @example
   * ```ts
   * await Core.SendEmail({ to: user.email, subject: "Welcome", body: "<h1>Hi</h1>" });
   * ```
   */
  SendEmail(params: SendEmailParams): Promise<{ success: boolean; message_id: string }>;
  /**
   * Reads an uploaded file into `json_schema` (CSV and JSON here, others through the LLM).
   *
   * @example
   * ```ts
   * const { output } = await Core.ExtractDataFromUploadedFile({ file_url, json_schema });
   * ```
   */
  ExtractDataFromUploadedFile(params: {
    file_url: string;
    json_schema: object;
  }): Promise<ExtractDataResult>;
}

/** An endpoint of an integration package: named parameters in, the server's JSON out. */
export type IntegrationEndpoint = (params: Record<string, unknown> | FormData) => Promise<unknown>;

/**
 * `client.integrations`: `Core`, `custom.call(slug, operationId, params)`, and any other
 * package by name (`client.integrations.Stripe.CreateCheckout(...)`), as `@base44/sdk` routes
 * them. fnbase serves Core and answers the others 501 NOT_AVAILABLE.
 *
 * @example
 * ```ts
 * await client.integrations.Core.SendEmail({ to, subject, body });
 * ```
 */
export type IntegrationsModule = {
  Core: CoreIntegrations;
  custom: {
    call(
      slug: string,
      operationId: string,
      params?: { pathParams?: object; queryParams?: object; [key: string]: unknown },
    ): Promise<unknown>;
  };
} & { [packageName: string]: Record<string, IntegrationEndpoint> };

/**
 * The body `@base44/sdk` sends for `params`: multipart when `params` is a `FormData` or holds a
 * `File` (each file with its name, objects as JSON, other values as strings), else JSON.
 */
function encode(params: unknown): { body: unknown; contentType: string } {
  const record = params as Record<string, unknown>;
  if (
    (typeof FormData !== "undefined" && params instanceof FormData) ||
    (params &&
      typeof File !== "undefined" &&
      Object.values(record).some((value) => value instanceof File))
  ) {
    if (params instanceof FormData) return { body: params, contentType: "multipart/form-data" };
    const form = new FormData();
    for (const [key, value] of Object.entries(record)) {
      if (value instanceof File) form.append(key, value, value.name);
      else if (typeof value === "object" && value !== null) form.append(key, JSON.stringify(value));
      else form.append(key, String(value));
    }
    return { body: form, contentType: "multipart/form-data" };
  }
  return { body: params, contentType: "application/json" };
}

/** What an integrations module needs from its client. */
export interface IntegrationsOptions {
  /** Resolves with bodies, rejects with `ApiError`. */
  api: AxiosInstance;
  appId: string;
  /** The auth headers to send now. */
  auth: () => Record<string, string>;
}

/** Creates the integrations module of one client and role. */
export function createIntegrationsModule(options: IntegrationsOptions): IntegrationsModule {
  const { api, appId, auth } = options;
  const app = `/apps/${encodeURIComponent(appId)}`;
  const call = (pkg: string, endpoint: string) => async (params: unknown) => {
    if (typeof params === "string") {
      throw new Error(
        `Integration ${endpoint} must receive an object with named parameters, received: ${params}`,
      );
    }
    const { body, contentType } = encode(params);
    const path =
      pkg === "Core"
        ? `${app}/integration-endpoints/Core/${endpoint}`
        : `${app}/integration-endpoints/installable/${pkg}/integration-endpoints/${endpoint}`;
    return await api.post(path, body, { headers: { "Content-Type": contentType, ...auth() } });
  };
  const custom = {
    async call(
      slug: string,
      operationId: string,
      params?: { pathParams?: object; queryParams?: object; [key: string]: unknown },
    ): Promise<unknown> {
      if (!slug?.trim()) throw new Error("Integration slug is required and cannot be empty");
      if (!operationId?.trim()) throw new Error("Operation ID is required and cannot be empty");
      const { pathParams, queryParams, ...rest } = params ?? {};
      const body = {
        ...rest,
        ...(pathParams && { path_params: pathParams }),
        ...(queryParams && { query_params: queryParams }),
      };
      return await api.post(`${app}/integrations/custom/${slug}/${operationId}`, body, {
        headers: auth(),
      });
    },
  };
  const skip = (name: string | symbol): name is symbol =>
    typeof name !== "string" || name === "then" || name.startsWith("_");
  return new Proxy({} as IntegrationsModule, {
    get(_target, pkg) {
      if (skip(pkg)) return undefined;
      if (pkg === "custom") return custom;
      return new Proxy(
        {},
        { get: (_t, endpoint) => (skip(endpoint) ? undefined : call(pkg, endpoint)) },
      );
    },
  });
}
