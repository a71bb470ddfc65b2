/**
 * The two pages a person reaches from an email: accept an invitation, reset a password. Plain
 * HTML forms that post back to the same URL (no script at all), served with a CSP that allows
 * no script, no framing and forms only to this origin.
 */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Headers of every account page. */
export const PAGE_HEADERS: Record<string, string> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

function page(title: string, inner: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1e293b}input{display:block;width:100%;padding:.5rem;margin:.25rem 0 1rem;box-sizing:border-box}button{padding:.6rem 1.2rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${inner}</body></html>`;
}

/** The form that accepts an invitation (`full_name`, `password`, the token hidden). */
export function acceptInvitePage(appName: string, token: string): string {
  return page(
    `Join ${appName}`,
    `<form method="post"><input type="hidden" name="token" value="${escapeHtml(token)}">
<label>Your name<input name="full_name" autocomplete="name"></label>
<label>Choose a password (8 characters or more)<input type="password" name="password" minlength="8" required autocomplete="new-password"></label>
<button type="submit">Join</button></form>`,
  );
}

/** The form that sets a new password (`new_password`, the token hidden as `reset_token`). */
export function resetPasswordPage(appName: string, token: string): string {
  return page(
    `New password for ${appName}`,
    `<form method="post"><input type="hidden" name="reset_token" value="${escapeHtml(token)}">
<label>New password (8 characters or more)<input type="password" name="new_password" minlength="8" required autocomplete="new-password"></label>
<button type="submit">Save</button></form>`,
  );
}

/** A page saying how it went. */
export function resultPage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`);
}
