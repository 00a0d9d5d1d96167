/**
 * A webhook attempt whose outcome write meets a MySQL outage (the fault suite's scenario 8-9,
 * made deterministic): the receiver holds its answer while the test kills the private mariadbd,
 * so the send has happened and only the record is left. The outcome must be written once MySQL
 * is back, while the row is still leased, and the receiver must get the webhook once. The lease
 * is set long, so a row left unrecorded would stay leased for the whole test (a timeout here),
 * never re-sent.
 */
import { afterAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { createDb } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPool, type Pool } from "../../src/db/pool.ts";
import { createWebhookWorker, type DeliveryWorker } from "../../src/delivery/worker.ts";
import { DB_PASSWORD, DB_USER, faultDb, type PrivateMariadb, waitUntil } from "./support.ts";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c().catch(() => {})));
});

interface Rig {
  db: PrivateMariadb;
  worker: DeliveryWorker;
  /** Requests the receiver got, by X-Jetmon-Delivery. */
  sent: string[];
  /** Resolves when the receiver has the first request in hand. */
  requested: Promise<void>;
  /** Lets the receiver answer 200. */
  answer: () => void;
  /** Log lines the worker wrote. */
  lines: { msg: string; try?: number; gave_up?: boolean }[];
  row: () => Promise<{ status: string; attempt: number; last_status_code: number | null } | undefined>;
}

async function rig(name: string): Promise<Rig> {
  const db = faultDb();
  cleanups.push(() => db.destroy());
  await db.install();
  await db.query("", `CREATE DATABASE ${name}`);
  // As the deliverer opens it: the fault suite's 800 ms query timeout.
  const pool: Pool = createPool(
    { host: "127.0.0.1", port: db.port, user: DB_USER, password: DB_PASSWORD, database: name },
    { queryTimeoutMs: 800 },
  );
  cleanups.push(() => pool.end());
  await migrate(pool, { print: () => {} });

  const sent: string[] = [];
  let onRequest = () => {};
  const requested = new Promise<void>((r) => {
    onRequest = r;
  });
  let answer = () => {};
  const answered = new Promise<void>((r) => {
    answer = r;
  });
  const receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      sent.push(req.headers.get("X-Jetmon-Delivery") ?? "");
      onRequest();
      await answered;
      return new Response("ok");
    },
  });
  cleanups.push(async () => {
    receiver.stop(true);
  });
  await db.query(
    name,
    "INSERT INTO jetmon_webhooks (url, active, events, site_filter, state_filter, secret, secret_preview, created_by) VALUES (?, 1, NULL, '{}', '{}', 'whsec_outcomeTESTSECRET', 'CRET', 'faults')",
    [`http://127.0.0.1:${receiver.port}/hook`],
  );
  await db.query(
    name,
    "INSERT INTO jetmon_event_transitions (event_id, blog_id, severity_after, state_after, reason, source, changed_at) VALUES (1, 1, 4, 'Down', 'opened', 'local', CURRENT_TIMESTAMP(3))",
  );
  const lines: { msg: string; try?: number; gave_up?: boolean }[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const worker = createWebhookWorker({
    db: createDb(pool),
    instanceId: `${name}-host`,
    log,
    pollIntervalMs: 50,
    settleMs: 0,
    replayFrom: 0,
    // Far past the test: the row can only be recorded by the attempt that sent it.
    leaseMs: 600_000,
  });
  cleanups.push(() => worker.stop());
  await worker.start();
  return {
    db,
    worker,
    sent,
    requested,
    answer,
    lines,
    row: async () =>
      (
        await db.query<{ status: string; attempt: number; last_status_code: number | null }>(
          name,
          "SELECT status, attempt, last_status_code FROM jetmon_webhook_deliveries",
        )
      )[0],
  };
}

/** The highest try of a failed outcome write the worker logged. */
const failedTries = (r: Rig) =>
  Math.max(
    0,
    ...r.lines.filter((l) => l.msg === "webhooks: record delivery outcome failed").map((l) => l.try ?? 0),
  );

describe("a webhook outcome written across a MySQL restart", () => {
  test.concurrent("MySQL down when the outcome is written: recorded once it is back, sent once", async () => {
    const r = await rig("ow_down");
    await r.requested;
    await r.db.kill();
    r.answer();
    // Past the three quick tries the worker used to give up after (the row then stayed leased).
    await waitUntil("a third failed outcome write", () => failedTries(r) >= 3, 30_000);
    await r.db.start();
    await waitUntil("the outcome recorded", async () => (await r.row())?.status === "delivered", 30_000);
    await r.worker.stop();
    expect(await r.row()).toMatchObject({ status: "delivered", attempt: 1, last_status_code: 200 });
    expect(r.sent).toHaveLength(1);
  }, 90_000);

  test.concurrent("MySQL killed and back before the answer: recorded on a fresh connection, sent once", async () => {
    const r = await rig("ow_back");
    await r.requested;
    await r.db.kill();
    await r.db.start();
    r.answer();
    await waitUntil("the outcome recorded", async () => (await r.row())?.status === "delivered", 30_000);
    await r.worker.stop();
    expect(await r.row()).toMatchObject({ status: "delivered", attempt: 1, last_status_code: 200 });
    expect(r.sent).toHaveLength(1);
  }, 90_000);

  test.concurrent("stopping while MySQL is down: three tries, then stop returns and the row stays leased", async () => {
    const r = await rig("ow_stop");
    await r.requested;
    await r.db.kill();
    const stopped = r.worker.stop();
    r.answer();
    await stopped;
    const gaveUp = r.lines.filter((l) => l.msg === "webhooks: record delivery outcome failed" && l.gave_up);
    expect(gaveUp.map((l) => l.try)).toEqual([3]);
    await r.db.start();
    expect(await r.row()).toMatchObject({ status: "pending", attempt: 0, last_status_code: null });
    expect(r.sent).toHaveLength(1);
  }, 90_000);
});
