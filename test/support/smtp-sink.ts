/**
 * A tiny SMTP server on 127.0.0.1 for tests: EHLO/HELO, STARTTLS (when given a certificate),
 * AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It keeps every message it accepts and can be
 * told to refuse recipients, to exercise the sender's error path.
 *
 *   const sink = await startSmtpSink({ tls: { key, cert } });
 *   ...send to 127.0.0.1:sink.port...
 *   sink.messages[0].data; sink.messages[0].tls; await sink.stop();
 */
import net from "node:net";
import tls from "node:tls";

export interface SinkMessage {
  from: string;
  to: string[];
  /** The message as received, dot-unstuffed, CRLF line endings, without the final ".". */
  data: string;
  /** Whether the session had been upgraded with STARTTLS. */
  tls: boolean;
  /** `user:pass` from AUTH PLAIN, when the client authenticated. */
  auth?: string;
}

export interface SmtpSinkOptions {
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Answer RCPT TO with this reply (e.g. "550 no such user") instead of accepting. */
  rejectRcpt?: string;
}

export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  /** Every command line received, across sessions. */
  commands: string[];
  stop(): Promise<void>;
}

export async function startSmtpSink(o: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    let sock: net.Socket = raw;
    let buf = "";
    let inData = false;
    let dataLines: string[] = [];
    let secure = false;
    let auth: string | undefined;
    let from = "";
    let to: string[] = [];
    const reply = (line: string) => sock.write(`${line}\r\n`);

    const onLine = (line: string) => {
      if (inData) {
        if (line === ".") {
          inData = false;
          messages.push({ from, to, data: dataLines.join("\r\n"), tls: secure, auth });
          dataLines = [];
          from = "";
          to = [];
          reply("250 2.0.0 queued");
        } else {
          dataLines.push(line.startsWith("..") ? line.slice(1) : line);
        }
        return;
      }
      commands.push(line);
      const verb = line.split(" ", 1)[0]!.toUpperCase();
      const arg = line.slice(verb.length).trim();
      switch (verb) {
        case "EHLO": {
          const ext = ["250-sink.test"];
          if (o.tls && !secure) ext.push("250-STARTTLS");
          ext.push("250-8BITMIME", "250 AUTH PLAIN");
          sock.write(`${ext.join("\r\n")}\r\n`);
          break;
        }
        case "HELO":
          reply("250 sink.test");
          break;
        case "STARTTLS": {
          if (!o.tls || secure) {
            reply("502 5.5.1 not available");
            break;
          }
          reply("220 2.0.0 ready to start TLS");
          raw.removeListener("data", onData);
          const t = new tls.TLSSocket(raw, { isServer: true, key: o.tls.key, cert: o.tls.cert });
          t.on("error", () => {});
          t.on("data", onData);
          sock = t;
          secure = true;
          buf = "";
          break;
        }
        case "AUTH": {
          const [mech, initial] = arg.split(" ");
          if (mech?.toUpperCase() !== "PLAIN" || !initial) {
            reply("504 5.5.4 only AUTH PLAIN with an initial response");
            break;
          }
          const [, user, pass] = Buffer.from(initial, "base64").toString("utf8").split("\0");
          auth = `${user}:${pass}`;
          reply("235 2.7.0 authenticated");
          break;
        }
        case "MAIL":
          from = /<([^>]*)>/.exec(arg)?.[1] ?? "";
          reply("250 2.1.0 ok");
          break;
        case "RCPT":
          if (o.rejectRcpt) {
            reply(o.rejectRcpt);
            break;
          }
          to.push(/<([^>]*)>/.exec(arg)?.[1] ?? "");
          reply("250 2.1.5 ok");
          break;
        case "DATA":
          inData = true;
          reply("354 end data with <CR><LF>.<CR><LF>");
          break;
        case "RSET":
          from = "";
          to = [];
          reply("250 2.0.0 ok");
          break;
        case "NOOP":
          reply("250 2.0.0 ok");
          break;
        case "QUIT":
          reply("221 2.0.0 bye");
          sock.end();
          break;
        default:
          reply("502 5.5.2 command not recognised");
      }
    };

    function onData(chunk: Buffer) {
      buf += chunk.toString("utf8");
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        onLine(line);
      }
    }

    raw.on("data", onData);
    reply("220 sink.test ESMTP test sink");
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    messages,
    commands,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
