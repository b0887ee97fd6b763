import { guessesPerDay, type LockoutPolicy } from "./db/lockout";
import type { EventMessage } from "./events/message";
import { DEFAULT_TOTP, mostStepsTried, TOKEN_DIGITS, type TotpParams } from "./otp/totp";

/** The Worker's bindings: D1, the encryption keyring secret, and plain-text vars. */
export interface Env {
  DB: D1Database;
  /** "kid:base64(32 bytes)[,kid:base64…]", first one seals (Worker secret). */
  SECRET_ENCRYPTION_KEYS?: string;
  ISSUER?: string;
  TOTP_DRIFT_STEPS?: string;
  RESYNC_WINDOW_STEPS?: string;
  LOCKOUT_THRESHOLD?: string;
  LOCKOUT_BASE_SECONDS?: string;
  LOCKOUT_MAX_SECONDS?: string;
  PBKDF2_ITERATIONS?: string;
  QR_SIZE?: string;
  /** "on" (default) or "off": the one-line-per-request log (src/http/request-log.ts). */
  REQUEST_LOG?: string;
  /** The origin of hashqr URLs, e.g. "https://totp.example.com"; default: the request's own. */
  PUBLIC_ORIGIN?: string;
  /** "on" (default) or "off": the self-service enrolment portal at /portal. */
  PORTAL?: string;
  /** "on" or "off" (default): hashqr answers 404 once the user is confirmed. */
  HIDE_QR_AFTER_CONFIRMATION?: string;
  /** "on" (default while the portal is on) or "off": recovery codes and "lost your phone?" in the portal. */
  RECOVERY_CODES?: string;
  /** Days an audit row is kept; the scheduled run deletes older ones. */
  AUDIT_RETENTION_DAYS?: string;
  /** Rate limit binding (wrangler.toml [[ratelimits]]): refused API keys per client address. */
  KEY_REFUSALS?: RateLimit;
  /** Rate limit binding (wrangler.toml [[ratelimits]]): console and portal login posts per client address. */
  LOGIN_ATTEMPTS?: RateLimit;
  // Events (docs/events.md): the queue between the outbox and the webhook deliveries, and its settings.
  EVENTS?: Queue<EventMessage>;
  WEBHOOK_TIMEOUT_MS?: string;
  WEBHOOK_RETRY_BASE_SECONDS?: string;
  WEBHOOK_RETRY_MAX_SECONDS?: string;
  WEBHOOK_ROTATION_GRACE_HOURS?: string;
  /** "on" in the local configuration only: endpoints may be http://localhost or http://127.0.0.1. */
  WEBHOOK_LOCAL_HTTP?: string;
}

export interface Config {
  issuer: string;
  /** The server's TOTP parameters: the window and T0 for every user, digits and period for users createuser makes. */
  totp: TotpParams;
  /** Steps searched before and after the server's step for an operator's resync (two consecutive codes). */
  resyncWindow: number;
  lockout: LockoutPolicy;
  /** PBKDF2-SHA256 iterations for new local passwords (Workers' Web Crypto allows at most 100,000). */
  passwordIterations: number;
  /** Width and height of the hashqr SVG, in pixels. */
  qrSize: number;
  /** Whether each request is logged as one JSON line. */
  requestLog: boolean;
  /** The origin hashqr URLs point to; undefined: the request's own (which follows the Host header). */
  publicOrigin?: string;
  /** Whether /portal serves the self-service enrolment portal (off: every /portal path is 404). */
  portal: boolean;
  /** Whether hashqr stops answering (404) once the user's first code was accepted. */
  hideQrAfterConfirmation: boolean;
  /** Whether the portal issues recovery codes and re-enrols with them (never while the portal is off). */
  recoveryCodes: boolean;
  /** Audit rows older than this many days are deleted by the scheduled run. */
  auditRetentionDays: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A numeric setting: a Worker var holding a decimal integer, with its default and allowed range. */
export interface IntegerSetting {
  name: Exclude<
    keyof Env,
    "DB" | "SECRET_ENCRYPTION_KEYS" | "ISSUER" | "PUBLIC_ORIGIN" | "KEY_REFUSALS" | "LOGIN_ATTEMPTS" | SwitchSettingName
  >;
  default: number;
  min: number;
  max: number;
  unit: string;
  meaning: string;
}

/**
 * Every numeric setting in one table: readConfig enforces it, DEPLOY.md documents it (test/config.test.ts
 * checks both). The lockout and drift defaults are the contract's.
 */
export const INTEGER_SETTINGS = [
  {
    name: "TOTP_DRIFT_STEPS",
    default: DEFAULT_TOTP.window,
    min: 0,
    max: 10,
    unit: "steps",
    meaning: "codes accepted before and after the current step (clock drift), around the token's recorded drift",
  },
  {
    name: "RESYNC_WINDOW_STEPS",
    default: 10,
    min: 1,
    max: 100,
    unit: "steps",
    meaning: "how far before and after the current step an operator's resync looks for two consecutive codes",
  },
  {
    name: "LOCKOUT_THRESHOLD",
    default: 5,
    min: 1,
    // Past 500 no other setting keeps the guessing bound (refuseGuessableLockout).
    max: 500,
    unit: "failures",
    meaning: "consecutive failed validations that lock a user",
  },
  {
    name: "LOCKOUT_BASE_SECONDS",
    default: 30,
    min: 1,
    max: 86_400,
    unit: "seconds",
    meaning: "first lock; doubles with every further failure",
  },
  {
    name: "LOCKOUT_MAX_SECONDS",
    default: 900,
    min: 1,
    max: 604_800,
    unit: "seconds",
    meaning: "longest lock (at least LOCKOUT_BASE_SECONDS)",
  },
  {
    name: "PBKDF2_ITERATIONS",
    default: 100_000,
    min: 10_000,
    max: 100_000,
    unit: "iterations",
    meaning: "PBKDF2-SHA256 work for new api.php local passwords (Workers allows at most 100,000)",
  },
  { name: "QR_SIZE", default: 256, min: 64, max: 2048, unit: "pixels", meaning: "width and height of the hashqr SVG" },
  {
    name: "AUDIT_RETENTION_DAYS",
    default: 400,
    min: 1,
    max: 36_500,
    unit: "days",
    meaning: "how long the audit trail keeps a row; the hourly scheduled run deletes older ones",
  },
] as const satisfies readonly IntegerSetting[];

export const DEFAULT_ISSUER = "totp-edge";
const MAX_ISSUER_CHARS = 64;

type IntegerSettingName = (typeof INTEGER_SETTINGS)[number]["name"];

/** A decimal integer in range, or the default when unset. "0x10", "1e2", " 5" and "5.0" are refused, not guessed at. */
function integerVar(env: Env, name: IntegerSettingName, min?: { value: number; because: string }): number {
  const setting: IntegerSetting = INTEGER_SETTINGS.find((s) => s.name === name)!;
  const raw = env[name];
  if (raw === undefined || raw === "") return setting.default;
  const lowest = Math.max(setting.min, min?.value ?? setting.min);
  const value = typeof raw === "string" && /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= lowest && value <= setting.max)) {
    const bound = min && min.value > setting.min ? ` (${min.because})` : "";
    throw new ConfigError(`${name} must be an integer from ${lowest} to ${setting.max}${bound}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Shown in authenticator apps as "ISSUER: username"; the otpauth label uses ':' as its separator. */
function issuerVar(env: Env): string {
  const raw = env.ISSUER;
  if (raw === undefined) return DEFAULT_ISSUER;
  if (
    typeof raw !== "string" ||
    raw.trim() === "" ||
    [...raw].length > MAX_ISSUER_CHARS ||
    raw.includes(":") ||
    /[\u0000-\u001f\u007f]/.test(raw)
  ) {
    throw new ConfigError(
      `ISSUER must be 1 to ${MAX_ISSUER_CHARS} characters without ':' or control characters, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** The "on"/"off" settings. */
type SwitchSettingName = "REQUEST_LOG" | "PORTAL" | "HIDE_QR_AFTER_CONFIRMATION" | "RECOVERY_CODES";

function switchVar(env: Env, name: SwitchSettingName, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "on" || raw === "off") return raw === "on";
  throw new ConfigError(`${name} must be "on" or "off", got ${JSON.stringify(raw)}`);
}

/**
 * An http(s) origin and nothing else ("https://totp.example.com", a port allowed): no path, query,
 * credentials or trailing slash, so `${origin}/qr/…` is exactly what clients get.
 */
function originVar(env: Env): string | undefined {
  const raw = env.PUBLIC_ORIGIN;
  if (raw === undefined || raw === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== raw) {
    throw new ConfigError(
      `PUBLIC_ORIGIN must be an origin such as "https://totp.example.com" (scheme and host, no path or trailing slash), got ${JSON.stringify(raw)}`,
    );
  }
  return url.origin;
}

/**
 * RECOVERY_CODES: recovery codes are a portal feature (docs/portal.md), so they follow PORTAL by
 * default. "on" with the portal off is refused rather than silently ignored: codes nobody can use.
 */
function recoveryCodesVar(env: Env, portal: boolean): boolean {
  const on = switchVar(env, "RECOVERY_CODES", portal);
  if (on && !portal) throw new ConfigError("RECOVERY_CODES=on needs the portal: set PORTAL=on, or RECOVERY_CODES=off");
  return on;
}

const configs = new WeakMap<Env, Config>();

/**
 * Reads and validates configuration once per Env object. A bad value throws a ConfigError naming
 * the variable; the app answers 500 and logs that message (src/index.ts, onError).
 */
export function readConfig(env: Env): Config {
  let config = configs.get(env);
  if (config) return config;
  const issuer = issuerVar(env);
  const baseSeconds = integerVar(env, "LOCKOUT_BASE_SECONDS");
  const portal = switchVar(env, "PORTAL", true);
  config = {
    issuer,
    totp: { ...DEFAULT_TOTP, window: integerVar(env, "TOTP_DRIFT_STEPS") },
    resyncWindow: integerVar(env, "RESYNC_WINDOW_STEPS"),
    lockout: {
      threshold: integerVar(env, "LOCKOUT_THRESHOLD"),
      baseMs: baseSeconds * 1000,
      maxMs: integerVar(env, "LOCKOUT_MAX_SECONDS", { value: baseSeconds, because: "at least LOCKOUT_BASE_SECONDS" }) * 1000,
    },
    passwordIterations: integerVar(env, "PBKDF2_ITERATIONS"),
    qrSize: integerVar(env, "QR_SIZE"),
    requestLog: switchVar(env, "REQUEST_LOG", true),
    publicOrigin: originVar(env),
    portal,
    // Off by default: clients that show hashqr again (a "show my QR" page) keep working (docs/portal.md).
    hideQrAfterConfirmation: switchVar(env, "HIDE_QR_AFTER_CONFIRMATION", false),
    recoveryCodes: recoveryCodesVar(env, portal),
    auditRetentionDays: integerVar(env, "AUDIT_RETENTION_DAYS"),
  };
  refuseGuessableLockout(config);
  configs.set(env, config);
  return config;
}

// ---- The guessing bound (issue 22, MEDIUM 3): settings that defeat the lockout are refused ----

/** The contract's bound on successful guesses of one user's code per day, with the worst settings allowed. */
export const MAX_GUESS_SUCCESSES_PER_DAY = 0.001;

/**
 * Expected successful guesses per user per day: the failures the lock lets through in a day, each
 * worth every step validate tries for a drifted user, against the weakest code (6 digits; an
 * imported 8-digit token is 100 times harder).
 */
export function guessSuccessesPerDay(config: Pick<Config, "lockout" | "totp">): number {
  return (guessesPerDay(config.lockout) * mostStepsTried(config.totp.window)) / 10 ** Math.min(...TOKEN_DIGITS);
}

function refuseGuessableLockout(config: Config): void {
  const figure = guessSuccessesPerDay(config);
  if (figure <= MAX_GUESS_SUCCESSES_PER_DAY) return;
  throw new ConfigError(
    `LOCKOUT_THRESHOLD, LOCKOUT_BASE_SECONDS, LOCKOUT_MAX_SECONDS and TOTP_DRIFT_STEPS allow ${figure.toPrecision(3)} expected ` +
      `successful guesses per user per day (${guessesPerDay(config.lockout)} guesses × ${mostStepsTried(config.totp.window)} steps ÷ 10^${Math.min(...TOKEN_DIGITS)}); ` +
      `at most ${MAX_GUESS_SUCCESSES_PER_DAY} is allowed: lower the threshold, lengthen the locks or narrow the window`,
  );
}
