/**
 * The demo behind scripts/demo: every piece is a real process or server on 127.0.0.0/8.
 *   - fixture sites (test/support/sites.ts): five up, one down, one flapping every 90 s
 *   - two verifiers: dist/jetmon2 --mode=veriflier
 *   - a WPCOM receiver that logs each notification it gets
 *   - dist/jetmon2 --mode=monitor on database jetmon_demo, dashboard on 127.0.0.1:8080
 */

import { createSocket } from "node:dgram";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { parseDsn } from "../src/db/pool.ts";
import { startSiteFixture } from "../test/support/sites.ts";

const BIN = join(import.meta.dir, "..", "dist", "jetmon2");
const durationArg = process.argv.find((a) => a.startsWith("--duration="));
const durationSec = durationArg ? Number(durationArg.split("=")[1]) : 0;
const dashboardPort = Number(process.env.DEMO_DASHBOARD_PORT || 8080);
const server = parseDsn(process.env.JETMON_TEST_DSN || "mysql://root:@127.0.0.1:3306/");
const dbName = process.env.DEMO_DB_NAME || "jetmon_demo";
const dir = mkdtempSync(join(tmpdir(), "jetmon2-demo-"));
const say = (line: string) => console.log(`[demo] ${line}`);

// 1. Database: fresh, migrated by the binary itself.
const admin = await mysql.createConnection({ ...server, database: undefined });
await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4`);
await admin.end();
const dbEnv = {
  DB_HOST: server.host,
  DB_PORT: String(server.port),
  DB_USER: server.user,
  DB_PASSWORD: server.password,
  DB_NAME: dbName,
};
const migrate = Bun.spawnSync([BIN, "migrate"], { env: { ...process.env, ...dbEnv } });
if (migrate.exitCode !== 0) throw new Error(`migrate failed: ${migrate.stderr.toString()}`);
say(`database ${dbName} migrated`);

// 2. Fixture sites.
const sites = await startSiteFixture({ addresses: 8 });
const names = ["up-1", "up-2", "up-3", "up-4", "up-5", "down", "flapping"];
for (const n of names.slice(0, 5)) sites.set(n, { kind: "ok", body: `welcome to ${n}` });
sites.set("down", { kind: "status", status: 500, body: "database error" });
sites.set("flapping", { kind: "ok", body: "welcome" });
let flapUp = true;
const flapper = setInterval(() => {
  flapUp = !flapUp;
  sites.set("flapping", flapUp ? { kind: "ok", body: "welcome" } : { kind: "status", status: 503 });
  say(`flapping site is now ${flapUp ? "up" : "down (503)"}`);
}, 90_000);

const conn = await mysql.createConnection({ ...server, database: dbName });
for (const [i, n] of names.entries()) {
  await conn.query(
    "INSERT INTO jetpack_monitor_sites (blog_id, bucket_no, monitor_url, monitor_active, check_interval) VALUES (?, ?, ?, 1, 1)",
    [1000 + i, i * 10, sites.url(n)],
  );
}
await conn.end();
say(`seeded ${names.length} sites (blog_id 1000-${999 + names.length})`);

// 3. WPCOM receiver.
const wpcomLog = join(dir, "wpcom.log");
const wpcom = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const body = await req.text();
    appendFileSync(wpcomLog, `${body}\n`);
    say(`WPCOM received: ${body}`);
    return Response.json({ ok: true });
  },
});

// A StatsD sink, so metrics have somewhere to go; it counts what arrives.
const statsd = createSocket("udp4");
let statsdLines = 0;
statsd.on("message", (msg) => {
  statsdLines += msg.toString().split("\n").filter(Boolean).length;
});
await new Promise<void>((r) => statsd.bind(0, "127.0.0.1", r));
const statsdPort = statsd.address().port;

// 4. Two verifiers.
const children: ReturnType<typeof Bun.spawn>[] = [];
const verifierPorts = [17801, 17802];
for (const port of verifierPorts) {
  children.push(
    Bun.spawn([BIN, "--mode=veriflier"], {
      env: {
        ...process.env,
        VERIFLIER_PORT: String(port),
        VERIFLIER_AUTH_TOKEN: "demo-verifier-token",
        VERIFLIER_CONFIG: join(dir, "none.json"),
      },
      stdout: Bun.file(join(dir, `veriflier-${port}.log`)),
      stderr: Bun.file(join(dir, `veriflier-${port}.err`)),
    }),
  );
}

// 5. The monitor.
const configPath = join(dir, "config.json");
writeFileSync(
  configPath,
  JSON.stringify(
    {
      AUTH_TOKEN: "demo-wpcom-token",
      WPCOM_STATUS_ENDPOINT: `http://127.0.0.1:${wpcom.port}/status-change`,
      CHECK_INTERVAL_SEC: 30,
      TIME_BETWEEN_CHECKS_SEC: 5,
      NUM_OF_CHECKS: 2,
      NET_COMMS_TIMEOUT: 5,
      PEER_OFFLINE_LIMIT: 2,
      ALERT_COOLDOWN_MINUTES: 1,
      STATS_UPDATE_INTERVAL_MS: 2000,
      DASHBOARD_PORT: dashboardPort,
      // One demo host owns every bucket; with the default target of 500 half would be uncovered (red).
      BUCKET_TARGET: 1000,
      STATSD_ADDR: `127.0.0.1:${statsdPort}`,
      VERIFIERS: verifierPorts.map((port, i) => ({
        name: `demo-verifier-${i + 1}`,
        host: "127.0.0.1",
        port,
        auth_token: "demo-verifier-token",
      })),
      ...dbEnv,
      DB_PORT: server.port,
    },
    null,
    2,
  ),
);
const monitorLog = join(dir, "monitor.log");
const monitor = Bun.spawn([BIN, "--mode=monitor", "--config", configPath], {
  env: { ...process.env, ...dbEnv, JETMON_PID_FILE: join(dir, "jetmon2.pid") },
  stdout: Bun.file(monitorLog),
  stderr: "inherit",
});
children.push(monitor);

console.log(`
jetmon2 demo is running (files in ${dir})
  host dashboard   http://127.0.0.1:${dashboardPort}/
  fleet dashboard  http://127.0.0.1:${dashboardPort}/fleet
  host JSON        curl -s http://127.0.0.1:${dashboardPort}/api/host
  monitor log      tail -f ${monitorLog}      (pino JSON, one event per line)
  WPCOM receiver   tail -f ${wpcomLog}
  config           ${configPath}
  status           JETMON_PID_FILE=${join(dir, "jetmon2.pid")} ${BIN} status --config ${configPath}
  gates            DB_NAME=${dbName} ${BIN} rollout state-report --config ${configPath}
The "down" site goes Seems Down, is confirmed by both verifiers and WPCOM hears about it;
"flapping" switches every 90 s. Ctrl-C drains the monitor and stops everything.
`);

let stopping = false;
async function stop(reason: string) {
  if (stopping) return;
  stopping = true;
  say(`stopping (${reason})`);
  clearInterval(flapper);
  monitor.kill("SIGTERM");
  const code = await monitor.exited;
  say(`monitor exited with ${code}`);
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
  wpcom.stop(true);
  statsd.close();
  say(`StatsD sink received ${statsdLines} metric lines`);
  await sites.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
monitor.exited.then((code) => {
  if (!stopping) {
    say(`monitor exited unexpectedly with ${code}; see ${monitorLog}`);
    void stop("monitor exited");
  }
});
if (durationSec > 0) setTimeout(() => void stop(`--duration=${durationSec}`), durationSec * 1000);
