import { AsyncLocalStorage } from "node:async_hooks";

/** Per-request context inside an instance: the request id output is attributed to. */
export interface RequestContext {
  requestId: string;
}

/** Holds the context of the request whose code is running now. */
export const requestContext: AsyncLocalStorage<RequestContext> = new AsyncLocalStorage();

/** Promises handed to `waitUntil`, kept so the instance drains them before it stops. */
export const pendingWork: Set<Promise<unknown>> = new Set();
