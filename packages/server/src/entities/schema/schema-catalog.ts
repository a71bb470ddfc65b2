import { FnbaseError } from "@fnbase/shared";
import type { EntityStore, SchemaSyncResult } from "../../store/index.js";
import type { FieldPath } from "../query/types.js";
import { isOpenRule, walkRule } from "../rules/rule-syntax.js";
import { checkEntitySchema, MAX_ENTITIES, normalizeSchema } from "./check-schema.js";
import {
  BUILTIN_FIELDS,
  type EntitySchema,
  type PropertySchema,
  type RuleValue,
  USER_ENTITY,
} from "./types.js";

/** The User entity's schema when the app has pushed none: no custom fields declared. */
const DEFAULT_USER: EntitySchema = {
  name: USER_ENTITY,
  type: "object",
  properties: {},
  required: [],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** What a schema says a field holds, for the SQL compiler (`TableShape.kindOf`). */
export function kindOf(schema: EntitySchema, path: FieldPath): "scalar" | "array" | "unknown" {
  const [first] = path;
  if (path.length === 1 && (BUILTIN_FIELDS as readonly string[]).includes(first!)) return "scalar";
  let prop: PropertySchema | undefined = schema.properties[first!];
  for (const seg of path.slice(1)) {
    if (!prop) return "unknown";
    prop = /^\d+$/.test(seg) && prop.items ? prop.items : prop.properties?.[seg];
  }
  const t = prop?.type;
  if (t === "array") return "array";
  if (t === "string" || t === "number" || t === "integer" || t === "boolean") return "scalar";
  return "unknown";
}

/** The record fields a rule's conditions read (not built-ins: those are indexed anyway). */
function ruleFields(rule: RuleValue | undefined, into: Set<string>): void {
  if (isOpenRule(rule) || typeof rule === "boolean" || !isObject(rule)) return;
  walkRule<null>(rule, {
    field: (key) => {
      const field = key.startsWith("data.") ? key.slice(5) : key;
      if (!(BUILTIN_FIELDS as readonly string[]).includes(field)) into.add(field);
      return null;
    },
    user: () => null,
    and: () => null,
    or: () => null,
    nor: () => null,
  });
}

/**
 * The fields a schema's records are indexed on besides the built-ins: those it marks
 * (`index: true`, or listed in `indexes`; a list of several fields indexes each one) and those
 * its access rules read, since every read of a restricted entity filters on them.
 */
export function indexedPaths(schema: EntitySchema): FieldPath[] {
  const fields = new Set<string>();
  for (const [k, p] of Object.entries(schema.properties)) if (p.index === true) fields.add(k);
  for (const i of schema.indexes ?? []) for (const f of Array.isArray(i) ? i : [i]) fields.add(f);
  for (const rule of Object.values(schema.rls ?? {})) ruleFields(rule, fields);
  return [...fields].sort().map((f) => f.split("."));
}

/**
 * The entity schemas of every app, kept in memory in front of the store (as the catalog keeps
 * apps), so a request finds its schema without store I/O. Every change goes through
 * {@link EntitySchemas.sync}.
 */
export class EntitySchemas {
  readonly #store: EntityStore;
  /** Checked and normalised, for requests. */
  readonly #byApp = new Map<string, Map<string, EntitySchema>>();
  /** As pushed, for `GET entity-schemas` (a pull gives back the file that was pushed). */
  readonly #pushed = new Map<string, Map<string, Record<string, unknown>>>();

  private constructor(store: EntityStore) {
    this.#store = store;
  }

  /** Loads the live schemas of `appIds`. */
  static async load(store: EntityStore, appIds: string[]): Promise<EntitySchemas> {
    const s = new EntitySchemas(store);
    for (const id of appIds) await s.#reload(id);
    return s;
  }

  #synced: (appId: string) => Promise<void> = async () => {};

  /** Runs `cb` after every sync, before its caller goes on (the cluster's bus). */
  onSync(cb: (appId: string) => Promise<void>): void {
    this.#synced = cb;
  }

  /** Reads an app's schemas again from the store (another node pushed them). */
  reload(appId: string): Promise<void> {
    return this.#reload(appId);
  }

  async #reload(appId: string): Promise<void> {
    const m = new Map<string, EntitySchema>();
    const pushed = new Map<string, Record<string, unknown>>();
    for (const row of await this.#store.listSchemas(appId)) {
      m.set(row.name, normalizeSchema(row.name, row.schema));
      pushed.set(row.name, row.schema);
    }
    this.#byApp.set(appId, m);
    this.#pushed.set(appId, pushed);
  }

  /** The live schema of an entity; `User` always has one. */
  get(appId: string, name: string): EntitySchema | undefined {
    return this.#byApp.get(appId)?.get(name) ?? (name === USER_ENTITY ? DEFAULT_USER : undefined);
  }

  /** True when the app pushed a User schema (then its declared fields are the only custom ones). */
  hasUserSchema(appId: string): boolean {
    return this.#byApp.get(appId)?.has(USER_ENTITY) ?? false;
  }

  /**
   * The live schema of an entity, or a 404.
   *
   * @throws {FnbaseError} ENTITY_NOT_FOUND.
   */
  require(appId: string, name: string): EntitySchema {
    const s = this.get(appId, name);
    if (!s) {
      throw new FnbaseError("ENTITY_NOT_FOUND", `Entity not found: "${name}"`, {
        hint: "Entity names are case-sensitive; push the app's schemas with `fnbase entities push` (or `base44 entities push`)",
      });
    }
    return s;
  }

  /**
   * The app's live schemas as they were pushed (with `name`), by name; the User schema only
   * when the app pushed one.
   */
  list(appId: string): Record<string, unknown>[] {
    const m = this.#pushed.get(appId) ?? new Map<string, Record<string, unknown>>();
    return [...m.keys()].sort().map((name) => m.get(name)!);
  }

  /**
   * Makes the app's schema exactly `entityNameToSchema` (the body of `PUT entity-schemas`): every
   * schema is checked first, and nothing changes when one is wrong.
   *
   * @throws {FnbaseError} INVALID_SCHEMA.
   */
  async sync(appId: string, entityNameToSchema: unknown): Promise<SchemaSyncResult> {
    if (!isObject(entityNameToSchema)) {
      throw new FnbaseError("INVALID_SCHEMA", '"entityNameToSchema" must be an object', {
        hint: 'Send { "entityNameToSchema": { "Task": { "name": "Task", "properties": { ... } } } }',
      });
    }
    const entries = Object.entries(entityNameToSchema);
    if (entries.length > MAX_ENTITIES) {
      throw new FnbaseError("INVALID_SCHEMA", `Too many entities: at most ${MAX_ENTITIES} per app`);
    }
    // Stored as pushed (with its name), so a pull gives back the same file; used normalised.
    const result = await this.#store.syncSchemas(
      appId,
      entries.map(([k, raw]) => {
        const schema = checkEntitySchema(k, raw);
        return {
          name: schema.name,
          schema: { ...(raw as Record<string, unknown>), name: schema.name },
          indexes: indexedPaths(schema),
        };
      }),
    );
    await this.#reload(appId);
    await this.#synced(appId);
    return result;
  }
}
