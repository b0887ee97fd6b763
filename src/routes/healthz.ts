import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { KeyringError, keyIds } from "../crypto/secret-box";
import { pingDatabase } from "../db/health";
import { NOT_ALLOWED } from "../openapi/spec";
import type { Route } from "./route";

/**
 * Liveness with a real D1 round trip: one indexed read and nothing else, which any read replica
 * may answer (a D1 session). The benchmark uses it as the ceiling the API routes are measured
 * against, so it must stay this small: the keyring costs no round trip (parsed once per isolate).
 */
async function healthz(c: Context<AppEnv>): Promise<Response> {
  const [ok, keyring] = await Promise.all([databaseAnswers(c), publishedKeyIds(c)]);
  return c.json({ status: ok ? "ok" : "unavailable", database: ok, ...keyring }, ok ? 200 : 503);
}

async function databaseAnswers(c: Context<AppEnv>): Promise<boolean> {
  try {
    const deps = c.var.deps;
    return await pingDatabase(deps.replica("first-unconstrained") ?? deps.db);
  } catch {
    return false;
  }
}

/**
 * The key ids (sealing one first), which `npm run rotate-keys` checks before it re-seals anything.
 * A keyring that does not load answers only "invalid": the reason goes to the log, never into a
 * public answer. The HTTP status stays the database's, so that monitors and the benchmark keep
 * their meaning; every route that needs the keyring answers 500 meanwhile.
 */
async function publishedKeyIds(c: Context<AppEnv>): Promise<{ keyIds: string[] } | { keyring: "invalid" }> {
  try {
    return { keyIds: keyIds(await c.var.deps.keyring()) };
  } catch (error) {
    const named = error instanceof KeyringError;
    console.error(
      JSON.stringify({ level: "error", event: "misconfigured", kind: (error as Error).name, ...(named && { message: error.message }) }),
    );
    return { keyring: "invalid" };
  }
}

const KEYRING_SCHEMA = {
  keyIds: {
    type: "array",
    items: { type: "string" },
    minItems: 1,
    description: "The ids (never the keys) of SECRET_ENCRYPTION_KEYS, the sealing one first; `npm run rotate-keys` checks them.",
  },
  keyring: {
    const: "invalid",
    description: "Instead of `keyIds` when SECRET_ENCRYPTION_KEYS is missing or malformed (the log says why).",
  },
};

const healthSchema = (ok: boolean) => ({
  type: "object",
  properties: { status: { const: ok ? "ok" : "unavailable" }, database: { const: ok }, ...KEYRING_SCHEMA },
  required: ["status", "database"],
});

export const healthzRoute: Route = {
  id: "healthz",
  honoPath: "/healthz",
  methods: ["GET"],
  summary: "Health check",
  description:
    "One indexed D1 read: 200 when the database answers, 503 when it does not. `keyIds`: the ids (never the keys) of SECRET_ENCRYPTION_KEYS, the sealing one first.",
  apiKey: false,
  params: [],
  answer: {
    kind: "responses",
    responses: {
      "200": { description: "D1 answered.", content: { "application/json": { schema: healthSchema(true) } } },
      "503": { description: "D1 did not answer.", content: { "application/json": { schema: healthSchema(false) } } },
      ...NOT_ALLOWED,
    },
  },
  examples: [{ params: {} }],
  handler: healthz,
};
