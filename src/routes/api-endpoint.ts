import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { type Caller, requireApiKey } from "../domain/api-key";
import { ApiError, ErrorCode } from "../errors";
import type { Fields, Format } from "../formats/fields";
import { Params } from "../http/params";
import { errorOutcome } from "../http/outcome";
import { fieldsResponse } from "../http/respond";

export interface EndpointSpec {
  /** The field that format 3 reduces an answer to. */
  flag: "success" | "validation";
  handle: (c: Context<AppEnv>, params: Params, caller: Caller) => Promise<Fields>;
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
    const caller = callerOf(c, params);
    let format: Format = 0;
    try {
      format = params.format();
      return fieldsResponse(await spec.handle(c, params, caller), format, spec.flag);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const answer = await keyOutranks(c, caller, error);
      c.set("outcome", errorOutcome(answer));
      return fieldsResponse(spec.errorFields(answer, params), format, spec.flag);
    }
  };
}

/**
 * A wrong key outranks every other error, on every endpoint: a caller without a valid key learns
 * nothing about parameters, users or actions. Looked up only on error paths, and only when the
 * request has not had its key accepted already: the handlers check the key inside their own D1
 * round trips, so a successful request pays nothing for this rule.
 */
export async function keyOutranks(c: Context<AppEnv>, caller: Caller, error: ApiError): Promise<ApiError> {
  if (error.code === ErrorCode.InvalidApiKey || caller.apiKeyId !== undefined) return error;
  try {
    await requireApiKey(c.var.deps, caller);
    return error;
  } catch (keyError) {
    if (keyError instanceof ApiError) return keyError;
    throw keyError;
  }
}

/**
 * The request's caller, from its key as sent; the request log reads it back for the key's id. A
 * key over the 1 KiB value limit cannot be one of ours: it is kept as a wrong key, so that it
 * outranks every other error like any wrong key does.
 */
export function callerOf(c: Context<AppEnv>, params: Params): Caller {
  let apiKey: string | undefined;
  try {
    apiKey = params.apiKey();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    apiKey = "";
  }
  const caller: Caller = { apiKey };
  c.set("caller", caller);
  return caller;
}
