import { type Config, DEFAULT_ISSUER, type Env, guessSuccessesPerDay, INTEGER_SETTINGS, MAX_GUESS_SUCCESSES_PER_DAY } from "../config";
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

/** Every setting: the numeric ones from config.ts's table, then the others from the configuration read. */
function settingLines(env: Env, config: Config): SettingLine[] {
  const numeric = INTEGER_SETTINGS.map((setting) => {
    const raw = env[setting.name];
    return {
      name: setting.name,
      value: `${raw === undefined || raw === "" ? setting.default : raw} ${setting.unit}`,
      default: `${setting.default} ${setting.unit}`,
      meaning: setting.meaning,
    };
  });
  return [
    ...numeric,
    { name: "ISSUER", value: config.issuer, default: DEFAULT_ISSUER, meaning: "the name authenticator apps show" },
    {
      name: "PUBLIC_ORIGIN",
      value: config.publicOrigin ?? "not set",
      default: "not set (the request's own)",
      meaning: "origin of hashqr and enrolment links",
    },
    { name: "PORTAL", value: onOff(config.portal), default: "on", meaning: "the self-service portal at /portal" },
    { name: "RECOVERY_CODES", value: onOff(config.recoveryCodes), default: "as PORTAL", meaning: "recovery codes in the portal" },
    {
      name: "HIDE_QR_AFTER_CONFIRMATION",
      value: onOff(config.hideQrAfterConfirmation),
      default: "off",
      meaning: "hashqr answers 404 once confirmed",
    },
    { name: "REQUEST_LOG", value: onOff(config.requestLog), default: "on", meaning: "one JSON line per request" },
  ];
}

export const SETTINGS_WARNINGS = {
  noOrigin: "PUBLIC_ORIGIN is not set: hashqr and enrolment links follow the Host header of each request.",
  devKey: "The keyring has a single key named “dev”: the local development key, not a production secret.",
  nearBound: (figure: number) =>
    `The lockout settings allow ${figure.toPrecision(2)} expected successful guesses per user per day, more than half the bound of ${MAX_GUESS_SUCCESSES_PER_DAY}.`,
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
    [figure > MAX_GUESS_SUCCESSES_PER_DAY / 2, SETTINGS_WARNINGS.nearBound(figure)],
    [deps.webhooks.localHttp, SETTINGS_WARNINGS.localHttp],
    [config.passwordIterations < INTEGER_SETTINGS.find((s) => s.name === "PBKDF2_ITERATIONS")!.default, SETTINGS_WARNINGS.weakHash],
  ];
  return { lines: settingLines(env, config), keyIds: ids, warnings: local ? [] : risks.filter(([risky]) => risky).map(([, text]) => text) };
}
