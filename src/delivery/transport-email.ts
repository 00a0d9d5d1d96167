/** The e-mail alert dispatcher (docs/reference/deliverer.md §4.7): SMTP-like codes, whatever carries the mail. */

import { errorText } from "../error-text.ts";
import { destinationField, EmailDestination } from "./destination.ts";
import { buildEmail } from "./email-message.ts";
import type { EmailSender } from "./email-senders.ts";
import type { AlertDispatcher } from "./notification.ts";
import { truncateBytes } from "./queue.ts";

export function emailDispatcher(o: { from: string; sender: EmailSender }): AlertDispatcher {
  return {
    async send(n, destination) {
      const d = destinationField(destination, EmailDestination, "address", 550);
      if ("failure" in d) return d.failure;
      if (/[\r\n]/.test(d.value) || !d.value.includes("@")) {
        const msg = `destination address ${JSON.stringify(d.value.slice(0, 200))} is not an e-mail address`;
        return { ok: false, statusCode: 550, body: msg, error: msg, permanent: true };
      }
      try {
        await o.sender.send(buildEmail(n, o.from, d.value));
      } catch (err) {
        const msg = truncateBytes(errorText(err));
        return { ok: false, statusCode: 554, body: msg, error: msg };
      }
      return { ok: true, statusCode: 250, body: "delivered" };
    },
  };
}
