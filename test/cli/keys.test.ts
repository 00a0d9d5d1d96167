import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { hashToken } from "../../src/api/keys.ts";
import { createApiApp } from "../../src/api/server.ts";
import { createAuditCommand } from "../../src/cli/audit.ts";
import { run as runCli } from "../../src/cli/dispatch.ts";
import { createKeysCommand } from "../../src/cli/keys.ts";
import { run, selectRows } from "../../src/db/sql.ts";
import { AuditEventType, writeAudit } from "../../src/events/index.ts";
import { silentLogger } from "../../src/log.ts";
import { UsageError } from "../../src/usage-error.ts";
import { useTestDatabase } from "../support/db.ts";

const t = useTestDatabase();
let env: Record<string, string>;
beforeAll(() => {
  const s = t.settings;
  env = {
    DB_HOST: s.host,
    DB_PORT: String(s.port),
    DB_USER: s.user,
    DB_PASSWORD: s.password,
    DB_NAME: s.database,
    USER: "alice",
  };
});

async function keys(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await createKeysCommand({ sleep: async () => {} })({
    args,
    configPath: "/nonexistent/config.json",
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

const me = (token: string) =>
  createApiApp({ db: t.db, log: silentLogger }).app.handle(
    new Request("http://api.test/api/v1/me", { headers: { authorization: `Bearer ${token}` } }),
  );

describe("keys", () => {
  test("no args: usage, exit 1", async () => {
    const r = await keys([]);
    expect(r).toEqual({ code: 1, out: [], err: ["usage: jetmon2 keys <create|list|revoke|rotate> [args]"] });
  });

  test("unknown subcommand", async () => {
    const r = await keys(["frob"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['unknown keys subcommand "frob" (want: create, list, revoke, rotate)']);
  });

  test("create: token shown once, only its SHA-256 stored, and it authenticates", async () => {
    const r = await keys(["create", "--consumer", "ops", "--scope=write", "--ttl=1h"]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^Created key id=\d+ for consumer="ops" scope=write rate=30\/min$/);
    expect(r.out[1]).toMatch(/^Expires: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(r.out[2]).toBe("");
    expect(r.out[3]).toBe("Token (shown ONCE — save it now):");
    const token = r.out[4]!;
    expect(token).toMatch(/^jm_[A-Z2-7]{52}$/);
    const rows = await selectRows<{ key_hash: string; created_by: string }>(
      t.db,
      sql`SELECT key_hash, created_by FROM jetmon_api_keys`,
    );
    expect(rows).toEqual([{ key_hash: hashToken(token), created_by: "alice" }]);
    expect(JSON.stringify(rows)).not.toContain(token.slice(3));
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      consumer_name: "ops",
      scope: "write",
      rate_limit_per_minute: 30,
    });
  });

  test("create refusals", async () => {
    expect((await keys(["create"])).err).toEqual(["--consumer is required"]);
    const bad = await keys(["create", "--consumer=x", "--scope=root"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual(['create: apikeys: invalid scope "root" (want one of: read, write, admin)']);
    await expect(keys(["create", "--consumer=x", "--ttl=90d"])).rejects.toBeInstanceOf(UsageError);
    expect(
      await runCli(["keys", "create", "--consumer=x", "--ttl=90d"], { env, out: () => {}, err: () => {} }),
    ).toBe(2);
  });

  test("list, revoke, rotate with grace", async () => {
    const created = await keys(["create", "--consumer", "rot", "--rate-limit=7"]);
    const id = Number(/id=(\d+)/.exec(created.out[0]!)![1]);
    const oldToken = created.out[4]!;
    const rot = await keys(["rotate", "--grace=10m", String(id)]);
    expect(rot.code).toBe(0);
    expect(rot.out[0]).toMatch(new RegExp(`^Rotated key id=${id} → new key id=\\d+ for consumer="rot"$`));
    expect(rot.out[1]).toMatch(new RegExp(`^Old key id=${id} will be revoked at .+Z$`));
    const newToken = rot.out[4]!;
    expect((await me(oldToken)).status).toBe(200);
    expect(
      ((await (await me(newToken)).json()) as { rate_limit_per_minute: number }).rate_limit_per_minute,
    ).toBe(7);
    const again = await keys(["rotate", String(id)]);
    expect(again.err).toEqual([`rotate: apikeys: key ${id} already revoked; create a fresh key instead`]);

    const list = await keys(["list"]);
    expect(list.out[0]).toBe(
      "ID    CONSUMER                 SCOPE   RATE/MIN  EXPIRES               LAST USED             STATUS",
    );
    expect(list.out[1]).toBe("-".repeat(110));
    expect(list.out.find((l) => l.startsWith(`${id} `))).toMatch(/revokes-at \d{4}-.+Z$/);

    const newId = Number(/new key id=(\d+)/.exec(rot.out[0]!)![1]);
    expect(await keys(["revoke", `${newId}junk`])).toMatchObject({
      code: 0,
      out: [`Revoked key id=${newId}`],
    });
    const res = await me(newToken);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("token_revoked");
    expect((await keys(["list"])).out.some((l) => l.startsWith(`${newId} `))).toBe(false);
    expect((await keys(["list", "--include-revoked"])).out.find((l) => l.startsWith(`${newId} `))).toMatch(
      / revoked$/,
    );

    expect(await keys(["revoke", "9999"])).toMatchObject({
      code: 1,
      err: ["revoke: apikeys: key 9999 not found"],
    });
    expect(await keys(["revoke"])).toMatchObject({ code: 1, err: ["usage: jetmon2 keys revoke <id>"] });
    expect(await keys(["rotate"])).toMatchObject({
      code: 1,
      err: ["usage: jetmon2 keys rotate [--grace=DURATION] <id>"],
    });
    expect((await keys(["revoke", "x"])).code).toBe(1);
  });

  test("rotate --grace=0 revokes at once; expired keys list as expired", async () => {
    const created = await keys(["create", "--consumer", "now"]);
    const id = Number(/id=(\d+)/.exec(created.out[0]!)![1]);
    const rot = await keys(["rotate", "--grace=0s", String(id)]);
    expect(rot.out[1]).toBe(`Old key id=${id} revoked immediately`);
    expect((await me(created.out[4]!)).status).toBe(401);
    const exp = await keys(["create", "--consumer", "exp"]);
    const expId = Number(/id=(\d+)/.exec(exp.out[0]!)![1]);
    await run(
      t.db,
      sql`UPDATE jetmon_api_keys SET expires_at = NOW() - INTERVAL 1 MINUTE WHERE id = ${expId}`,
    );
    expect((await keys(["list"])).out.find((l) => l.startsWith(`${expId} `))).toMatch(/ expired$/);
  });

  test("an unreachable database: db: <err>, exit 1", async () => {
    const out: string[] = [];
    const code = await createKeysCommand({ sleep: async () => {} })({
      args: ["list"],
      configPath: "/nonexistent",
      env: { ...env, DB_HOST: "127.0.0.1", DB_PORT: "1" },
      out: () => {},
      err: (l) => out.push(l),
    });
    expect(code).toBe(1);
    expect(out[0]).toStartWith("db: ");
  });
});

describe("audit", () => {
  async function audit(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await createAuditCommand({ sleep: async () => {} })({
      args,
      configPath: "/nonexistent",
      env,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  }

  test("needs --blog-id", async () => {
    expect(await audit([])).toEqual({
      code: 1,
      out: [],
      err: ["usage: jetmon2 audit --blog-id <id> [--since <time>] [--until <time>]"],
    });
  });

  test("prints the blog's rows oldest first; api_access rows (no blog) never show", async () => {
    await writeAudit(t.db, [
      {
        eventType: AuditEventType.WpcomSent,
        blogId: 42,
        eventId: 7,
        source: "host-a",
        detail: "status=2",
        metadata: { a: 1 },
      },
      { eventType: AuditEventType.MaintenanceActive, blogId: 42, source: "host-a" },
      { eventType: AuditEventType.ApiAccess, source: "ops", detail: "GET /api/v1/me" },
    ]);
    const r = await audit(["--blog-id", "42", "--since=1h"]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("Audit log for blog_id=42");
    expect(r.out[1]).toBe(`${"TIMESTAMP".padEnd(25)} ${"EVENT".padEnd(22)} ${"SOURCE".padEnd(15)} DETAIL`);
    expect(r.out[2]).toBe("-".repeat(90));
    expect(r.out.length).toBe(5);
    expect(r.out[3]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {3}wpcom_sent {13}host-a {10}event=7 status=2 meta=\{"a": ?1\}$/,
    );
    expect(r.out[4]).toMatch(/ maintenance_active {5}host-a {10}$/);
    const none = await audit(["--blog-id=42", "--until=2000-01-01 00:00:00"]);
    expect(none.out.length).toBe(3);
  });
});
