import { FnbaseError } from "@fnbase/shared";
import { parse as parseCsv } from "csv-parse/sync";
import type { Json } from "../query/types.js";
import type { EntitySchema, PropertySchema } from "../schema/types.js";
import type { FlatRecord } from "./record-shape.js";
import { type EntityCall, type EntityService, MAX_BULK } from "./service.js";

/** The answer of `POST /import` (`@base44/sdk` 0.8.50 `ImportResult`). */
export interface ImportResult {
  status: "success" | "error";
  details: string | null;
  output: FlatRecord[] | null;
}

/** A CSV cell as the value its property declares (the first type of a union that fits). */
function cellValue(cell: string, prop: PropertySchema | undefined, field: string): Json {
  if (cell === "") return null;
  const types =
    prop?.type === undefined ? ["string"] : Array.isArray(prop.type) ? prop.type : [prop.type];
  for (const t of types) {
    if (t === "string") return cell;
    if ((t === "number" || t === "integer") && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(cell.trim())) {
      return Number(cell);
    }
    if (t === "boolean" && /^(true|false)$/i.test(cell.trim()))
      return cell.trim().toLowerCase() === "true";
    if (t === "array" || t === "object") {
      try {
        return JSON.parse(cell) as Json;
      } catch {
        // try the next type
      }
    }
  }
  throw new FnbaseError(
    "VALIDATION_FAILED",
    `Error in field ${field}: cannot read ${JSON.stringify(cell.slice(0, 50))} as ${types.join(" or ")}`,
    { field },
  );
}

/**
 * Reads an uploaded file's records: a JSON array of objects (or `{ "records": [...] }`), or CSV
 * with a header row naming the fields (cells read as the schema's declared types; an empty
 * cell is null). `csv-parse` does the CSV grammar (quotes, embedded newlines, BOMs).
 *
 * @throws {FnbaseError} BAD_REQUEST for a file that is neither.
 */
export function readImportFile(schema: EntitySchema, name: string, text: string): unknown[] {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  if (name.toLowerCase().endsWith(".json") || trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Cannot import ${name}: not valid JSON: ${(err as Error).message}`,
      );
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown }).records;
    if (!Array.isArray(list)) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Cannot import ${name}: expected a JSON array of records`,
      );
    }
    return list;
  }
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(trimmed, {
      columns: true,
      skip_empty_lines: true,
      bom: true,
      relax_column_count: false,
    });
  } catch (err) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Cannot import ${name}: not valid CSV: ${(err as Error).message}`,
      {
        hint: "Send a CSV file with a header row of field names, or a JSON array",
      },
    );
  }
  return rows.map((row) => {
    const out: Record<string, Json> = {};
    for (const [k, cell] of Object.entries(row)) {
      if (!Object.hasOwn(schema.properties, k)) continue;
      out[k] = cellValue(cell, schema.properties[k], k);
    }
    return out;
  });
}

/**
 * `POST /import`: creates every record of an uploaded CSV or JSON file, or none, with the
 * entity's schema and access rules applied as for `bulkCreate`.
 */
export async function importRecords(
  svc: EntityService,
  call: EntityCall,
  file: { name: string; text: string },
): Promise<ImportResult> {
  const s = svc.scope(call);
  const records = readImportFile(s.schema, file.name, file.text);
  if (records.length > MAX_BULK) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Too many records in one import: ${records.length}, at most ${MAX_BULK}`,
    );
  }
  const output = JSON.parse(await svc.bulkCreate(call, records)) as FlatRecord[];
  return {
    status: "success",
    details: `Imported ${output.length} ${s.schema.name} record(s) with access rules applied`,
    output,
  };
}
