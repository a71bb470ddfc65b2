import { FnbaseError } from "@fnbase/shared";
import type { IdentityStore } from "../store/index.js";
import { open, seal } from "./secret-box.js";
import {
  checkSecretName,
  checkSecretValue,
  MAX_APP_SECRETS,
  MAX_APP_SECRETS_BYTES,
} from "./secret-rules.js";

/** A change to an app's secrets: which names, never values. */
export interface SecretChange {
  action: "set" | "deleted";
  names: string[];
}

const context = (appId: string, name: string) => `${appId}/${name}`;

/**
 * An app's secrets: validated, sealed with the master key, and opened only to build the
 * environment of a function instance. Values never leave this class any other way.
 *
 * @example
 * const secrets = new SecretService(store.identity, master.key, async (app) => runtime.retire(app));
 * // the callback also gets which names changed: (app, { action: "set", names: ["STRIPE_KEY"] })
 * await secrets.set("app1", { STRIPE_KEY: "sk_test_1" });
 * await secrets.env("app1"); // { STRIPE_KEY: "sk_test_1" }
 */
export class SecretService {
  readonly #store: IdentityStore;
  readonly #key: Buffer;
  readonly #changed: (appId: string, change: SecretChange) => Promise<void>;

  /** `changed` runs after each change, before the change's caller goes on. */
  constructor(
    store: IdentityStore,
    key: Buffer,
    changed: (appId: string, change: SecretChange) => Promise<void>,
  ) {
    this.#store = store;
    this.#key = key;
    this.#changed = changed;
  }

  /** Names of the app's secrets, sorted. */
  async names(appId: string): Promise<string[]> {
    return (await this.#store.listSecrets(appId)).map((s) => s.name);
  }

  /** Sets (adds or replaces) secrets, all or none; running instances are then replaced. */
  async set(appId: string, values: Record<string, unknown>): Promise<void> {
    const entries = Object.entries(values);
    if (entries.length === 0) {
      throw new FnbaseError("BAD_REQUEST", "No secrets in the body", {
        hint: 'Send { "NAME": "value" }',
      });
    }
    const sizes = new Map((await this.#store.listSecrets(appId)).map((s) => [s.name, s.size]));
    const now = new Date().toISOString();
    const rows = entries.map(([name, raw]) => {
      checkSecretName(name);
      const value = checkSecretValue(name, raw);
      const size = Buffer.byteLength(value);
      sizes.set(name, size);
      return {
        app_id: appId,
        name,
        value: seal(this.#key, context(appId, name), value),
        size,
        updated_date: now,
      };
    });
    if (sizes.size > MAX_APP_SECRETS) {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `Too many secrets: an app may hold ${MAX_APP_SECRETS}, this would make ${sizes.size}`,
      );
    }
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    if (total > MAX_APP_SECRETS_BYTES) {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `Secrets are over the per-app limit of ${MAX_APP_SECRETS_BYTES} bytes: ${total}`,
      );
    }
    await this.#store.putSecrets(rows);
    await this.#changed(appId, { action: "set", names: rows.map((r) => r.name) });
  }

  /** Deletes a secret; false when the app had none of that name. */
  async delete(appId: string, name: string): Promise<boolean> {
    const removed = await this.#store.deleteSecret(appId, name);
    if (removed) await this.#changed(appId, { action: "deleted", names: [name] });
    return removed;
  }

  /**
   * Makes the app's secrets exactly `values` (what `fnbase dev` does with `.env`): sets new and
   * changed ones, deletes the rest; false when nothing changed (running instances are kept).
   */
  async replaceAll(appId: string, values: Record<string, string>): Promise<boolean> {
    const current = await this.env(appId);
    const gone = Object.keys(current).filter((n) => !Object.hasOwn(values, n));
    const changed = Object.entries(values).filter(([n, v]) => current[n] !== v);
    if (gone.length === 0 && changed.length === 0) return false;
    for (const n of gone) await this.delete(appId, n);
    if (changed.length > 0) await this.set(appId, Object.fromEntries(changed));
    return true;
  }

  /** The app's secrets in clear, as an instance's environment. */
  async env(appId: string): Promise<Record<string, string>> {
    // No prototype: a secret named __proto__ is a name like any other.
    const env: Record<string, string> = Object.create(null);
    for (const s of await this.#store.listSecrets(appId)) {
      env[s.name] = open(this.#key, context(appId, s.name), s.value);
    }
    return env;
  }
}
