import { LOGIN_FLOOD_RETRY_SECONDS } from "../../domain/login-limits";

/** Every text the portal shows in answer to something a person did, defined once. */
export const PORTAL_TEXT = {
  /** One answer for an unknown name, a wrong password, no local password yet, and a locked login. */
  loginRefused: "Wrong username or password, or too many attempts: try again later.",
  /** The user's secret is sealed under a key the server no longer has (an operator's key rotation gone wrong). */
  secretUnreadable: "Your authenticator key cannot be shown right now. Ask your administrator to reset it; then sign in here again.",
  loginFlooded: `Too many sign-in attempts from your network: wait ${LOGIN_FLOOD_RETRY_SECONDS} seconds, then try again.`,
  codeMalformed: (digits: number) => `Enter the ${digits}-digit code your authenticator app shows.`,
  codeWrong: "That code is not right. Check that the app shows this account, and that your phone's clock is correct.",
  codeUsed: "That code was already used. Wait for the app to show the next one.",
  codeLocked: (seconds: number) => `Too many wrong codes: try again in ${seconds} s.`,
  /** One answer for every refused recovery, as for a refused login. */
  recoveryRefused: "Wrong username, password or recovery code, or too many attempts: try again later.",
  renewWrongPassword: "That password is not right: no new codes were made.",
  renewLocked: (seconds: number) => `Too many wrong attempts: try again in ${seconds} s.`,
} as const;
