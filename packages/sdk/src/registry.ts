/**
 * Function names known to the type checker. Empty here; a generated declaration file adds one
 * key per deployed function, and `invoke`'s name argument becomes the union of those keys.
 *
 * @example
 * ```ts
 * // base44/.types/types.d.ts (written by the type generator)
 * declare module "@fnbase/sdk" {
 *   interface FunctionNameRegistry {
 *     "process-order": true;
 *     "orders/process": true;
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declarations augment
export interface FunctionNameRegistry {}

/**
 * The function names a registry declares, or `string` when it declares none.
 *
 * @example
 * ```ts
 * type A = FunctionNameOf<{ "process-order": true }>; // "process-order"
 * type B = FunctionNameOf<{}>; // string
 * ```
 */
export type FunctionNameOf<Registry> = [keyof Registry] extends [never]
  ? string
  : Extract<keyof Registry, string>;

/**
 * The name argument of `functions.invoke`: a union of the names in {@link FunctionNameRegistry}
 * once it has been augmented, `string` until then.
 *
 * @example
 * ```ts
 * const name: FunctionName = "process-order";
 * await client.functions.invoke(name, { orderId: 42 });
 * ```
 */
export type FunctionName = FunctionNameOf<FunctionNameRegistry>;
