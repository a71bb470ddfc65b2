import type { Hono } from "hono";
import { accountRoutes } from "./account-routes.js";
import { apiKeyRoutes } from "./api-key-routes.js";
import type { IdentityDeps } from "./deps.js";
import { secretRoutes } from "./secret-routes.js";
import { userRoutes } from "./user-routes.js";

export { AccountService } from "./accounts.js";
export { ApiKeyService } from "./api-keys.js";
export type { IdentityDeps } from "./deps.js";
export { loadMasterKey, MASTER_KEY_FILE } from "./master-key.js";
export { type SecretChange, SecretService } from "./secrets.js";
export { type PublicUser, UserService } from "./users.js";

/**
 * Mounts the identity routes (users, secrets, workspace API keys) on the API. Call it from
 * `createApi`'s `extend`, so it runs before the key-protected `/api/apps` group; each route
 * group does its own auth.
 *
 * @example
 * createApi(deps, (api) => mountIdentity(api, identityDeps));
 */
export function mountIdentity(api: Hono, d: IdentityDeps): void {
  userRoutes(api, d);
  accountRoutes(api, d);
  secretRoutes(api, d);
  apiKeyRoutes(api, d);
}
