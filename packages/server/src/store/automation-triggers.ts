import type { EntityRef } from "./entity-types.js";

/** An active entity automation as a write needs it: its id and the event types it hears. */
export interface EntityTrigger {
  id: string;
  types: ReadonlySet<string>;
}

/** Lists kept at most; past it the cache starts again (a list is a few bytes, often none). */
const MAX_LISTS = 10_000;

/**
 * The active entity automations of each (app, entity) as entity writes last read them, for the
 * outbox of both stores (`sqlite/automation-runs.ts`, `postgres/automation-runs.ts`). Each list
 * is kept with the value of the store's `automation_version` it was read with (in the same
 * snapshot); triggers in the database move that counter on every change to automations that
 * could change a list, by whatever path (migrations 007 on SQLite, 009 on PostgreSQL). A write
 * reads the counter in its own transaction and uses a list only when it was read at that same
 * value: it hears exactly the automations it would have read itself, on every node.
 *
 * @example
 * const list = cache.get(version, ref) ?? cache.put(version, ref, rowsReadAtVersion);
 */
export class TriggerCache {
  #version: number | undefined;
  readonly #lists = new Map<string, EntityTrigger[]>();

  /** The counter's value the kept lists were read at (undefined: none kept yet). */
  get version(): number | undefined {
    return this.#version;
  }

  /** The list of `ref`'s entity, if one is kept and was read at `version`. */
  get(version: number, ref: EntityRef): EntityTrigger[] | undefined {
    return version === this.#version ? this.#lists.get(key(ref)) : undefined;
  }

  /**
   * Keeps the list read at `version` (when it is not older than the kept ones: a newer value
   * drops them) and answers it.
   */
  put(version: number, ref: EntityRef, rows: { id: string; event_types: string }[]) {
    const list: EntityTrigger[] = rows.map((r) => ({
      id: r.id,
      types: new Set(JSON.parse(r.event_types) as string[]),
    }));
    if (this.#version === undefined || version > this.#version) {
      this.#lists.clear();
      this.#version = version;
    }
    if (version === this.#version) {
      if (this.#lists.size >= MAX_LISTS) this.#lists.clear();
      this.#lists.set(key(ref), list);
    }
    return list;
  }
}

const key = (ref: EntityRef) => `${ref.appId}\0${ref.entity}`;
