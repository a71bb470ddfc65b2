import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Transporter } from "nodemailer";

/** One email to send. */
export interface MailMessage {
  /** One address, or several separated by commas. */
  to: string;
  subject: string;
  /** The body: HTML when it holds tags, else plain text. */
  body: string;
  /** Display name of the sender; the address is always the server's (`mailFrom`). */
  fromName?: string;
}

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const MAX_RECIPIENTS = 50;
const MAX_BODY_CHARS = 1024 * 1024;

/** True when `body` looks like HTML (an opening tag), as Base44 apps send inline-styled HTML. */
export function looksLikeHtml(body: string): boolean {
  return /<([a-z][a-z0-9]*)(\s[^>]*)?>/i.test(body);
}

/** A plain-text rendering of an HTML body, for the `text/plain` alternative. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>|<\/(p|div|h[1-6]|li|tr)>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The recipients of `to`, checked; BAD_REQUEST naming the first bad one. */
export function parseRecipients(to: unknown): string[] {
  if (typeof to !== "string" || to.trim() === "") {
    throw new FnbaseError("BAD_REQUEST", `Invalid "to": ${JSON.stringify(to ?? null)}`, {
      hint: "Send one email address, or several separated by commas",
    });
  }
  const list = to
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  const bad = list.find((a) => !ADDRESS.test(a) || a.length > 254);
  if (bad !== undefined) {
    throw new FnbaseError("BAD_REQUEST", `Invalid email address in "to": ${JSON.stringify(bad)}`);
  }
  if (list.length > MAX_RECIPIENTS) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Too many recipients: ${list.length}, at most ${MAX_RECIPIENTS}`,
    );
  }
  return list;
}

/**
 * Sends email through the SMTP relay the operator configured (`smtpUrl`, nodemailer, pooled
 * connections). Without one, every send is a 501 INTEGRATION_NOT_CONFIGURED. Each email sent
 * is logged with its app, recipients, subject and message id, never its body.
 *
 * @example
 * const mailer = new Mailer({ smtpUrl: "smtp://user:pass@mail.example.com:587", from: "noreply@example.com", log });
 * await mailer.send("app1", { to: "ada@example.com", subject: "Hi", body: "<b>Hello</b>", fromName: "Shop" });
 */
export class Mailer {
  readonly #smtpUrl: string | undefined;
  #transporter: Promise<Transporter> | undefined;
  readonly #from: string;
  readonly #log: Logger;

  constructor(o: { smtpUrl: string | undefined; from: string | undefined; log: Logger }) {
    this.#log = o.log;
    this.#from = o.from ?? `noreply@${o.smtpUrl ? new URL(o.smtpUrl).hostname : "localhost"}`;
    this.#smtpUrl = o.smtpUrl || undefined;
  }

  /** The relay's pooled connections, made on the first email (nodemailer loads then). */
  #transport(): Promise<Transporter> {
    const url = this.#smtpUrl as string;
    this.#transporter ??= import("nodemailer").then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        url,
        pool: true,
        maxConnections: 2,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      } as Parameters<typeof nodemailer.createTransport>[0]),
    );
    return this.#transporter;
  }

  /** True when a relay is configured. */
  get configured(): boolean {
    return this.#smtpUrl !== undefined;
  }

  /** Sends one email; answers the relay's message id. */
  async send(appId: string, message: MailMessage): Promise<{ messageId: string }> {
    if (this.#smtpUrl === undefined) {
      throw new FnbaseError(
        "INTEGRATION_NOT_CONFIGURED",
        "Email is not configured on this server",
        {
          hint: "The operator sets an SMTP relay: FNBASE_SMTP_URL (or fnbase server --smtp-url)",
        },
      );
    }
    const to = parseRecipients(message.to);
    const subject = message.subject;
    if (/[\r\n]/.test(subject) || subject.length > 998) {
      throw new FnbaseError(
        "BAD_REQUEST",
        "Invalid subject: it must be one line of at most 998 characters",
      );
    }
    if (message.body.length > MAX_BODY_CHARS) {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `Email body too long: at most ${MAX_BODY_CHARS} characters`,
      );
    }
    const html = looksLikeHtml(message.body);
    const fromName = (message.fromName ?? "")
      .replace(/[\r\n]/g, " ")
      .trim()
      .slice(0, 100);
    try {
      const transport = await this.#transport();
      const info = await transport.sendMail({
        from: fromName ? { name: fromName, address: this.#from } : this.#from,
        to,
        subject,
        ...(html ? { html: message.body, text: htmlToText(message.body) } : { text: message.body }),
      });
      const messageId = String(info.messageId ?? "");
      this.#log.info({ app: appId, to, subject, messageId }, "email sent");
      return { messageId };
    } catch (cause) {
      this.#log.warn({ app: appId, to, subject, err: cause }, "email failed");
      throw new FnbaseError(
        "UPSTREAM_ERROR",
        `The SMTP relay refused the email: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }

  /** Closes pooled connections. */
  close(): void {
    void this.#transporter?.then((t) => t.close());
  }
}
