/**
 * Where alert e-mail goes (`EMAIL_TRANSPORT`, docs/reference/deliverer.md §1.2, §4.7): `stub` logs and keeps the
 * message, `wpcom` POSTs it to the WPCOM mail endpoint, `smtp` speaks SMTP through nodemailer.
 * SMTP upgrades with STARTTLS whenever the server offers it and, with `SMTP_USE_TLS`, refuses
 * to send without it; port 465 means TLS from the first byte.
 */
import type { ConnectionOptions } from "node:tls";
import nodemailer from "nodemailer";
import { errorText } from "../error-text.ts";
import { goQuote } from "../go-format.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../time.ts";
import { type EmailMessage, mimeMessage } from "./email-message.ts";
import { type FetchFn, fetchErrorText, NO_REDIRECTS, readBodyPrefix, redirectText } from "./http-post.ts";

export interface EmailSender {
  send(m: EmailMessage): Promise<void>;
}

/** Logs the message instead of sending it; keeps what it "sent" for inspection. */
export class StubEmailSender implements EmailSender {
  readonly sent: EmailMessage[] = [];

  constructor(private readonly log: Logger) {}

  async send(m: EmailMessage): Promise<void> {
    this.sent.push(m);
    this.log.info(
      { from: m.from, to: m.to, subject: m.subject },
      `alerting/email: stub send From=${m.from} To=${m.to} Subject=${goQuote(m.subject)}`,
    );
  }

  reset(): void {
    this.sent.length = 0;
  }
}

export interface WpcomEmailOptions {
  endpoint: string;
  token: string;
  fetch: FetchFn;
  timeoutMs: number;
}

export class WpcomEmailSender implements EmailSender {
  constructor(private readonly o: WpcomEmailOptions) {}

  async send(m: EmailMessage): Promise<void> {
    if (!this.o.endpoint) throw new Error("alerting/email/wpcom: endpoint not configured");
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.o.token) headers.Authorization = `Bearer ${this.o.token}`;
    let res: Response;
    try {
      res = await this.o.fetch(this.o.endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({ from: m.from, to: m.to, subject: m.subject, plain: m.plain, html: m.html }),
        signal: AbortSignal.timeout(this.o.timeoutMs),
        ...NO_REDIRECTS,
      });
    } catch (err) {
      throw new Error(`alerting/email/wpcom: post: ${fetchErrorText(err, this.o.timeoutMs)}`);
    }
    const body = await readBodyPrefix(res, 1024).catch(() => "");
    if (res.status < 200 || res.status > 299)
      throw new Error(`alerting/email/wpcom: ${redirectText(res) ?? `status ${res.status}`}: ${body}`);
  }
}

export interface SmtpOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Require STARTTLS (or implicit TLS on 465) before anything is sent. */
  useTls: boolean;
  /** Extra TLS settings (a private CA, for instance). */
  tls?: ConnectionOptions;
  timeoutMs: number;
  now: Clock;
}

export class SmtpEmailSender implements EmailSender {
  private readonly transport: nodemailer.Transporter;

  constructor(private readonly o: SmtpOptions) {
    this.transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.port === 465,
      requireTLS: o.useTls,
      auth: o.username ? { user: o.username, pass: o.password } : undefined,
      tls: o.tls,
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
    });
  }

  async send(m: EmailMessage): Promise<void> {
    try {
      await this.transport.sendMail({
        envelope: { from: m.from, to: [m.to] },
        raw: mimeMessage(m, new Date(this.o.now())),
      });
    } catch (err) {
      throw new Error(`alerting/email/smtp: send to ${this.o.host}:${this.o.port}: ${errorText(err)}`);
    }
  }

  close(): void {
    this.transport.close();
  }
}
