/**
 * Parsing a contact's `destination` JSON for one transport. A malformed destination is a
 * permanent failure: retrying cannot fix it.
 */
import { type TObject, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { SendResult } from "./notification.ts";

export const EmailDestination = Type.Object({ address: Type.String() });
export const PagerDutyDestination = Type.Object({ integration_key: Type.String() });
export const WebhookUrlDestination = Type.Object({ webhook_url: Type.String() });

/** Returns the field's value, or the permanent failure to report. */
export function destinationField(
  text: string,
  schema: TObject,
  field: string,
  badCode: number,
): { value: string } | { failure: SendResult } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return {
      failure: {
        ok: false,
        statusCode: badCode,
        body: "invalid destination JSON",
        error: "invalid destination JSON",
        permanent: true,
      },
    };
  }
  const value = Value.Check(schema, v) ? String((v as Record<string, unknown>)[field]).trim() : "";
  if (!value) {
    const msg = `destination missing ${field}`;
    return { failure: { ok: false, statusCode: badCode, body: msg, error: msg, permanent: true } };
  }
  return { value };
}

/** Why `url` cannot be POSTed to, or null when it is an absolute http(s) URL. */
export function httpUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `invalid url ${JSON.stringify(url.slice(0, 200))}: not an absolute URL`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return `invalid url ${JSON.stringify(url.slice(0, 200))}: scheme ${u.protocol.replace(/:$/, "")} is not http or https`;
  }
  if (!u.hostname) return `invalid url ${JSON.stringify(url.slice(0, 200))}: no host`;
  return null;
}
