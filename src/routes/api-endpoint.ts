import type { Context } from "hono";
import { ApiError } from "../errors";
import { parseFormat, type Fields, type Format } from "../formats/fields";
import { errorOutcome } from "../http/request-log";
import { fieldsResponse } from "../http/respond";
import { Params } from "../http/params";
import type { AppEnv } from "../app-env";

export interface EndpointSpec {
  /** The field that format 3 reduces an answer to. */
  flag: "success" | "validation";
  handle: (c: Context<AppEnv>, params: Params) => Promise<Fields>;
  /** The endpoint's error body: the contract fixes fields and order per endpoint. */
  errorFields: (error: ApiError, params: Params) => Fields;
}

/**
 * Runs a createuser/validate handler and renders its answer or its ApiError in the requested format,
 * with HTTP 200 either way (the WSO2 connector treats any status >= 400 as an I/O failure).
 */
export function apiEndpoint(spec: EndpointSpec) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const params = await Params.fromRequest(c.req.raw);
    let format: Format = 0;
    try {
      format = parseFormat(params.get("format"));
      return fieldsResponse(await spec.handle(c, params), format, spec.flag);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      c.set("outcome", errorOutcome(error));
      return fieldsResponse(spec.errorFields(error, params), format, spec.flag);
    }
  };
}

/** The caller's API key: `api_key`, or `api` as both known clients send it, or an X-API-Key header. */
export function apiKeyOf(c: Context<AppEnv>, params: Params): string | undefined {
  return params.first("api_key", "api") ?? c.req.header("x-api-key") ?? undefined;
}
