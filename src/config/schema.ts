import { type Static, type TSchema, Type } from "@sinclair/typebox";

/**
 * The one source of configuration keys: type, default, range, meaning and whether a
 * reload (SIGHUP) applies a change. load.ts validates against it, scripts/gen-config-docs.ts
 * renders docs/configuration.md from it.
 *
 * Annotations on every key besides TypeBox's own (`default`, `minimum`, `maximum`, `pattern`):
 * - `reload`: "applies" when a reload takes effect in the running process, "restart" when
 *   the process reads the key only at startup.
 * - `group`: the docs section.
 * - `expect`: how an error message describes a valid value, when the type alone does not say.
 * - `allowed`: the values a string key accepts (checked by the rules in validate.ts).
 * - `deprecated`: why the key is accepted but warned about.
 */
export type Reload = "applies" | "restart";

export const GROUPS = [
  "Checks and scheduling",
  "Buckets and ownership",
  "Incidents, verifiers and WPCOM",
  "Dashboard and ports",
  "Delivery and alerting",
  "Metrics and logging",
  "Database",
  "Deprecated",
] as const;
export type Group = (typeof GROUPS)[number];

interface KeyOptions {
  group: Group;
  reload: Reload;
  description: string;
  expect?: string;
  allowed?: readonly string[];
  deprecated?: string;
  pattern?: string;
}

/** What every key schema carries, for code that walks the schema. */
export interface KeyAnnotations extends KeyOptions {
  default: unknown;
}

const int = (def: number, minimum: number, maximum: number, o: KeyOptions) =>
  Type.Integer({ default: def, minimum, maximum, ...o });
const bool = (def: boolean, o: KeyOptions) => Type.Boolean({ default: def, ...o });
const str = (def: string, o: KeyOptions) => Type.String({ default: def, ...o });
const optionalBucket = (o: KeyOptions) =>
  Type.Union([Type.Integer(), Type.Null()], { default: null, expect: "an integer or null", ...o });
const ignored = (def: number, deprecated: string) =>
  Type.Integer({
    default: def,
    group: "Deprecated",
    reload: "applies",
    description: `Accepted for compatibility with Jetmon 2 config files and ignored. ${deprecated}`,
    deprecated: `it is ignored (${deprecated.replace(/\.$/, "")})`,
  });

const URL_PATTERN = "^https?://[^\\s]+$";
const PORT_MAX = 65535;

/** One verifier after normalisation: `port` is a number (0 only when missing, which validation refuses). */
export const VerifierSchema = Type.Object(
  {
    name: Type.String({ default: "" }),
    host: Type.String({ default: "" }),
    port: Type.Integer({ minimum: 0, maximum: PORT_MAX, expect: "a port number 1-65535" }),
    auth_token: Type.String({ default: "" }),
  },
  { additionalProperties: false },
);
export type Verifier = Static<typeof VerifierSchema>;

/**
 * Field names of a verifier as written in the file. `port` may be a number or a numeric string
 * (the Go sample writes a string); `grpc_port` is the deprecated alias, and `port` wins.
 */
export const VERIFIER_KEYS = ["name", "host", "port", "grpc_port", "auth_token"] as const;

export const ConfigSchema = Type.Object(
  {
    // --- Checks and scheduling ---------------------------------------------------------
    NUM_WORKERS: int(60, 1, 10000, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "Checks in flight at once (the check pool size). Bun's fetch allows 256 requests in flight " +
        "unless BUN_CONFIG_MAX_HTTP_REQUESTS is raised, and that variable is read at process start.",
    }),
    DATASET_SIZE: int(100, 1, 100000, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "Most sites the scheduler dispatches in one tick, so a cold start or a long pause does not " +
        "flood the pool at once. Due sites left over go first at the next tick.",
    }),
    NET_COMMS_TIMEOUT: int(10, 1, 120, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "Default check timeout in seconds, for sites whose timeout_seconds is NULL. A result is " +
        "collected at most this plus 5 seconds after dispatch.",
    }),
    CHECK_INTERVAL_SEC: int(0, 0, 86400, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "When > 0, every site is checked this often (seconds), whatever its check_interval, " +
        "USE_VARIABLE_CHECK_INTERVALS and MIN_TIME_BETWEEN_ROUNDS_SEC say. 0 turns the override off.",
    }),
    USE_VARIABLE_CHECK_INTERVALS: bool(false, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "true: each site is checked every check_interval minutes (at least 1), but never more often " +
        "than MIN_TIME_BETWEEN_ROUNDS_SEC. false: every site is checked every MIN_TIME_BETWEEN_ROUNDS_SEC.",
    }),
    MIN_TIME_BETWEEN_ROUNDS_SEC: int(300, 1, 86400, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "The fleet check interval in seconds. Jetmon 2 checked in rounds at most this often; the " +
        "continuous scheduler keeps the meaning per site: the interval of every site when " +
        "USE_VARIABLE_CHECK_INTERVALS is false, and the floor under a site's own check_interval when " +
        "it is true. Ignored when CHECK_INTERVAL_SEC > 0.",
    }),
    SITE_REFRESH_INTERVAL_SEC: int(30, 1, 3600, {
      group: "Checks and scheduling",
      reload: "restart",
      description:
        "How often the monitor re-reads its buckets' sites from jetpack_monitor_sites (seconds): a " +
        "site created, patched, paused or deleted by SQL or the API is checked, changed or dropped " +
        "within one such refresh.",
    }),
    TIME_BETWEEN_CHECKS_SEC: int(30, 1, 3600, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "Retry spacing: a site that failed but has not yet failed NUM_OF_CHECKS times in a row is " +
        "checked again this many seconds later instead of a whole interval later.",
    }),
    NUM_OF_CHECKS: int(3, 1, 20, {
      group: "Checks and scheduling",
      reload: "applies",
      description: "Consecutive local failures before the verifiers are asked to confirm a site is down.",
    }),
    CHECK_HISTORY_RETENTION_HOURS: int(72, 0, 87600, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "Rows of jetmon_check_history older than this are pruned in small batches. 0 keeps everything.",
    }),
    CHECK_HISTORY_MODE: str("all", {
      group: "Checks and scheduling",
      reload: "applies",
      allowed: ["all", "changes", "off"],
      description:
        "Which check results become jetmon_check_history rows. all: every check. changes: failures, " +
        "state changes (down/up, another error code or HTTP status class) and one sample per site per " +
        "CHECK_HISTORY_SAMPLE_MIN minutes. off: none. last_checked_at is written for every check in " +
        "every mode; a reload applies from the next result.",
    }),
    CHECK_HISTORY_SAMPLE_MIN: int(15, 1, 1440, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "With CHECK_HISTORY_MODE=changes, a site whose result did not change still gets one history row " +
        "when this many minutes passed since its last one.",
    }),
    WORKER_MAX_MEM_MB: int(53, -1, 1048576, {
      group: "Checks and scheduling",
      reload: "applies",
      description:
        "Memory-pressure threshold in MB of JS heap: above it the monitor shrinks the check pool by " +
        "a tenth until the next scheduling pass restores NUM_WORKERS. 0 or -1 disables it. The " +
        "default is Jetmon 2's and is low for a busy host.",
    }),

    // --- Buckets and ownership ---------------------------------------------------------
    BUCKET_TOTAL: int(1000, 1, 65536, {
      group: "Buckets and ownership",
      reload: "restart",
      description: "Number of buckets sites are spread over (bucket_no is 0 to BUCKET_TOTAL-1).",
    }),
    BUCKET_TARGET: int(500, 1, 65536, {
      group: "Buckets and ownership",
      reload: "applies",
      description:
        "Most buckets one host claims in dynamic mode (the water-fill cap); between 1 and " +
        "BUCKET_TOTAL. Hosts x BUCKET_TARGET below BUCKET_TOTAL leaves buckets uncovered.",
    }),
    BUCKET_HEARTBEAT_GRACE_SEC: int(600, 1, 86400, {
      group: "Buckets and ownership",
      reload: "applies",
      description:
        "A host whose heartbeat is older than this is dead: its buckets go to the living hosts, " +
        "and the fleet dashboard calls its processes stale.",
    }),
    PINNED_BUCKET_MIN: optionalBucket({
      group: "Buckets and ownership",
      reload: "restart",
      description:
        "First bucket of a pinned range. With PINNED_BUCKET_MAX it pins this host to the range " +
        "and skips jetmon_hosts; both null means dynamic ownership.",
    }),
    PINNED_BUCKET_MAX: optionalBucket({
      group: "Buckets and ownership",
      reload: "restart",
      description: "Last bucket of a pinned range (inclusive, below BUCKET_TOTAL).",
    }),
    BUCKET_NO_MIN: optionalBucket({
      group: "Buckets and ownership",
      reload: "restart",
      description: "Legacy name for PINNED_BUCKET_MIN. If both pairs are set they must agree.",
      deprecated: "use PINNED_BUCKET_MIN",
    }),
    BUCKET_NO_MAX: optionalBucket({
      group: "Buckets and ownership",
      reload: "restart",
      description: "Legacy name for PINNED_BUCKET_MAX.",
      deprecated: "use PINNED_BUCKET_MAX",
    }),

    // --- Incidents, verifiers and WPCOM ------------------------------------------------
    AUTH_TOKEN: str("", {
      group: "Incidents, verifiers and WPCOM",
      reload: "restart",
      description: "Bearer token for WPCOM status-change notifications. Required.",
    }),
    WPCOM_STATUS_ENDPOINT: str("https://public-api.wordpress.com/wpcom/v2/jetpack-monitor/status-change", {
      group: "Incidents, verifiers and WPCOM",
      reload: "restart",
      description: "Where status-change notifications are POSTed.",
      pattern: URL_PATTERN,
      expect: "an http:// or https:// URL",
    }),
    PEER_OFFLINE_LIMIT: int(3, 1, 100, {
      group: "Incidents, verifiers and WPCOM",
      reload: "applies",
      description:
        "Verifier quorum ceiling: a site is confirmed down when max(1, min(PEER_OFFLINE_LIMIT, " +
        "healthy verifiers)) verifiers agree.",
    }),
    ALERT_COOLDOWN_MINUTES: int(30, 0, 10080, {
      group: "Incidents, verifiers and WPCOM",
      reload: "applies",
      description: "Default minimum time between two notifications for one site (a site's own value wins).",
    }),
    LEGACY_STATUS_PROJECTION_ENABLE: bool(true, {
      group: "Incidents, verifiers and WPCOM",
      reload: "applies",
      description:
        "Also write the legacy site_status / last_status_change columns in the event transaction, " +
        "and run the projection drift check.",
    }),
    DB_UPDATES_ENABLE: bool(false, {
      group: "Incidents, verifiers and WPCOM",
      reload: "applies",
      description:
        "Old name for LEGACY_STATUS_PROJECTION_ENABLE, used only when the file does not set the new key.",
      deprecated: "use LEGACY_STATUS_PROJECTION_ENABLE",
    }),
    VERIFIERS: Type.Array(VerifierSchema, {
      default: [],
      group: "Incidents, verifiers and WPCOM",
      reload: "applies",
      expect: "a list of {name, host, port, auth_token}",
      description:
        "Remote verifiers asked to confirm a down site: a list of {name, host, port, auth_token}. " +
        "port is a number or a numeric string; grpc_port is accepted as a deprecated alias. Empty " +
        "list: failures are confirmed without a second opinion.",
    }),

    // --- Dashboard and ports -----------------------------------------------------------
    DASHBOARD_PORT: int(8080, 0, PORT_MAX, {
      group: "Dashboard and ports",
      reload: "restart",
      description: "Host dashboard port. 0 disables the dashboard.",
    }),
    DASHBOARD_BIND_ADDR: str("127.0.0.1", {
      group: "Dashboard and ports",
      reload: "restart",
      description:
        "Address the dashboard listens on; blank means 127.0.0.1. The dashboard has no " +
        "authentication: any non-loopback address logs a warning at startup and in validate-config.",
    }),
    API_PORT: int(0, 0, PORT_MAX, {
      group: "Dashboard and ports",
      reload: "restart",
      description:
        "Internal API port; 0 disables it. In monitor mode delivery workers run embedded only when " +
        "this is > 0 (and DELIVERY_OWNER_HOST allows this host).",
    }),
    API_BIND_ADDR: str("127.0.0.1", {
      group: "Dashboard and ports",
      reload: "restart",
      description:
        "Address the internal API (/api/v1, served by --mode=monitor when API_PORT > 0) listens on; " +
        "blank means 127.0.0.1. Any non-loopback address logs a warning at startup.",
    }),
    FLEET_RETAIN_STOPPED_HOURS: int(24, 0, 8760, {
      group: "Dashboard and ports",
      reload: "applies",
      description:
        "The fleet dashboard hides processes that wrote `stopped` longer ago than this, so a clean " +
        "decommission does not stay on the page. 0 hides them at once.",
    }),

    // --- Delivery and alerting ---------------------------------------------------------
    DELIVERY_OWNER_HOST: str("", {
      group: "Delivery and alerting",
      reload: "restart",
      description:
        "The one host allowed to run delivery workers (compared with the OS hostname after " +
        "trimming). Empty: every eligible host runs them. A reload updates the dashboard's config " +
        "eligibility but starts or stops no workers.",
    }),
    DELIVERY_REPLAY_FROM: int(-1, -1, Number.MAX_SAFE_INTEGER, {
      group: "Delivery and alerting",
      reload: "restart",
      expect: "-1, 0 or a transition id",
      description:
        "Where a delivery instance with no saved progress starts reading jetmon_event_transitions: " +
        "-1 at the current maximum id (no replay), 0 from the beginning, N after transition N.",
    }),
    EMAIL_TRANSPORT: str("stub", {
      group: "Delivery and alerting",
      reload: "restart",
      allowed: ["stub", "smtp", "wpcom"],
      description:
        'How alert-contact email is sent: stub (logged, not delivered; "" means stub), smtp or wpcom.',
    }),
    EMAIL_FROM: str("jetmon@noreply.invalid", {
      group: "Delivery and alerting",
      reload: "restart",
      description: "From address of alert-contact email.",
    }),
    WPCOM_EMAIL_ENDPOINT: str("", {
      group: "Delivery and alerting",
      reload: "restart",
      description: "WPCOM email API URL; required when EMAIL_TRANSPORT is wpcom.",
    }),
    WPCOM_EMAIL_AUTH_TOKEN: str("", {
      group: "Delivery and alerting",
      reload: "restart",
      description: "Bearer token for WPCOM_EMAIL_ENDPOINT.",
    }),
    SMTP_HOST: str("", {
      group: "Delivery and alerting",
      reload: "restart",
      description: "SMTP server; required when EMAIL_TRANSPORT is smtp.",
    }),
    SMTP_PORT: int(0, 0, PORT_MAX, {
      group: "Delivery and alerting",
      reload: "restart",
      description: "SMTP port; must be > 0 when EMAIL_TRANSPORT is smtp.",
    }),
    SMTP_USERNAME: str("", {
      group: "Delivery and alerting",
      reload: "restart",
      description: "SMTP login; empty sends without authentication.",
    }),
    SMTP_PASSWORD: str("", {
      group: "Delivery and alerting",
      reload: "restart",
      description: "SMTP password.",
    }),
    SMTP_USE_TLS: bool(false, {
      group: "Delivery and alerting",
      reload: "restart",
      description: "Upgrade the SMTP connection with STARTTLS.",
    }),
    PAGERDUTY_EVENTS_ENDPOINT: str("https://events.pagerduty.com/v2/enqueue", {
      group: "Delivery and alerting",
      reload: "restart",
      description:
        "PagerDuty Events v2 URL for pagerduty alert contacts. Slack and Teams contacts carry their " +
        "own webhook_url.",
      pattern: URL_PATTERN,
      expect: "an http:// or https:// URL",
    }),

    // --- Metrics and logging -----------------------------------------------------------
    STATSD_ADDR: str("127.0.0.1:8125", {
      group: "Metrics and logging",
      reload: "restart",
      description:
        'StatsD (UDP) host:port. "" disables StatsD. StatsD being down never slows checking. A name that does not resolve is looked up again every 10 s (metrics meanwhile dropped and counted in `statsd send failed`), not once per metric; a resolved address is kept 60 s.',
      pattern: "^$|^[^\\s]+:[0-9]{1,5}$",
      expect: 'host:port, or "" to disable',
    }),
    STATSD_SEND_MEM_USAGE: bool(false, {
      group: "Metrics and logging",
      reload: "applies",
      description: "Also send process memory gauges to StatsD.",
    }),
    STATS_UPDATE_INTERVAL_MS: int(10000, 100, 3600000, {
      group: "Metrics and logging",
      reload: "restart",
      description: "How often the host snapshot and the jetmon_process_health heartbeat are published.",
    }),
    LOG_DIR: str("logs", {
      group: "Metrics and logging",
      reload: "restart",
      description:
        "Folder the disk:logs probe watches (free space, writable); created at start. Relative to the " +
        'working directory. Logs themselves go to stdout. "" turns the probe off (disabled).',
    }),
    STATS_DIR: str("stats", {
      group: "Metrics and logging",
      reload: "restart",
      description:
        "Folder for the sitespersec/sitesqueue/totals files (written while StatsD is on) and the " +
        'disk:stats probe; created at start. Relative to the working directory. "" turns both off.',
    }),
    LOG_FORMAT: str("json", {
      group: "Metrics and logging",
      reload: "restart",
      allowed: ["json", "text"],
      description:
        "Logs are always JSON lines (one event per line). text is accepted for Jetmon 2 config files " +
        "with a warning.",
    }),
    DEBUG: bool(false, {
      group: "Metrics and logging",
      reload: "applies",
      description: "Log at debug level.",
    }),

    // --- Database ------------------------------------------------------------------------
    DB_HOST: str("localhost", {
      group: "Database",
      reload: "restart",
      description: "MySQL host. The DB_HOST environment variable overrides it.",
    }),
    DB_PORT: int(3306, 1, PORT_MAX, {
      group: "Database",
      reload: "restart",
      description: "MySQL port. The DB_PORT environment variable overrides it.",
    }),
    DB_USER: str("root", {
      group: "Database",
      reload: "restart",
      description: "MySQL user. The DB_USER environment variable overrides it.",
    }),
    DB_PASSWORD: str("", {
      group: "Database",
      reload: "restart",
      description: "MySQL password. The DB_PASSWORD environment variable overrides it.",
    }),
    DB_NAME: str("jetmon_db", {
      group: "Database",
      reload: "restart",
      description: "MySQL database. The DB_NAME environment variable overrides it.",
    }),
    DB_QUERY_TIMEOUT_MS: int(10000, 0, 600000, {
      group: "Database",
      reload: "restart",
      description:
        "Every statement the monitor and the deliverer run gives up after this long and its connection " +
        "is closed; a result write that times out counts as MySQL unreachable (checks pause, results " +
        "are held). The connect timeout follows it (1-10 s). 0 waits forever.",
    }),
    HELD_RESULTS_MAX: int(50000, 100, 10000000, {
      group: "Database",
      reload: "applies",
      description:
        "Most check results held in memory while MySQL refuses writes; at this count dispatch pauses " +
        "until writes succeed again. Also the most a shutdown spools to the journal.",
    }),
    DATA_DIR: str("data", {
      group: "Database",
      reload: "restart",
      description:
        "Directory for local state: held check results are spooled to held-results.journal here when " +
        "a shutdown cannot write them, and replayed at the next start. Relative paths are from the " +
        "working directory.",
    }),

    // --- Deprecated ----------------------------------------------------------------------
    NUM_TO_PROCESS: ignored(40, "Jetmon 2 never read it."),
    BATCH_SIZE: ignored(32, "Jetmon 2's monitor never read it."),
    VERIFLIER_BATCH_SIZE: ignored(200, "a verifier is asked about one site at a time."),
    SQL_UPDATE_BATCH: ignored(1, "results are always written in batches."),
    DB_CONFIG_UPDATES_MIN: ignored(10, "Jetmon 2 never read it."),
    TIME_BETWEEN_NOTICES_MIN: ignored(59, "ALERT_COOLDOWN_MINUTES limits repeat notifications."),
    DEBUG_PORT: ignored(6060, "there is no pprof endpoint in the Bun build."),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type ConfigKey = keyof Config & string;

export const CONFIG_KEYS = Object.keys(ConfigSchema.properties) as ConfigKey[];

/** The schema of one key, with its annotations. */
export function keySchema(key: ConfigKey): TSchema & KeyAnnotations {
  return ConfigSchema.properties[key] as unknown as TSchema & KeyAnnotations;
}

/** Whether a reload applies a change to `key` or the process must restart. */
export function reloadPolicy(key: ConfigKey): Reload {
  return keySchema(key).reload;
}

/** Every key at its default. AUTH_TOKEN is empty, so the result does not validate as is. */
export function defaultConfig(): Config {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) out[key] = structuredClone(keySchema(key).default);
  return out as Config;
}
