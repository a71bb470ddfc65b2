import { appBusyMessage } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";

/**
 * Requests (and WebSocket sessions) in progress per app on Node's path, against a cap, so that
 * one app's slow function cannot hold every connection; the front keeps the same count on its
 * direct path (front/direct.ts).
 */
export class AppSlots {
  readonly max: number;
  readonly #n = new Map<string, number>();

  constructor(max: number) {
    this.max = max;
  }

  /** Takes a slot for `appId`; throws SERVICE_UNAVAILABLE (503) when the app has none left. */
  take(appId: string): void {
    const n = this.#n.get(appId) ?? 0;
    if (n >= this.max) {
      throw new FnbaseError("SERVICE_UNAVAILABLE", appBusyMessage(appId, this.max));
    }
    this.#n.set(appId, n + 1);
  }

  /** Gives a slot of `appId` back. */
  give(appId: string): void {
    const n = (this.#n.get(appId) ?? 1) - 1;
    if (n <= 0) this.#n.delete(appId);
    else this.#n.set(appId, n);
  }
}
