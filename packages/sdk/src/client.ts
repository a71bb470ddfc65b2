import { type AuthModule, createAuthModule } from "./auth.js";
import { createEntitiesModule, type EntitiesModule } from "./entities/index.js";
import { createFunctionsModule, type FunctionsModule } from "./functions.js";
import { createApiAxios, createFunctionsAxios } from "./http.js";
import { createIntegrationsModule, type IntegrationsModule } from "./integrations.js";
import { createRealtime } from "./realtime.js";
import { createSession } from "./session.js";
import { browserStorage, type TokenStorage, takeTokenFromUrl } from "./token-storage.js";
import { createUsersModule, type UsersModule } from "./users.js";

/**
 * Options of {@link createClient}.
 *
 * @example
 * ```ts
 * const config: ClientConfig = { appId: "app_123", serverUrl: "https://fn.example.com" };
 * ```
 */
export interface ClientConfig {
  /** The app's id; sent as `X-App-Id` and used in every app route. */
  appId: string;
  /** The server's base URL, e.g. `https://fn.example.com`; `""` means the page's own origin. */
  serverUrl: string;
  /** A user's access token. In a browser, the stored token is used when none is given. */
  token?: string;
  /** The app's service token; enables `client.asServiceRole`. Never ship it to a browser. */
  serviceToken?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** Sent as `Base44-Functions-Version` with function calls. */
  functionsVersion?: string;
  /**
   * Where the user's token is kept between page loads. Default: `localStorage` in a browser,
   * nothing elsewhere. `false` keeps it in memory only.
   */
  storage?: TokenStorage | false;
}

/**
 * What a client can do as the app's service role.
 *
 * @example
 * ```ts
 * const admin: ServiceRoleClient = client.asServiceRole;
 * await admin.functions.invoke("reindex");
 * const all = await admin.entities.Task.list();
 * ```
 */
export interface ServiceRoleClient {
  /**
   * Every app's records, past access rules: sent with the service token as `Authorization`
   * and, when the client has a user token, that token as `on-behalf-of`.
   */
  entities: EntitiesModule;
  /** Functions called with the service token as `Authorization`. */
  functions: FunctionsModule;
  /** Core integrations as the service role (email to anyone, any private file). */
  integrations: IntegrationsModule;
}

/**
 * A client of one fnbase app, made by {@link createClient} or {@link createClientFromRequest}.
 *
 * @example
 * ```ts
 * const client: FnbaseClient = createClient({ appId, serverUrl });
 * await client.functions.invoke("hello", { name: "Ada" });
 * ```
 */
export interface FnbaseClient {
  /** The app's records (`client.entities.Task.list()`), read and written as the client's user. */
  entities: EntitiesModule;
  /** Functions, called as the client's user (or anonymously). */
  functions: FunctionsModule;
  /** The client's user: sign in and out, read and update the profile, passwords, invitations. */
  auth: AuthModule;
  /** Core integrations (files, email, LLM), called as the client's user. */
  integrations: IntegrationsModule;
  /** Invitations (`users.inviteUser`). */
  users: UsersModule;
  /**
   * The same modules acting as the app's service role. Throws when the client was made
   * without a service token.
   */
  readonly asServiceRole: ServiceRoleClient;
  /** Same as `auth.setToken(token)`. */
  setToken(token: string): void;
  /** Closes the client's realtime sockets (every `subscribe` stops), as `@base44/sdk`'s `cleanup`. */
  cleanup(): void;
}

/**
 * Creates a client of one app on an fnbase server. Same options and behaviour as
 * `@base44/sdk`'s `createClient` for the entities, functions and auth modules.
 *
 * @example
 * ```ts
 * import { createClient } from "@fnbase/sdk";
 *
 * const client = createClient({ appId: "app_123", serverUrl: "https://fn.example.com" });
 * const { data } = await client.functions.invoke("process-order", { orderId: 42 });
 * const open = await client.entities.Task.filter({ done: false });
 * ```
 */
export function createClient(config: ClientConfig): FnbaseClient {
  const { appId, serverUrl, serviceToken, functionsVersion } = config;
  if (typeof appId !== "string" || appId === "") {
    throw new TypeError(`Cannot create a client: appId must be a non-empty string: ${appId}`);
  }
  if (typeof serverUrl !== "string") {
    throw new TypeError(`Cannot create a client: serverUrl must be a string: ${serverUrl}`);
  }
  const headers = { ...config.headers, "X-App-Id": appId };
  const functionHeaders = functionsVersion
    ? { ...headers, "Base44-Functions-Version": functionsVersion }
    : headers;

  const storage = config.storage === false ? undefined : (config.storage ?? browserStorage());
  const session = createSession(undefined, storage);
  const initial = config.token ?? (storage ? takeTokenFromUrl() : undefined);
  if (initial) session.set(initial, true);

  const api = createApiAxios(serverUrl, headers);
  const auth = createAuthModule(api, appId, session);
  const userAuth = (): Record<string, string> => {
    const token = session.get();
    return token ? { Authorization: `Bearer ${token}` } : {};
  };
  const realtime = createRealtime({ serverUrl, appId, token: session.get });
  session.onChange(() => realtime.reconnect());
  const entities = createEntitiesModule({ api, appId, auth: userAuth, realtime });
  const integrations = createIntegrationsModule({ api, appId, auth: userAuth });
  const users = createUsersModule(api, appId, userAuth);
  const functions = createFunctionsModule({
    http: createFunctionsAxios(serverUrl, functionHeaders),
    appId,
    serverUrl,
    headers: functionHeaders,
    token: session.get,
  });

  // As in @base44/sdk, the service role's on-behalf-of is the user token the client was made
  // with (createClientFromRequest: the caller's), not one set later.
  const onBehalfOf: Record<string, string> = config.token
    ? { "on-behalf-of": `Bearer ${config.token}` }
    : {};
  let serviceRole: ServiceRoleClient | undefined;
  let serviceRealtime: ReturnType<typeof createRealtime> | undefined;
  const serviceAuth = () => ({ Authorization: `Bearer ${serviceToken}`, ...onBehalfOf });
  return {
    entities,
    functions,
    auth,
    integrations,
    users,
    setToken: (token) => auth.setToken(token),
    cleanup: () => {
      realtime.close();
      serviceRealtime?.close();
    },
    get asServiceRole(): ServiceRoleClient {
      if (!serviceToken) {
        throw new Error(
          "Cannot use asServiceRole: this client has no service token (pass serviceToken to createClient, or use createClientFromRequest inside a function)",
        );
      }
      serviceRealtime ??= createRealtime({ serverUrl, appId, token: () => serviceToken });
      serviceRole ??= {
        entities: createEntitiesModule({
          api,
          appId,
          auth: serviceAuth,
          realtime: serviceRealtime,
        }),
        integrations: createIntegrationsModule({ api, appId, auth: serviceAuth }),
        functions: createFunctionsModule({
          http: createFunctionsAxios(serverUrl, functionHeaders),
          appId,
          serverUrl,
          headers: functionHeaders,
          token: () => serviceToken,
        }),
      };
      return serviceRole;
    },
  };
}
