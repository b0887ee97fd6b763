import { ConfigError } from "../config";

export interface WebhookSettings {
  /** Each delivery's time limit. */
  timeoutMs: number;
  /** The first retry's delay; each further one doubles, up to retryMaxSeconds. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** How long a rotated-out secret still signs (both signatures are sent meanwhile). */
  rotationGraceMs: number;
  /** Whether http://localhost and http://127.0.0.1 endpoints are allowed (the local configuration). */
  localHttp: boolean;
}

/** Cloudflare Queues delays a retry by at most 12 hours. */
const RETRY_LIMIT_SECONDS = 43_200;
/** A payload is a few hundred bytes; anything near this is not one of ours. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

interface WebhookEnv {
  WEBHOOK_TIMEOUT_MS?: string;
  WEBHOOK_RETRY_BASE_SECONDS?: string;
  WEBHOOK_RETRY_MAX_SECONDS?: string;
  WEBHOOK_ROTATION_GRACE_HOURS?: string;
  WEBHOOK_LOCAL_HTTP?: string;
}

function whole(env: WebhookEnv, name: keyof WebhookEnv, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export function webhookSettings(env: WebhookEnv): WebhookSettings {
  return {
    timeoutMs: whole(env, "WEBHOOK_TIMEOUT_MS", 5000, 100, 30_000),
    retryBaseSeconds: whole(env, "WEBHOOK_RETRY_BASE_SECONDS", 30, 1, RETRY_LIMIT_SECONDS),
    retryMaxSeconds: whole(env, "WEBHOOK_RETRY_MAX_SECONDS", 3600, 1, RETRY_LIMIT_SECONDS),
    rotationGraceMs: whole(env, "WEBHOOK_ROTATION_GRACE_HOURS", 24, 0, 720) * 3_600_000,
    localHttp: env.WEBHOOK_LOCAL_HTTP === "on",
  };
}

/** The delay before retry number `attempts` (1 after the first failure). */
export function retryDelaySeconds(settings: WebhookSettings, attempts: number): number {
  return Math.min(settings.retryMaxSeconds, settings.retryBaseSeconds * 2 ** Math.min(attempts - 1, 16));
}

/** Why an endpoint URL is refused, or null: https only (http on localhost in the local configuration), no credentials. */
export function endpointUrlProblem(text: string, settings: Pick<WebhookSettings, "localHttp">): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Enter a full URL, e.g. https://siem.example.com/hooks/totp.";
  }
  if (text.length > 2048) return "A URL can be at most 2048 characters long.";
  if (url.username || url.password) return "A URL cannot carry a user name or password: the signature authenticates us.";
  if (url.protocol === "https:") return null;
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol === "http:" && local && settings.localHttp) return null;
  return "The URL must start with https:// (http://localhost only in the local configuration).";
}
