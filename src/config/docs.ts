import { Kind, type TSchema } from "@sinclair/typebox";
import { CONFIG_KEYS, type ConfigKey, GROUPS, keySchema } from "./schema.ts";

/**
 * docs/configuration.md, rendered from the schema so the two cannot drift apart
 * (scripts/gen-config-docs.ts writes it; a test compares).
 */
export function renderConfigDocs(): string {
  const parts = [INTRO];
  for (const group of GROUPS) {
    const keys = CONFIG_KEYS.filter((k) => keySchema(k).group === group);
    if (keys.length === 0) continue;
    parts.push(`## ${group}\n`);
    if (group === "Deprecated") parts.push(DEPRECATED_NOTE);
    parts.push("| Key | Default | Type and range | Reload | Meaning |");
    parts.push("|---|---|---|---|---|");
    for (const key of keys) parts.push(row(key));
    parts.push("");
  }
  parts.push(OUTRO);
  return `${parts.join("\n").trimEnd()}\n`;
}

function row(key: ConfigKey): string {
  const s = keySchema(key);
  const reload = s.deprecated && s.group === "Deprecated" ? "ignored" : s.reload;
  const meaning =
    s.deprecated && s.group !== "Deprecated"
      ? `${s.description} Deprecated: ${s.deprecated}.`
      : s.description;
  return `| \`${key}\` | ${cell(`\`${JSON.stringify(s.default)}\``)} | ${cell(typeText(s))} | ${reload} | ${cell(meaning)} |`;
}

function typeText(s: TSchema): string {
  if (typeof s.expect === "string" && s[Kind] !== "Integer") return s.expect;
  switch (s[Kind]) {
    case "Integer": {
      const { minimum: lo, maximum: hi } = s as { minimum?: number; maximum?: number };
      if (typeof s.expect === "string") return `integer: ${s.expect}`;
      if (lo !== undefined && hi !== undefined) return `integer ${lo} to ${hi}`;
      return "integer";
    }
    case "Boolean":
      return "boolean";
    case "String":
      return Array.isArray(s.allowed) ? `one of ${(s.allowed as string[]).join(", ")}` : "string";
    default:
      return "see meaning";
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

const INTRO = `# Configuration

<!-- Generated from src/config/schema.ts by scripts/gen-config-docs.ts; do not edit by hand. -->

jetmon2 reads one JSON file with upper-case keys, shared by every mode (monitor, deliverer)
and subcommand. \`config/config-sample.json\` is a complete example.

## Where the file is

\`--config PATH\` (accepted by every mode and subcommand), else the \`JETMON_CONFIG\` environment
variable, else \`config/config.json\` relative to the working directory.

## How it is read

1. Every key starts at its default below; the file's values replace them.
2. Keys match case-insensitively, as Jetmon 2 (Go) matched them; a key in another case is
   accepted with a warning. An unknown key is a warning that names the nearest known key
   (\`unknown config key "NUM_WORKER" (did you mean "NUM_WORKERS"?)\`), so a typo never passes
   silently.
3. Non-empty \`DB_HOST\`, \`DB_PORT\`, \`DB_USER\`, \`DB_PASSWORD\` and \`DB_NAME\` environment
   variables replace the file's values.
4. \`DB_UPDATES_ENABLE\` sets \`LEGACY_STATUS_PROJECTION_ENABLE\` only when the file does not set the
   new key.
5. A blank \`DASHBOARD_BIND_ADDR\` becomes \`127.0.0.1\`.
6. Validation. The first problem stops the load, with one of these prefixes:
   - \`open config: <path>: ...\` the file cannot be read;
   - \`parse config: <path>: line L, column C: ...\` the file is not JSON (JSON has no comments);
   - \`invalid config: <KEY>: got <value>, expected <what>\` a wrong type or a value out of range
     (secrets show only their type);
   - \`invalid config: <rule>\` one of Jetmon 2's rules, checked in this order:
     \`AUTH_TOKEN is required\`; \`NUM_WORKERS must be > 0\`; \`BUCKET_TOTAL must be > 0\`;
     \`BUCKET_TARGET must be between 1 and BUCKET_TOTAL\`;
     \`PINNED_BUCKET_MIN and PINNED_BUCKET_MAX must be set together\`;
     \`BUCKET_NO_MIN and BUCKET_NO_MAX must be set together\`;
     \`PINNED_BUCKET_* conflicts with legacy BUCKET_NO_* range\`; \`pinned bucket min must be >= 0\`;
     \`pinned bucket max must be >= min\`; \`pinned bucket max must be < BUCKET_TOTAL\`;
     \`NET_COMMS_TIMEOUT must be > 0\`; \`LOG_FORMAT must be 'text' or 'json'\`;
     \`SMTP_HOST is required when EMAIL_TRANSPORT is 'smtp'\`;
     \`SMTP_PORT must be > 0 when EMAIL_TRANSPORT is 'smtp'\`;
     \`WPCOM_EMAIL_ENDPOINT is required when EMAIL_TRANSPORT is 'wpcom'\`;
     \`EMAIL_TRANSPORT must be one of: stub, smtp, wpcom\`;
     \`VERIFIERS[i] (<name>): host is required\`; \`VERIFIERS[i] (<name>): port is required\`.
     Type errors come before these rules, range errors after them.
7. Warnings (the load still succeeds): unknown keys, keys in another case, deprecated keys,
   values that look like an unreplaced \`<PLACEHOLDER>\`, a verifier without \`auth_token\`,
   \`LOG_FORMAT\` \`text\`.

## Reload

\`jetmon2 reload\` (SIGHUP) re-reads the same file. If it fails to load, the running config stays
in place and the error is logged (\`config reload failed\`). Otherwise the new config replaces the
old one at once. Keys marked **applies** take effect in the running process (at the next
scheduling pass for the monitor); keys marked **restart** are read only at startup, and a reload
that changes one logs \`config change needs a restart\` with the keys.

## How often a site is checked

- \`CHECK_INTERVAL_SEC\` > 0: every site, every \`CHECK_INTERVAL_SEC\` seconds.
- else \`USE_VARIABLE_CHECK_INTERVALS\` true: every \`max(check_interval, 1)\` minutes (the site's
  column), but never more often than \`MIN_TIME_BETWEEN_ROUNDS_SEC\`.
- else: every \`MIN_TIME_BETWEEN_ROUNDS_SEC\` seconds (Jetmon 2's round period; 300 by default).

A site that has failed fewer than \`NUM_OF_CHECKS\` times in a row is retried after
\`TIME_BETWEEN_CHECKS_SEC\` instead.
`;

const DEPRECATED_NOTE = `Accepted so a Jetmon 2 config file loads unchanged; each one present in the file logs a
deprecation warning and changes nothing.
`;

const OUTRO = `## Verifier entries

Each \`VERIFIERS\` entry is \`{"name", "host", "port", "auth_token"}\`:

| Field | Meaning |
|---|---|
| \`name\` | Shown in logs and on the dashboard; unnamed entries show as \`verifier #i\`. |
| \`host\` | Required. |
| \`port\` | Required, 1 to 65535, as a number or a numeric string (\`"7803"\`). A leftover sample placeholder such as \`"<VERIFLIER_PORT>"\` is an error. \`grpc_port\` is a deprecated alias; \`port\` wins. |
| \`auth_token\` | Sent as \`Authorization: Bearer <auth_token>\`. The veriflier refuses an empty token, so an empty one is a warning. |

## Environment variables

| Variable | Default | Meaning |
|---|---|---|
| \`JETMON_CONFIG\` | \`config/config.json\` | The config file, when \`--config\` is not given. |
| \`JETMON_PID_FILE\` | \`/run/jetmon2/jetmon2.pid\` | Written by the monitor; read by \`drain\`, \`reload\` and \`status\`. |
| \`DB_HOST\`, \`DB_PORT\`, \`DB_USER\`, \`DB_PASSWORD\`, \`DB_NAME\` | \`localhost\`, \`3306\`, \`root\`, empty, \`jetmon_db\` | Override the file's \`DB_*\` keys. |
| \`JETMON_HOSTNAME\` | the OS hostname | This host's identity for every mode and subcommand: bucket claims, heartbeat rows, delivery ownership, the rollout gates, \`validate-config\`, log lines. |

An empty environment value counts as unset.

## Veriflier (\`--mode=veriflier\`)

The veriflier reads its own small file, not the monitor's: \`--config PATH\`, else
\`VERIFLIER_CONFIG\`, else \`config/veriflier.json\` when it exists (a \`--config\` file that does
not exist is an error). File fields are lower case; each \`VERIFLIER_*\` variable overrides its field.

| Variable | File field | Default | Meaning |
|---|---|---|---|
| \`VERIFLIER_CONFIG\` | | \`config/veriflier.json\` | The file, when \`--config\` is not given. |
| \`VERIFLIER_AUTH_TOKEN\` | \`auth_token\` | none (required) | Bearer token monitors send; an empty token refuses to start. |
| \`VERIFLIER_PORT\` | \`port\` | \`7803\` | Listen port. \`VERIFLIER_GRPC_PORT\` / \`grpc_port\` are deprecated aliases. |
| \`VERIFLIER_BIND_ADDR\` | \`bind_addr\` | empty: every interface | Listen address, e.g. \`10.0.0.5\` or \`127.0.0.1\`. |
| \`VERIFLIER_CHECK_CONCURRENCY\` | \`check_concurrency\` | \`100\` | Sites checked at once. |
| \`STATSD_ADDR\` | | empty: off | StatsD host:port for the veriflier's own metrics. |

## Checking a config

\`jetmon2 validate-config [--host=<host>] [--require-owner-match] [--require-email-delivery]
[--require-api-disabled]\` loads the config, connects to MySQL (3 attempts), reports pending
migrations, probes each verifier (\`GET /status\`, 3 s) and the SMTP server, and prints
\`PASS\`/\`WARN\`/\`FAIL\`/\`INFO\` lines followed by \`validate-config: N pass, N warn, N fail\` and, when
nothing failed, Go's closing \`validation passed\`. It exits 1 when any line is FAIL; WARN lines never
change the exit code.
`;
