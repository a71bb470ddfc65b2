import { FnbaseError } from "@fnbase/shared";
import { parse } from "csv-parse/sync";
import type { Actor } from "../../entities/index.js";
import type { FileService } from "../files/file-service.js";
import { fileParts, isTextType } from "./file-parts.js";
import { parseJsonAnswer } from "./invoke-llm.js";
import type { LlmClient } from "./openai-client.js";

/** What `ExtractDataFromUploadedFile` answers (the shape real apps read). */
export interface ExtractResult {
  status: "success" | "error";
  details: string | null;
  output: unknown;
}

const MAX_LOCAL_BYTES = 20 * 1024 * 1024;

type Schema = { type?: unknown; properties?: Record<string, Schema>; items?: Schema };

/** A CSV cell as the type its column's schema declares (number, integer, boolean), else text. */
function cell(value: string, schema: Schema | undefined): unknown {
  const t = schema?.type;
  if (
    (t === "number" || t === "integer") &&
    value.trim() !== "" &&
    Number.isFinite(Number(value))
  ) {
    return Number(value);
  }
  if (t === "boolean" && /^(true|false)$/i.test(value.trim()))
    return value.trim().toLowerCase() === "true";
  return value;
}

/**
 * The rows of a CSV shaped by `schema`: an array schema gets the rows; an object schema with
 * an array property gets `{ <that property>: rows }`; cells take their column's declared type.
 */
export function csvOutput(text: string, schema: Schema): unknown {
  const records = parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const arrayProp =
    schema.type === "object"
      ? Object.entries(schema.properties ?? {}).find(([, s]) => s.type === "array")
      : undefined;
  const items = (arrayProp ? arrayProp[1].items : schema.items)?.properties;
  const rows = records.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cell(v, items?.[k])])),
  );
  return arrayProp ? { [arrayProp[0]]: rows } : rows;
}

/**
 * `Core.ExtractDataFromUploadedFile` `{ file_url, json_schema }`: CSV and JSON files are read
 * here, without a model; any other file (an image, a text) goes to the LLM endpoint with the
 * schema as structured output. Answers `{ status: "success", details: null, output }`, or
 * `{ status: "error", details }` when the file cannot be read into the schema.
 */
export async function extractData(
  llm: LlmClient,
  files: FileService,
  appId: string,
  actor: Actor,
  params: Record<string, unknown>,
): Promise<ExtractResult> {
  const schema = params.json_schema;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new FnbaseError("BAD_REQUEST", "Invalid json_schema: a JSON schema object");
  }
  const row = await files.resolveLink(appId, params.file_url);
  const csv = row.content_type === "text/csv" || row.name.toLowerCase().endsWith(".csv");
  const json = row.content_type === "application/json";
  try {
    if (csv || json) {
      const text = (await files.read(row, MAX_LOCAL_BYTES)).toString("utf8");
      const output = csv ? csvOutput(text, schema as Schema) : JSON.parse(text);
      return { status: "success", details: null, output };
    }
    if (!row.content_type.startsWith("image/") && !isTextType(row.content_type)) {
      return { status: "error", details: `Cannot read a ${row.content_type} file`, output: null };
    }
    const parts = await fileParts(files, appId, actor, [params.file_url]);
    const content = await llm.chat({
      model: llm.model(),
      messages: [
        {
          role: "user",
          content: [
            {
              type: "text",
              text: "Extract the data of this file as JSON matching the given schema. Answer with the JSON only.",
            },
            ...parts,
          ],
        },
      ],
      jsonSchema: schema,
    });
    return { status: "success", details: null, output: parseJsonAnswer(content) };
  } catch (err) {
    if (err instanceof FnbaseError && err.status !== 502) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { status: "error", details: message, output: null };
  }
}
