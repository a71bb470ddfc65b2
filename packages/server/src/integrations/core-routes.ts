import { FnbaseError } from "@fnbase/shared";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { readJson } from "../api/errors.js";
import type { Actor } from "../entities/index.js";
import { actorOf, appOf } from "../identity/caller.js";
import type { IntegrationDeps } from "./deps.js";
import { parseRecipients } from "./email/mailer.js";
import { extractData } from "./llm/extract-data.js";
import { generateImage } from "./llm/generate-image.js";
import { invokeLlm } from "./llm/invoke-llm.js";

/** Largest JSON body of a Core endpoint, in bytes (a prompt with context, an HTML email). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** Core endpoints Base44 has that fnbase does not serve (each a 501 naming it). */
const UNSERVED = new Set(["SendSMS"]);

/** The caller, who must be a user of the app or its service role (anonymous calls are 401). */
async function signedIn(d: IntegrationDeps, appId: string, c: Context): Promise<Actor> {
  const actor = await actorOf(d.identity, appId, (name) => c.req.header(name));
  if (actor.kind === "anonymous") {
    throw new FnbaseError(
      "UNAUTHORIZED",
      `Sign in first: Core.${c.req.param("endpoint")} needs a user or the service role`,
      { hint: "Log in with auth.loginViaEmailPassword, or call it from a function" },
    );
  }
  return actor;
}

async function params(c: Context): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FnbaseError("BAD_REQUEST", "The parameters must be a JSON object", {
      hint: "Call the integration with an object of named parameters",
    });
  }
  return body as Record<string, unknown>;
}

/**
 * `SendEmail` `{ to, subject, body, from_name? }`. The service role may write to anyone; a user
 * only to users of the app (Base44's "to registered users"), so a signed-in stranger cannot
 * use the app's relay to mail the world. `from_name` defaults to the app's name.
 */
async function sendEmail(
  d: IntegrationDeps,
  appId: string,
  actor: Actor,
  p: Record<string, unknown>,
): Promise<unknown> {
  const { subject, body } = p;
  if (typeof subject !== "string" || typeof body !== "string") {
    throw new FnbaseError("BAD_REQUEST", "SendEmail needs a string subject and body");
  }
  if (p.from_name !== undefined && p.from_name !== null && typeof p.from_name !== "string") {
    throw new FnbaseError("BAD_REQUEST", '"from_name" must be a string');
  }
  const to = parseRecipients(p.to);
  if (actor.kind === "user") {
    for (const address of to) {
      if (!(await d.identity.users.byEmail(appId, address))) {
        throw new FnbaseError(
          "FORBIDDEN",
          `Cannot email ${address}: users may only email users of the app`,
          { hint: "Send it from a function with base44.asServiceRole.integrations.Core.SendEmail" },
        );
      }
    }
  }
  const fromName = typeof p.from_name === "string" ? p.from_name : d.catalog.app(appId)?.name;
  const { messageId } = await d.mailer.send(appId, {
    to: to.join(", "),
    subject,
    body,
    ...(fromName ? { fromName } : {}),
  });
  return { success: true, message_id: messageId };
}

/**
 * The integration routes `@base44/sdk` 0.8.50 calls (`dist/modules/integrations.js`):
 * `POST /api/apps/{appId}/integration-endpoints/Core/{endpoint}` (JSON, or multipart for the
 * uploads), and the installable-package and custom-integration routes, which answer 501.
 *
 * @example
 * coreRoutes(api, deps);
 */
export function coreRoutes(api: Hono, d: IntegrationDeps): void {
  const base = "/api/apps/:appId/integration-endpoints";
  const json = bodyLimit({
    maxSize: MAX_JSON_BYTES,
    onError: () => {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `Parameters too large: at most ${MAX_JSON_BYTES} bytes`,
      );
    },
  });

  api.post(`${base}/Core/:endpoint`, async (c, next) => {
    const endpoint = c.req.param("endpoint");
    if (endpoint === "UploadFile" || endpoint === "UploadPrivateFile") {
      const app = appOf(d.identity, c);
      const actor = await signedIn(d, app.id, c);
      const visibility = endpoint === "UploadFile" ? "public" : "private";
      const row = await d.files.upload(app.id, actor, visibility, c.req.raw);
      return c.json(
        visibility === "public"
          ? { file_url: d.files.publicUrl(row) }
          : { file_uri: d.files.fileUri(row) },
      );
    }
    return await json(c, next);
  });

  api.post(`${base}/Core/:endpoint`, async (c) => {
    const app = appOf(d.identity, c);
    const endpoint = c.req.param("endpoint");
    const actor = await signedIn(d, app.id, c);
    const p = await params(c);
    switch (endpoint) {
      case "CreateFileSignedUrl":
        return c.json({ signed_url: await d.files.signedUrl(app.id, actor, p) });
      case "SendEmail":
        return c.json(await sendEmail(d, app.id, actor, p));
      case "InvokeLLM":
        return c.json((await invokeLlm(d.llm, d.files, app.id, actor, p, d.log)) as object);
      case "GenerateImage":
        return c.json(await generateImage(d.llm, d.files, app.id, actor, p));
      case "ExtractDataFromUploadedFile":
        return c.json(await extractData(d.llm, d.files, app.id, actor, p));
    }
    if (UNSERVED.has(endpoint)) {
      throw new FnbaseError("NOT_AVAILABLE", `Core.${endpoint} is not available on fnbase`, {
        hint: "See docs/COMPATIBILITY.md for the integrations fnbase serves",
      });
    }
    throw new FnbaseError("NOT_FOUND", `No such Core integration: ${endpoint}`);
  });

  const packages = (what: string) => async (c: Context) => {
    appOf(d.identity, c);
    throw new FnbaseError("NOT_AVAILABLE", `${what} are not available on fnbase`, {
      hint: "Call the service from a function with its own API key (a secret); Core integrations are served",
    });
  };
  api.post(`${base}/installable/*`, packages("Installable integration packages"));
  api.post("/api/apps/:appId/integrations/custom/*", packages("Custom integrations"));
}
