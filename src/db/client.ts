import { drizzle, type MySql2Database } from "drizzle-orm/mysql2";
import type { Pool } from "./pool.ts";
import * as schema from "./schema.ts";

/** The drizzle handle every module takes. Only src/db knows it is mysql2 underneath. */
export type Db = MySql2Database<typeof schema>;

export function createDb(pool: Pool): Db {
  return drizzle(pool, { schema, mode: "default" });
}

export { schema };
