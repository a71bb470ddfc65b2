import type { EntityRef, EntityStore, RecordChange, StoredRecord } from "../../store/index.js";

/** One committed change to one record (realtime's `update_model` events are made of these). */
export interface EntityChange {
  appId: string;
  entity: string;
  type: "create" | "update" | "delete";
  /** The record as it now is; for a delete, as it was. */
  record: StoredRecord;
}

/**
 * Hears every committed change to every app's records, one per record, in commit order. A
 * listener's throw is caught (and reported through `onError`): a listener never undoes or
 * delays a write.
 *
 * @example
 * const feed = new ChangeFeed(log);
 * feed.on((c) => realtime.publish(c));
 */
export class ChangeFeed {
  readonly #listeners = new Set<(change: EntityChange) => void>();
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Adds a listener; returns the function that removes it. */
  on(listener: (change: EntityChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener about the changes one write committed. */
  emit(ref: EntityRef, changes: readonly RecordChange[]): void {
    if (this.#listeners.size === 0) return;
    for (const c of changes) {
      const record = c.after ?? c.before;
      if (!record) continue;
      const type = c.before === undefined ? "create" : c.after === undefined ? "delete" : "update";
      const change: EntityChange = { appId: ref.appId, entity: ref.entity, type, record };
      for (const l of this.#listeners) {
        try {
          l(change);
        } catch (err) {
          this.#onError(err);
        }
      }
    }
  }
}

/**
 * The store with a change feed: each of its four writes (`insert`, `updateWhere`, `upsert`,
 * `deleteWhere`), which every write path of every route goes through, tells `feed` what it
 * changed once it has committed. Reads pass through untouched.
 */
export function withChangeFeed(store: EntityStore, feed: ChangeFeed): EntityStore {
  const created = (records: StoredRecord[]): RecordChange[] => records.map((after) => ({ after }));
  const deleted = (records: StoredRecord[]): RecordChange[] =>
    records.map((before) => ({ before }));
  return {
    ...store,
    listSchemas: (appId, options) => store.listSchemas(appId, options),
    syncSchemas: (appId, schemas) => store.syncSchemas(appId, schemas),
    find: (ref, query) => store.find(ref, query),
    findJson: (ref, query, batch) => store.findJson(ref, query, batch),
    count: (ref, filter) => store.count(ref, filter),
    distinct: (ref, path, filter, limit, after) => store.distinct(ref, path, filter, limit, after),
    aggregate: (ref, query) => store.aggregate(ref, query),
    async insert(ref, records, dataJson) {
      await store.insert(ref, records, dataJson);
      feed.emit(ref, created(records));
    },
    async updateWhere(ref, filter, limit, change) {
      const changes = await store.updateWhere(ref, filter, limit, change);
      feed.emit(ref, changes);
      return changes;
    },
    async upsert(ref, items, change) {
      const changes = await store.upsert(ref, items, change);
      feed.emit(ref, changes);
      return changes;
    },
    async deleteWhere(ref, filter, limit) {
      const gone = await store.deleteWhere(ref, filter, limit);
      feed.emit(ref, deleted(gone));
      return gone;
    },
  };
}
