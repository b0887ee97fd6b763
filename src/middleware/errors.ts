import type { ErrorHandler, NotFoundHandler } from "hono";
import { ConfigError } from "../config";
import { KeyringError } from "../crypto/secret-box";
import { HttpError } from "../errors";
import { textResponse } from "../http/respond";

/** An HttpError as its status and text; anything else a plain 500, logged without its message. */
export function renderError(): ErrorHandler {
  return function renderError(error) {
    if (error instanceof HttpError) return textResponse(error.text, error.status, error.headers);
    logFailure(error, "unhandled");
    return textResponse(HttpError.SERVER_ERROR, 500);
  };
}

export function notFound(): NotFoundHandler {
  return function notFound() {
    return textResponse(HttpError.NOT_FOUND, 404);
  };
}

/**
 * Configuration errors name the bad setting and are safe to log; other messages (crypto, SQL)
 * could quote inputs, so only their kind is logged.
 */
export function logFailure(error: Error, event: string): void {
  const misconfigured = error instanceof ConfigError || error instanceof KeyringError;
  console.error(
    JSON.stringify({
      level: "error",
      event: misconfigured ? "misconfigured" : event,
      kind: error.name,
      ...(misconfigured && { message: error.message }),
    }),
  );
}
