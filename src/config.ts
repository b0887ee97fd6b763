import { DEFAULT_TOTP, type TotpParams } from "./otp/totp";

/** The Worker's bindings: D1, the encryption keyring secret, and plain-text vars. */
export interface Env {
  DB: D1Database;
  /** "kid:base64(32 bytes)[,kid:base64…]", first one seals (Worker secret). */
  SECRET_ENCRYPTION_KEYS?: string;
  ISSUER?: string;
  TOTP_DRIFT_STEPS?: string;
  LOCKOUT_THRESHOLD?: string;
  LOCKOUT_BASE_SECONDS?: string;
  LOCKOUT_MAX_SECONDS?: string;
  PBKDF2_ITERATIONS?: string;
  QR_SIZE?: string;
}

export interface LockoutPolicy {
  /** Consecutive failures after which the user is locked. */
  threshold: number;
  /** First lock; doubles with every further failure. */
  baseMs: number;
  maxMs: number;
}

export interface Config {
  issuer: string;
  totp: TotpParams;
  lockout: LockoutPolicy;
  /** PBKDF2-SHA256 iterations for new local passwords (Workers' Web Crypto allows at most 100,000). */
  passwordIterations: number;
  /** Width and height of the hashqr SVG, in pixels. */
  qrSize: number;
}

export class ConfigError extends Error {}

function integerVar(env: Env, name: keyof Env, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const configs = new WeakMap<Env, Config>();

/** Reads and validates configuration once per Env object, with a clear message for a bad value. */
export function readConfig(env: Env): Config {
  let config = configs.get(env);
  if (config) return config;
  const issuer = env.ISSUER ?? "totp-edge";
  if (!issuer || issuer.includes(":") || issuer.length > 64) {
    throw new ConfigError("ISSUER must be 1 to 64 characters without ':'");
  }
  const baseSeconds = integerVar(env, "LOCKOUT_BASE_SECONDS", 30, 1, 86_400);
  config = {
    issuer,
    totp: { ...DEFAULT_TOTP, window: integerVar(env, "TOTP_DRIFT_STEPS", DEFAULT_TOTP.window, 0, 10) },
    lockout: {
      threshold: integerVar(env, "LOCKOUT_THRESHOLD", 5, 1, 1000),
      baseMs: baseSeconds * 1000,
      maxMs: integerVar(env, "LOCKOUT_MAX_SECONDS", 900, baseSeconds, 86_400 * 7) * 1000,
    },
    passwordIterations: integerVar(env, "PBKDF2_ITERATIONS", 100_000, 10_000, 100_000),
    qrSize: integerVar(env, "QR_SIZE", 256, 64, 2048),
  };
  configs.set(env, config);
  return config;
}
