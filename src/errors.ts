/** The API's error codes (docs/api.md, "Error codes"). */
export const ErrorCode = {
  InvalidApiKey: 1,
  MissingParameter: 2,
  InvalidParameter: 3,
  UserNotFound: 4,
  UserExists: 5,
  TooManyAttempts: 6,
  InvalidFormat: 7,
  TokenUsed: 8,
  InvalidPhone: 23,
  InvalidEmail: 24,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected failure, answered with HTTP 200 in the requested format. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly text: string,
  ) {
    super(text);
    this.name = "ApiError";
  }

  static invalidApiKey = () => new ApiError(ErrorCode.InvalidApiKey, "invalid api key");
  static missing = (name: string) => new ApiError(ErrorCode.MissingParameter, `missing parameter: ${name}`);
  static invalid = (name: string) => new ApiError(ErrorCode.InvalidParameter, `invalid parameter: ${name}`);
  static userNotFound = () => new ApiError(ErrorCode.UserNotFound, "user not found");
  static userExists = () => new ApiError(ErrorCode.UserExists, "user already exists");
  static tooManyAttempts = (retrySeconds: number) =>
    new ApiError(ErrorCode.TooManyAttempts, `too many failed attempts, retry in ${retrySeconds} s`);
  static invalidFormat = () => new ApiError(ErrorCode.InvalidFormat, "invalid format");
  static tokenUsed = () => new ApiError(ErrorCode.TokenUsed, "token already used");
  static invalidPhone = () => new ApiError(ErrorCode.InvalidPhone, "invalid parameter: phone");
  static invalidEmail = () => new ApiError(ErrorCode.InvalidEmail, "invalid parameter: email");

  // api.php answers in the appliance's own words (the seed quotes them), under the same codes.
  static localUserMissing = () => new ApiError(ErrorCode.UserNotFound, "user does not exist");
  static passwordTooShort = (min: number) =>
    new ApiError(ErrorCode.InvalidParameter, `password too short (we expect at least ${min} chars)`);
  static unknownAction = () => new ApiError(ErrorCode.InvalidParameter, "unknown action");
}

/** A transport-level refusal (400, 403, 404, 405, 413, 415, 429): plain text, not an API answer. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 413 | 415 | 429,
    readonly text: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(text);
    this.name = "HttpError";
  }

  // Every transport-level text a caller can see, defined once (the OpenAPI document quotes them).
  static readonly NOT_FOUND = "Not Found";
  static readonly METHOD_NOT_ALLOWED = "Method Not Allowed";
  static readonly PAYLOAD_TOO_LARGE = "Payload Too Large";
  static readonly SERVER_ERROR = "Internal Server Error";

  static badBody = (reason: string) => new HttpError(400, `Bad Request: ${reason}`);
  static notFound = () => new HttpError(404, HttpError.NOT_FOUND);
  /** A form post the console or the portal refuses to act on: sent from another site, or without its session's CSRF token. */
  static forgedForm = () =>
    new HttpError(403, "Forbidden: this form was not sent from this site's own page. Reload the page and try again.");
  static methodNotAllowed = (allow: string) => new HttpError(405, HttpError.METHOD_NOT_ALLOWED, { Allow: allow });
  static tooLarge = () => new HttpError(413, HttpError.PAYLOAD_TOO_LARGE);
  static unsupportedBody = () =>
    new HttpError(415, "Unsupported Media Type: send application/x-www-form-urlencoded, multipart/form-data or a JSON object");
  static tooManyRequests = (retrySeconds: number) => new HttpError(429, "Too Many Requests", { "Retry-After": String(retrySeconds) });
}
