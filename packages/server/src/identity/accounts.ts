import { createHash } from "node:crypto";
import { FnbaseError } from "@fnbase/shared";
import type { UserRow } from "../store/index.js";
import type { Caller } from "./caller.js";
import type { IdentityDeps } from "./deps.js";
import type { PublicUser } from "./users.js";

/** How long an invitation link works, in seconds (7 days). */
export const INVITE_TTL_S = 7 * 24 * 3600;
/** How long a password reset link works, in seconds (1 hour). */
export const RESET_TTL_S = 3600;

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** A fingerprint of a password hash: a reset link dies once the password changes. */
const fingerprint = (u: UserRow) =>
  createHash("sha256").update(u.password_hash).digest("base64url").slice(0, 16);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function mailerOf(d: IdentityDeps) {
  if (!d.mailer?.configured) {
    throw new FnbaseError("INTEGRATION_NOT_CONFIGURED", "Email is not configured on this server", {
      hint: "Invitations and password resets are sent by email: the operator sets FNBASE_SMTP_URL",
    });
  }
  return d.mailer;
}

function linkTo(d: IdentityDeps, appId: string, page: string, token: string): string {
  const base = d.publicUrl?.() ?? "";
  return `${base}/api/apps/${encodeURIComponent(appId)}/auth/${page}?token=${encodeURIComponent(token)}`;
}

function emailBody(intro: string, link: string, action: string, note: string): string {
  return `<p>${escapeHtml(intro)}</p>
<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>
<p>${escapeHtml(note)}</p>
<p style="color:#666">${escapeHtml(link)}</p>`;
}

/**
 * Invitations and password changes, the auth calls of `@base44/sdk` 0.8.50 beyond register and
 * login (`dist/modules/auth.js`, `users.js`). Links are signed, single-purpose tokens
 * (`TokenService.signLink`), so nothing is stored until they are used: an invitation carries
 * its email and role and can be accepted once (the user then exists); a reset link carries a
 * fingerprint of the password it replaces and dies once the password changes.
 *
 * @example
 * await accounts.invite("app1", caller, { user_email: "bob@example.com", role: "user" });
 */
export class AccountService {
  readonly #d: IdentityDeps;

  constructor(deps: IdentityDeps) {
    this.#d = deps;
  }

  /**
   * `inviteUser(email, role)`: emails a link where the invitee sets a password. Any user of the
   * app may invite a `user`, only admins and the service role an `admin`. An email that is
   * already a user is a CONFLICT.
   */
  async invite(
    appId: string,
    who: Caller,
    body: unknown,
  ): Promise<{ success: true; email: string; role: string }> {
    const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const email = typeof b.user_email === "string" ? b.user_email.trim() : "";
    if (!EMAIL.test(email) || email.length > 254) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Invalid user_email: ${JSON.stringify(b.user_email ?? null)}`,
      );
    }
    const role = b.role;
    if (role !== "user" && role !== "admin") {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Invalid role: ${JSON.stringify(role ?? null)}: "user" or "admin"`,
      );
    }
    if (role === "admin" && who.kind === "user" && who.user.role !== "admin") {
      throw new FnbaseError("FORBIDDEN", "Only app admins can invite an admin");
    }
    const mailer = mailerOf(this.#d);
    if (await this.#d.users.byEmail(appId, email)) {
      throw new FnbaseError("CONFLICT", `Already a user of this app: ${email}`);
    }
    const token = await this.#d.tokens.signLink(appId, "invite", { email, role }, INVITE_TTL_S);
    const app = this.#d.catalog.app(appId);
    const name = app?.name ?? appId;
    const inviter = who.kind === "user" ? (who.user.full_name ?? who.user.email) : name;
    await mailer.send(appId, {
      to: email,
      subject: `You are invited to ${name}`,
      fromName: name,
      body: emailBody(
        `${inviter} invited you to ${name}.`,
        linkTo(this.#d, appId, "accept-invite", token),
        "Choose a password and join",
        "The link works for 7 days.",
      ),
    });
    this.#d.log.info({ app: appId, email, role }, "user invited");
    return { success: true, email, role };
  }

  /** Accepts an invitation: creates the user with `password` and signs them in. */
  async acceptInvite(
    appId: string,
    body: Record<string, unknown>,
  ): Promise<{ access_token: string; user: PublicUser }> {
    const claims = await this.#d.tokens.verifyLink(appId, "invite", String(body.token ?? ""));
    const email = String(claims.email ?? "");
    const role = String(claims.role ?? "user");
    if (await this.#d.users.byEmail(appId, email)) {
      throw new FnbaseError("LINK_EXPIRED", `This invitation was already accepted: ${email}`, {
        hint: "Log in with your email and password",
      });
    }
    return await this.#d.users.createInvited(appId, { email, role }, body.password, body.full_name);
  }

  /**
   * `resetPasswordRequest(email)`: emails a reset link when the email is a user. The answer is
   * the same either way, so it does not tell who has an account.
   */
  async requestReset(appId: string, body: Record<string, unknown>): Promise<{ success: true }> {
    const mailer = mailerOf(this.#d);
    const email = typeof body.email === "string" ? body.email.trim() : "";
    const user = email ? await this.#d.users.byEmail(appId, email) : undefined;
    if (user) {
      const token = await this.#d.tokens.signLink(
        appId,
        "reset",
        { sub: user.id, pwh: fingerprint(user) },
        RESET_TTL_S,
      );
      const name = this.#d.catalog.app(appId)?.name ?? appId;
      await mailer.send(appId, {
        to: user.email,
        subject: `Reset your ${name} password`,
        fromName: name,
        body: emailBody(
          `Someone asked to reset the password of ${user.email} on ${name}.`,
          linkTo(this.#d, appId, "reset-password", token),
          "Choose a new password",
          "The link works for one hour. If you did not ask for it, ignore this email.",
        ),
      });
    }
    return { success: true };
  }

  /** `resetPassword({ resetToken, newPassword })`: sets the password a reset link names. */
  async reset(appId: string, body: Record<string, unknown>): Promise<{ success: true }> {
    const claims = await this.#d.tokens.verifyLink(appId, "reset", String(body.reset_token ?? ""));
    const user = await this.#d.users.get(appId, String(claims.sub ?? ""));
    if (!user || claims.pwh !== fingerprint(user)) {
      throw new FnbaseError("LINK_EXPIRED", "This reset link was already used", {
        hint: "Ask for a new one",
      });
    }
    await this.#d.users.setPassword(appId, user.id, body.new_password);
    this.#d.log.info({ app: appId, user: user.id }, "password reset");
    return { success: true };
  }

  /**
   * `changePassword({ userId, currentPassword, newPassword })`: the signed-in user changes
   * their own password (`user_id`, when sent, must be theirs: 403 otherwise; a wrong current
   * password: 401).
   */
  async changePassword(
    appId: string,
    who: Caller,
    body: Record<string, unknown>,
  ): Promise<{ success: true }> {
    if (who.kind !== "user") {
      throw new FnbaseError("FORBIDDEN", "The service role has no password to change");
    }
    if (body.user_id !== undefined && body.user_id !== null && body.user_id !== who.user.id) {
      throw new FnbaseError("FORBIDDEN", "Users may change only their own password");
    }
    if (!(await this.#d.users.passwordMatches(who.user, body.current_password))) {
      throw new FnbaseError("UNAUTHORIZED", "Wrong current password");
    }
    await this.#d.users.setPassword(appId, who.user.id, body.new_password);
    return { success: true };
  }
}
