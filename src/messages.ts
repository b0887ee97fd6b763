// Every success text a caller can read, defined once: the handlers answer with these and the
// OpenAPI document and /docs describe them (error texts are ApiError's, in src/errors.ts).

export const USER_CREATED = "user created";
export const OTP_VALID = "OTP is valid";
export const OTP_NOT_VALID = "OTP is not valid";
/** The answer to validate's `send=1` without a token: our users' codes come from an app, never by SMS. */
export const CODE_REQUESTED = "enter the code from your authenticator app";

/** api.php answers in the appliance's words (the seed quotes them). */
export const PASSWORD_CHANGED = "Success: user password changed";
export const USER_DELETED = "Success: user deleted";
export const apiPhpErrorText = (text: string) => `Error: ${text}`;
