import { describe, expect, test } from "bun:test";
import { CONFIG_KEYS, defaultConfig, GROUPS, keySchema, reloadPolicy } from "../../src/config/schema.ts";

describe("schema", () => {
  test("every key is upper case and carries a group, a reload policy and a description", () => {
    for (const key of CONFIG_KEYS) {
      const s = keySchema(key);
      expect(key).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(GROUPS).toContain(s.group);
      expect(["applies", "restart"]).toContain(s.reload);
      expect(s.description.length).toBeGreaterThan(10);
      expect("default" in s).toBe(true);
    }
  });

  test("defaults of reference §8.2 (LOG_FORMAT json: what this build emits)", () => {
    expect(defaultConfig()).toMatchObject({
      DEBUG: false,
      NUM_WORKERS: 60,
      NUM_TO_PROCESS: 40,
      DATASET_SIZE: 100,
      WORKER_MAX_MEM_MB: 53,
      LEGACY_STATUS_PROJECTION_ENABLE: true,
      DB_UPDATES_ENABLE: false,
      BUCKET_TOTAL: 1000,
      BUCKET_TARGET: 500,
      BUCKET_HEARTBEAT_GRACE_SEC: 600,
      PINNED_BUCKET_MIN: null,
      PINNED_BUCKET_MAX: null,
      BUCKET_NO_MIN: null,
      BUCKET_NO_MAX: null,
      BATCH_SIZE: 32,
      AUTH_TOKEN: "",
      VERIFLIER_BATCH_SIZE: 200,
      SQL_UPDATE_BATCH: 1,
      DB_CONFIG_UPDATES_MIN: 10,
      PEER_OFFLINE_LIMIT: 3,
      NUM_OF_CHECKS: 3,
      TIME_BETWEEN_CHECKS_SEC: 30,
      ALERT_COOLDOWN_MINUTES: 30,
      STATS_UPDATE_INTERVAL_MS: 10000,
      STATSD_SEND_MEM_USAGE: false,
      TIME_BETWEEN_NOTICES_MIN: 59,
      MIN_TIME_BETWEEN_ROUNDS_SEC: 300,
      NET_COMMS_TIMEOUT: 10,
      USE_VARIABLE_CHECK_INTERVALS: false,
      LOG_FORMAT: "json",
      DASHBOARD_PORT: 8080,
      DASHBOARD_BIND_ADDR: "127.0.0.1",
      DEBUG_PORT: 6060,
      API_PORT: 0,
      DELIVERY_OWNER_HOST: "",
      EMAIL_TRANSPORT: "stub",
      EMAIL_FROM: "jetmon@noreply.invalid",
      WPCOM_EMAIL_ENDPOINT: "",
      WPCOM_EMAIL_AUTH_TOKEN: "",
      SMTP_HOST: "",
      SMTP_PORT: 0,
      SMTP_USERNAME: "",
      SMTP_PASSWORD: "",
      SMTP_USE_TLS: false,
      VERIFIERS: [],
      // keys this project adds
      CHECK_INTERVAL_SEC: 0,
      SITE_REFRESH_INTERVAL_SEC: 30,
      CHECK_HISTORY_RETENTION_HOURS: 72,
      CHECK_HISTORY_MODE: "all",
      CHECK_HISTORY_SAMPLE_MIN: 15,
      STATSD_ADDR: "127.0.0.1:8125",
      WPCOM_STATUS_ENDPOINT: "https://public-api.wordpress.com/wpcom/v2/jetpack-monitor/status-change",
      DELIVERY_REPLAY_FROM: -1,
      FLEET_RETAIN_STOPPED_HOURS: 24,
      PAGERDUTY_EVENTS_ENDPOINT: "https://events.pagerduty.com/v2/enqueue",
      DB_HOST: "localhost",
      DB_PORT: 3306,
      DB_USER: "root",
      DB_PASSWORD: "",
      DB_NAME: "jetmon_db",
    });
  });

  test("defaultConfig returns a fresh copy each time", () => {
    const a = defaultConfig();
    a.VERIFIERS.push({ name: "", host: "h", port: 1, auth_token: "" });
    expect(defaultConfig().VERIFIERS).toEqual([]);
  });

  test("reload policy follows Jetmon 2: token and buckets need a restart, pool size and verifiers apply", () => {
    expect(reloadPolicy("AUTH_TOKEN")).toBe("restart");
    expect(reloadPolicy("BUCKET_TOTAL")).toBe("restart");
    expect(reloadPolicy("STATS_UPDATE_INTERVAL_MS")).toBe("restart");
    expect(reloadPolicy("NUM_WORKERS")).toBe("applies");
    expect(reloadPolicy("VERIFIERS")).toBe("applies");
  });
});
