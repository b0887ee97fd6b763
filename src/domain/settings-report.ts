import { type Config, type Env, guessSuccessesPerDay, INTEGER_SETTINGS, MAX_GUESS_SUCCESSES_PER_DAY, readConfig } from "../config";
import { type WebhookSettings, webhookSettings } from "../events/settings";
import { keyIds } from "../crypto/secret-box";
import type { Deps } from "./deps";

/** One setting as the settings page shows it: what the Worker runs with, and what it would without the var. */
interface SettingLine {
  name: string;
  value: string;
  default: string;
  meaning: string;
}

const onOff = (on: boolean) => (on ? "on" : "off");

/**
 * The settings that are not numbers, as shown, read from a configuration. Their defaults are the
 * same function applied to the configuration of an empty environment: no second list of defaults.
 */
function otherSettings(config: Config, webhooks: WebhookSettings): [name: string, value: string, meaning: string][] {
  return [
    ["ISSUER", config.issuer, "the name authenticator apps show"],
    ["PUBLIC_ORIGIN", config.publicOrigin ?? "not set (the request's own)", "origin of hashqr and enrolment links"],
    ["PORTAL", onOff(config.portal), "the self-service portal at /portal"],
    ["RECOVERY_CODES", onOff(config.recoveryCodes), "recovery codes in the portal"],
    ["HIDE_QR_AFTER_CONFIRMATION", onOff(config.hideQrAfterConfirmation), "hashqr answers 404 once the user is confirmed"],
    ["REQUEST_LOG", onOff(config.requestLog), "one JSON line per request"],
    ["WEBHOOK_TIMEOUT_MS", `${webhooks.timeoutMs} ms`, "each webhook delivery's time limit"],
    ["WEBHOOK_RETRY_BASE_SECONDS", `${webhooks.retryBaseSeconds} seconds`, "first retry of a failed delivery; doubles"],
    ["WEBHOOK_RETRY_MAX_SECONDS", `${webhooks.retryMaxSeconds} seconds`, "longest delay between retries"],
    ["WEBHOOK_ROTATION_GRACE_HOURS", `${webhooks.rotationGraceMs / 3_600_000} hours`, "how long a rotated-out signing secret still signs"],
    ["WEBHOOK_LOCAL_HTTP", onOff(webhooks.localHttp), "webhooks to plain-http local addresses"],
  ];
}

/** Every setting: the numeric ones from config.ts's table, then the others. */
function settingLines(env: Env, config: Config, webhooks: WebhookSettings): SettingLine[] {
  const numeric = INTEGER_SETTINGS.map((setting) => {
    const raw = env[setting.name];
    return {
      name: setting.name,
      value: `${raw === undefined || raw === "" ? setting.default : raw} ${setting.unit}`,
      default: `${setting.default} ${setting.unit}`,
      meaning: setting.meaning,
    };
  });
  const defaults = otherSettings(readConfig({ DB: env.DB }), webhookSettings({}));
  const others = otherSettings(config, webhooks).map(([name, value, meaning], i) => ({ name, value, default: defaults[i]![1], meaning }));
  return [...numeric, ...others];
}

/** Lockout settings past this share of the guessing bound are warned of (the defaults give about 0.62). */
const NEAR_BOUND = 0.8;

export const SETTINGS_WARNINGS = {
  noOrigin: "PUBLIC_ORIGIN is not set: hashqr and enrolment links follow the Host header of each request.",
  devKey: "The keyring has a single key named “dev”: the local development key, not a production secret.",
  nearBound: (figure: number) =>
    `The lockout settings allow ${figure.toPrecision(2)} expected successful guesses per user per day, near the bound of ${MAX_GUESS_SUCCESSES_PER_DAY}.`,
  localHttp: "WEBHOOK_LOCAL_HTTP is on: webhooks may be sent to plain-http local addresses.",
  weakHash: "PBKDF2_ITERATIONS is below its default: local passwords are cheaper to guess.",
} as const;

export interface SettingsReport {
  lines: SettingLine[];
  /** The keyring's key ids, the sealing one first; never a key. */
  keyIds: string[];
  warnings: string[];
}

/**
 * The settings page's content. Warnings are for a deployment: served from localhost (npm run dev),
 * the local values are expected and none is raised.
 */
export async function settingsReport(deps: Deps, env: Env, local: boolean): Promise<SettingsReport> {
  const { config } = deps;
  const ids = keyIds(await deps.keyring());
  const figure = guessSuccessesPerDay(config);
  const risks: [boolean, string][] = [
    [config.publicOrigin === undefined, SETTINGS_WARNINGS.noOrigin],
    [ids.length === 1 && ids[0] === "dev", SETTINGS_WARNINGS.devKey],
    [figure > NEAR_BOUND * MAX_GUESS_SUCCESSES_PER_DAY, SETTINGS_WARNINGS.nearBound(figure)],
    [deps.webhooks.localHttp, SETTINGS_WARNINGS.localHttp],
    [config.passwordIterations < INTEGER_SETTINGS.find((s) => s.name === "PBKDF2_ITERATIONS")!.default, SETTINGS_WARNINGS.weakHash],
  ];
  return {
    lines: settingLines(env, config, deps.webhooks),
    keyIds: ids,
    warnings: local ? [] : risks.filter(([risky]) => risky).map(([, text]) => text),
  };
}
