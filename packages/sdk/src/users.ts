import type { AxiosInstance } from "axios";

/**
 * `client.users`: invitations, as `@base44/sdk` 0.8.50's `users` module sends them.
 *
 * @example
 * ```ts
 * await client.users.inviteUser("bob@example.com", "user");
 * ```
 */
export interface UsersModule {
  /**
   * Invites `userEmail` to the app (`POST /api/apps/{appId}/runtime/users/invite-user`): the
   * server emails a link where they choose a password. `role` must be `user` or `admin` (only
   * admins may invite admins); any other role throws before a request is sent.
   *
   * @example
   * ```ts
   * await client.users.inviteUser("bob@example.com", "admin");
   * ```
   */
  inviteUser(userEmail: string, role: "user" | "admin"): Promise<unknown>;
}

/** Creates the users module; `api` resolves with bodies and rejects with `ApiError`. */
export function createUsersModule(
  api: AxiosInstance,
  appId: string,
  auth: () => Record<string, string>,
): UsersModule {
  return {
    async inviteUser(user_email, role) {
      if (role !== "user" && role !== "admin") {
        throw new Error(`Invalid role: "${role}". Role must be either "user" or "admin".`);
      }
      return await api.post(
        `/apps/${encodeURIComponent(appId)}/runtime/users/invite-user`,
        { user_email, role },
        { headers: auth() },
      );
    },
  };
}
