/**
 * Entity schemas as TypeScript types, for `EntityTypeRegistry`. Covers the JSON-schema subset
 * Base44 entity files use (`core/resources/entity/schema.ts` of the Base44 CLI 0.1.18):
 * `string`, `number`, `integer`, `boolean`, `null`, `array` with `items`, `object` with
 * `properties` and `required`, `enum` (a union of its literals, plus `null` when `type` allows
 * it), and `type` arrays (a union). An object without `properties` is `Record<string, unknown>`.
 * Anything else (`$ref`, an unknown `type`, no `type`) is `unknown`. Formats (`date`,
 * `email`, ...) stay `string`: the wire carries strings.
 *
 * Written here rather than with `json-schema-to-typescript` (what the Base44 CLI uses): that
 * library brings Prettier and a `$ref` resolver for a job of a few dozen lines, and it emits
 * named interfaces, which dotted entity names (`commerce.Cart`) cannot be.
 */

/** Deeper nesting than this is typed `unknown` (entity files are hand-written, never deep). */
const MAX_DEPTH = 32;

/**
 * The TypeScript type of one entity: an object type literal of its properties, laid out over
 * lines and indented by `indent` spaces (the closing brace included).
 *
 * @example
 * entityType({ name: "Task", properties: { title: { type: "string" }, done: { type: "boolean" } }, required: ["title"] }, 0);
 * // "{\n  title: string;\n  done?: boolean;\n}"
 */
export function entityType(schema: Record<string, unknown>, indent: number): string {
  return objectType(schema, indent, 0);
}

/**
 * A property key as TypeScript needs it: bare when it is an identifier, else quoted.
 *
 * @example
 * propertyKey("title"); // "title"
 * propertyKey("due-date"); // '"due-date"'
 * propertyKey("commerce.Cart"); // '"commerce.Cart"'
 */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function typeOf(schema: unknown, indent: number, depth: number): string {
  if (!isObject(schema) || depth > MAX_DEPTH) return "unknown";
  const { type } = schema;
  const types = Array.isArray(type) ? type : [type];
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const literals = schema.enum.map(literal);
    return union(types.includes("null") ? [...literals, "null"] : literals);
  }
  const mapped = types.map((t) => single(t, schema, indent, depth));
  return mapped.length === 0 ? "unknown" : union(mapped);
}

function single(
  type: unknown,
  schema: Record<string, unknown>,
  indent: number,
  depth: number,
): string {
  switch (type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      if (schema.items === undefined) return "unknown[]";
      const item = typeOf(schema.items, indent, depth + 1);
      return /^[\w.[\]"]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case "object":
      return objectType(schema, indent, depth + 1);
    default:
      return "unknown";
  }
}

function objectType(schema: Record<string, unknown>, indent: number, depth: number): string {
  const properties = isObject(schema.properties) ? Object.entries(schema.properties) : [];
  if (properties.length === 0) return "Record<string, unknown>";
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : [],
  );
  const pad = " ".repeat(indent + 2);
  const lines = properties.map(([key, property]) => {
    const doc = isObject(property) ? docComment(property.description, pad) : "";
    const optional = required.has(key) ? "" : "?";
    return `${doc}${pad}${propertyKey(key)}${optional}: ${typeOf(property, indent + 2, depth)};`;
  });
  return `{\n${lines.join("\n")}\n${" ".repeat(indent)}}`;
}

function docComment(description: unknown, pad: string): string {
  if (typeof description !== "string" || description.trim() === "") return "";
  const text = description
    .trim()
    .replaceAll("*/", "*\\/")
    .replace(/\s*\n\s*/g, " ");
  return `${pad}/** ${text} */\n`;
}

function literal(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return "unknown";
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.includes("unknown") ? "unknown" : unique.join(" | ");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
