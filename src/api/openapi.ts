/** OpenAPI 3.1 for /api/v1, built from the route table: the same TypeBox schemas validate the bodies. */
import { VERSION } from "../version.ts";
import { ERROR_STATUS } from "./errors.ts";
import type { RouteDef } from "./router.ts";

export function openApiDocument(routes: readonly RouteDef[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([a-z_]+)/g, "{$1}");
    const params = [...r.path.matchAll(/:([a-z_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "integer", minimum: 1 },
    }));
    const query = (r.queryParams ?? []).map((name) => ({
      name,
      in: "query",
      required: false,
      schema: { type: "string" },
    }));
    const op: Record<string, unknown> = {
      summary: r.summary,
      parameters: [...params, ...query],
      responses: {
        default: { description: "success or the error envelope", content: { "application/json": {} } },
      },
    };
    if (r.scope) op.security = [{ bearer: [r.scope] }];
    if (r.idempotent) op["x-idempotent"] = true;
    if (r.body) {
      op.requestBody = {
        required: r.bodyRequired ?? r.method === "POST",
        content: { "application/json": { schema: JSON.parse(JSON.stringify(r.body)) } },
      };
    }
    const item = paths[path] ?? {};
    paths[path] = item;
    item[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "jetmon2 internal API", version: VERSION },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: { type: "string", enum: Object.keys(ERROR_STATUS) },
                message: { type: "string" },
                request_id: { type: "string" },
              },
            },
          },
        },
      },
    },
    paths,
  };
}
