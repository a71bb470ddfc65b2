import type { AxiosInstance } from "axios";
import { ApiError } from "./errors.js";
import type { Session } from "./session.js";

/**
 * A user of the app, as the server returns it.
 *
 * @example
 * ```ts
 * const user: User = await client.auth.me();
 * console.log(user.id, user.email);
 * ```
 */
export interface User {
  id: string;
  email: string;
  [field: string]: unknown;
}

/**
 * What `register` sends: an email, a password and any other fields of the user.
 *
 * @example
 * ```ts
 * const payload: RegisterPayload = { email: "ada@example.com", password: "s3cret!", full_name: "Ada" };
 * ```
 */
export interface RegisterPayload {
  email: string;
  password: string;
  [field: string]: unknown;
}

/**
 * The answer to `loginViaEmailPassword`.
 *
 * @example
 * ```ts
 * const { access_token, user }: LoginResult = await client.auth.loginViaEmailPassword(email, pw);
 * ```
 */
export interface LoginResult {
  access_token: string;
  user: User;
}

/**
 * The signed-in user of a client. Calls resolve with the server's JSON body and reject with an
 * {@link ApiError}.
 *
 * @example
 * ```ts
 * await client.auth.loginViaEmailPassword("ada@example.com", "s3cret!");
 * const me = await client.auth.me();
 * client.auth.logout();
 * ```
 */
export interface AuthModule {
  /**
   * The user the client's token belongs to (`GET /api/apps/{appId}/entities/User/me`); rejects
   * with status 401 when there is none.
   *
   * @example
   * ```ts
   * const user = await client.auth.me();
   * ```
   */
  me(): Promise<User>;
  /**
   * Updates fields of the current user (`PUT /api/apps/{appId}/entities/User/me`).
   *
   * @example
   * ```ts
   * await client.auth.updateMe({ full_name: "Ada Lovelace" });
   * ```
   */
  updateMe(data: Record<string, unknown>): Promise<User>;
  /**
   * Creates an account (`POST /api/apps/{appId}/auth/register`). It does not sign in.
   *
   * @example
   * ```ts
   * await client.auth.register({ email: "ada@example.com", password: "s3cret!" });
   * ```
   */
  register(payload: RegisterPayload): Promise<unknown>;
  /**
   * Signs in (`POST /api/apps/{appId}/auth/login`) and keeps the returned token for every
   * later call (in a browser, in `localStorage` too). A 401 answer signs the client out.
   *
   * @example
   * ```ts
   * const { user } = await client.auth.loginViaEmailPassword("ada@example.com", "s3cret!");
   * ```
   */
  loginViaEmailPassword(
    email: string,
    password: string,
    turnstileToken?: string,
  ): Promise<LoginResult>;
  /**
   * Forgets the token (memory and storage). In a browser, goes to `redirectUrl` when given.
   *
   * @example
   * ```ts
   * client.auth.logout("/goodbye");
   * ```
   */
  logout(redirectUrl?: string): void;
  /**
   * Uses `token` for every later call; in a browser also stores it unless `saveToStorage` is
   * `false`. An empty token is ignored.
   *
   * @example
   * ```ts
   * client.auth.setToken(tokenFromMyLoginFlow);
   * ```
   */
  setToken(token: string, saveToStorage?: boolean): void;
  /**
   * Whether `me()` succeeds with the current token.
   *
   * @example
   * ```ts
   * if (!(await client.auth.isAuthenticated())) showLogin();
   * ```
   */
  isAuthenticated(): Promise<boolean>;
  /**
   * Invites `userEmail` as `role` (`POST /api/apps/{appId}/users/invite-user`), the older
   * route of `users.inviteUser`; the server emails them a link to choose a password.
   *
   * @example
   * ```ts
   * await client.auth.inviteUser("bob@example.com", "user");
   * ```
   */
  inviteUser(userEmail: string, role: string): Promise<unknown>;
  /**
   * `POST auth/verify-otp`. fnbase signs users in at `register`, so it answers 501.
   *
   * @example
   * ```ts
   * await client.auth.verifyOtp({ email, otpCode: "123456" });
   * ```
   */
  verifyOtp(params: { email: string; otpCode: string }): Promise<unknown>;
  /**
   * `POST auth/resend-otp`. fnbase answers 501 (there are no codes).
   *
   * @example
   * ```ts
   * await client.auth.resendOtp(email);
   * ```
   */
  resendOtp(email: string): Promise<unknown>;
  /**
   * Emails a password reset link when `email` is a user (`POST auth/reset-password-request`);
   * the answer is the same either way.
   *
   * @example
   * ```ts
   * await client.auth.resetPasswordRequest("ada@example.com");
   * ```
   */
  resetPasswordRequest(email: string): Promise<unknown>;
  /**
   * Sets a new password with the token of a reset link (`POST auth/reset-password`).
   *
   * @example
   * ```ts
   * await client.auth.resetPassword({ resetToken, newPassword: "a new passphrase" });
   * ```
   */
  resetPassword(params: { resetToken: string; newPassword: string }): Promise<unknown>;
  /**
   * Changes the signed-in user's password (`POST auth/change-password`).
   *
   * @example
   * ```ts
   * await client.auth.changePassword({ userId: me.id, currentPassword, newPassword });
   * ```
   */
  changePassword(params: {
    userId: string;
    currentPassword: string;
    newPassword: string;
  }): Promise<unknown>;
}

/** Creates the auth module; `api` resolves with bodies and rejects with `ApiError`. */
export function createAuthModule(api: AxiosInstance, appId: string, session: Session): AuthModule {
  const base = `/apps/${encodeURIComponent(appId)}`;
  // The token goes per request, so setToken/logout take effect on the next call.
  const auth = () => {
    const token = session.get();
    return { headers: token ? { Authorization: `Bearer ${token}` } : {} };
  };
  // The interceptor has already unwrapped the body, so the response type is the body's.
  const body = <T>(request: Promise<unknown>) => request as Promise<T>;
  const module: AuthModule = {
    me: () => body(api.get(`${base}/entities/User/me`, auth())),
    updateMe: (data) => body(api.put(`${base}/entities/User/me`, data, auth())),
    register: (payload) => body(api.post(`${base}/auth/register`, payload, auth())),
    async loginViaEmailPassword(email, password, turnstileToken) {
      try {
        const result = await body<LoginResult>(
          api.post(`${base}/auth/login`, {
            email,
            password,
            ...(turnstileToken ? { turnstile_token: turnstileToken } : {}),
          }),
        );
        if (result.access_token) module.setToken(result.access_token);
        return { access_token: result.access_token, user: result.user };
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) module.logout();
        throw error;
      }
    },
    logout(redirectUrl) {
      session.clear();
      const location = (globalThis as { document?: unknown; location?: { href: string } }).location;
      if (redirectUrl && location && (globalThis as { document?: unknown }).document) {
        location.href = redirectUrl;
      }
    },
    setToken(token, saveToStorage = true) {
      if (token) session.set(token, saveToStorage);
    },
    inviteUser: (user_email, role) =>
      body(api.post(`${base}/users/invite-user`, { user_email, role }, auth())),
    verifyOtp: ({ email, otpCode }) =>
      body(api.post(`${base}/auth/verify-otp`, { email, otp_code: otpCode }, auth())),
    resendOtp: (email) => body(api.post(`${base}/auth/resend-otp`, { email }, auth())),
    resetPasswordRequest: (email) =>
      body(api.post(`${base}/auth/reset-password-request`, { email }, auth())),
    resetPassword: ({ resetToken, newPassword }) =>
      body(
        api.post(
          `${base}/auth/reset-password`,
          { reset_token: resetToken, new_password: newPassword },
          auth(),
        ),
      ),
    changePassword: ({ userId, currentPassword, newPassword }) =>
      body(
        api.post(
          `${base}/auth/change-password`,
          { user_id: userId, current_password: currentPassword, new_password: newPassword },
          auth(),
        ),
      ),
    async isAuthenticated() {
      try {
        await module.me();
        return true;
      } catch {
        return false;
      }
    },
  };
  return module;
}
