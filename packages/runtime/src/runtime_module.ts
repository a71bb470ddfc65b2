/**
 * The `base44:runtime` module functions import:
 *
 * ```ts
 * import { secrets, waitUntil } from "base44:runtime";
 * const key = secrets.get("STRIPE_KEY");
 * waitUntil(sendAnalytics());
 * ```
 */
import { pendingWork } from "./_context.ts";

/** The app's secrets, read from the instance environment. */
export const secrets = {
  /** The secret's value, or `undefined` when the app has no such secret. */
  get(name: string): string | undefined {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  },
};

/** Keeps `promise` running after the response has been sent. */
export function waitUntil(promise: Promise<unknown>): void {
  const tracked = Promise.resolve(promise).catch((err) => {
    console.error("waitUntil task failed:", err);
  });
  pendingWork.add(tracked);
  tracked.finally(() => pendingWork.delete(tracked));
}
