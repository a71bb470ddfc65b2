import type { Logger } from "@fnbase/shared";
import type { TokenService } from "../auth/tokens.js";
import type { Catalog } from "../catalog.js";
import type { Deployer } from "../deploy/deployer.js";
import type { EntitySchemas } from "../entities/index.js";
import type { RuntimeManager } from "../runtime/manager.js";

/** What the management API's routes work with. */
export interface ApiDeps {
  catalog: Catalog;
  deployer: Deployer;
  /** Entity schemas of every app (`PUT/GET entity-schemas`). */
  entitySchemas: EntitySchemas;
  runtime: RuntimeManager;
  tokens: TokenService;
  log: Logger;
  /** True when `key` is the admin key or a live workspace API key. */
  isApiKey: (key: string) => Promise<boolean>;
  /** True when `key` is the admin key (operator-only settings such as `egress_allow`). */
  isAdminKey: (key: string) => boolean;
  maxUploadBytes: number;
  /** The largest file any app may upload (the integration endpoints' body limit). */
  maxFileBytes: number;
  keepDeployments: number;
  /** The server's `defaultApp` option (see `Catalog.defaultApp`). */
  defaultApp: string | undefined;
  /** Any origin may call the app-scoped browser routes (`fnbase dev`), as for invocations. */
  corsAnyOrigin: boolean;
  /**
   * Each function's automations as `GET backend-functions` echoes them (normalised, in their
   * order); without it, the current deployment's are echoed.
   */
  automations?: (appId: string) => Promise<Map<string, unknown[]>>;
}
