import { type ApiError, ErrorCode } from "../errors";

/**
 * What the API answered, in one word, so that `wrangler tail` shows guessing (invalid), lockouts
 * (locked), replays, bad keys and floods (rate_limited) without any request data.
 */
export type Outcome =
  | "valid"
  | "invalid"
  | "code_requested"
  | "created"
  | "done"
  | "replay"
  | "locked"
  | "bad_key"
  | "unknown_user"
  | "user_exists"
  | "bad_input"
  | "rate_limited";

const ERROR_OUTCOMES: Record<ErrorCode, Outcome> = {
  [ErrorCode.InvalidApiKey]: "bad_key",
  [ErrorCode.MissingParameter]: "bad_input",
  [ErrorCode.InvalidParameter]: "bad_input",
  [ErrorCode.UserNotFound]: "unknown_user",
  [ErrorCode.UserExists]: "user_exists",
  [ErrorCode.TooManyAttempts]: "locked",
  [ErrorCode.InvalidFormat]: "bad_input",
  [ErrorCode.TokenUsed]: "replay",
  [ErrorCode.InvalidPhone]: "bad_input",
  [ErrorCode.InvalidEmail]: "bad_input",
};

export function errorOutcome(error: ApiError): Outcome {
  return ERROR_OUTCOMES[error.code];
}
