import type { Logger } from "@fnbase/shared";
import type { TokenService } from "../auth/tokens.js";
import type { Catalog } from "../catalog.js";
import type { Mailer } from "../integrations/email/mailer.js";
import type { ApiKeyService } from "./api-keys.js";
import type { SecretService } from "./secrets.js";
import type { PublicUser, UserService } from "./users.js";

/** What the identity routes work with. */
export interface IdentityDeps {
  catalog: Catalog;
  tokens: TokenService;
  users: UserService;
  secrets: SecretService;
  apiKeys: ApiKeyService;
  /** True for the admin key or a live workspace key. */
  isApiKey: (key: string) => Promise<boolean>;
  /** True for the admin key only (it alone manages workspace keys). */
  isAdminKey: (key: string) => boolean;
  log: Logger;
  /** Sends invitations and password resets; absent or unconfigured: those answer 501. */
  mailer?: Mailer;
  /** Base URL of links in emails (`publicUrl`), read when an email is made. */
  publicUrl?: () => string;
  /**
   * A user as they may see themselves: without the fields the app's User schema hides from
   * them (field rules). Absent: as stored.
   */
  userView?: (appId: string, user: PublicUser) => PublicUser;
}
