import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import deployGuide from "../DEPLOY.md?raw";
import { ConfigError, DEFAULT_ISSUER, INTEGER_SETTINGS, readConfig, type Env } from "../src/config";
import { createApp } from "../src/index";

afterEach(() => vi.restoreAllMocks());

const base = (): Env => ({ DB: env.DB });

/** The ConfigError message that `vars` produce, or null when they are accepted. */
function problemWith(vars: Partial<Env>): string | null {
  try {
    readConfig({ ...base(), ...vars });
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe("configuration defaults", () => {
  it("are the contract's when nothing is set", () => {
    const config = readConfig(base());
    expect(config).toEqual({
      issuer: "totp-edge",
      totp: expect.objectContaining({ digits: 6, period: 30, window: 1 }),
      resyncWindow: 10,
      lockout: { threshold: 5, baseMs: 30_000, maxMs: 900_000 },
      passwordIterations: 100_000,
      qrSize: 256,
      requestLog: true,
      portal: true,
      hideQrAfterConfirmation: false,
      recoveryCodes: true,
      auditRetentionDays: 400,
    });
    expect(DEFAULT_ISSUER).toBe(config.issuer);
  });

  it("an empty var means the default (wrangler passes unset vars as empty in some setups)", () => {
    expect(readConfig({ ...base(), QR_SIZE: "", LOCKOUT_THRESHOLD: "" })).toMatchObject({ qrSize: 256, lockout: { threshold: 5 } });
  });

  it("takes valid values, including both ends of each range", () => {
    // An end of a lockout range alone can exceed the guessing bound (test/security/guessing-bound.test.ts):
    // with no drift window and a day-long lock after one failure, every end is but LOCKOUT_MAX_SECONDS=1.
    const strict = { TOTP_DRIFT_STEPS: "0", LOCKOUT_THRESHOLD: "1", LOCKOUT_BASE_SECONDS: "86400", LOCKOUT_MAX_SECONDS: "604800" };
    const ends = (name: string, value: number) =>
      name === "LOCKOUT_MAX_SECONDS"
        ? { ...strict, LOCKOUT_BASE_SECONDS: String(Math.min(value, 86_400)), [name]: String(value) }
        : { ...strict, [name]: String(value) };
    for (const setting of INTEGER_SETTINGS) {
      for (const end of [setting.min, setting.max]) {
        const message = problemWith(ends(setting.name, end));
        if (setting.name === "LOCKOUT_MAX_SECONDS" && end === setting.min) expect(message).toContain("expected successful guesses");
        else expect(message, `${setting.name}=${end}`).toBeNull();
      }
    }
    const config = readConfig({
      ...base(),
      ISSUER: "Acme Corp",
      TOTP_DRIFT_STEPS: "2",
      RESYNC_WINDOW_STEPS: "20",
      LOCKOUT_THRESHOLD: "3",
      LOCKOUT_BASE_SECONDS: "600",
      LOCKOUT_MAX_SECONDS: "3600",
      PBKDF2_ITERATIONS: "50000",
      QR_SIZE: "512",
    });
    expect(config).toMatchObject({
      issuer: "Acme Corp",
      totp: { window: 2 },
      resyncWindow: 20,
      lockout: { threshold: 3, baseMs: 600_000, maxMs: 3_600_000 },
      passwordIterations: 50_000,
      qrSize: 512,
    });
  });
});

describe("a bad value is refused with a message that names the variable", () => {
  for (const setting of INTEGER_SETTINGS) {
    const bad = [
      ...new Set(["abc", "-1", "1.5", "0x10", "1e2", " 5", "5 ", String(setting.min - 1), String(setting.max + 1), "99999999999999999999"]),
    ];
    it.each(bad)(`${setting.name}=%j`, (raw) => {
      // The lowest LOCKOUT_BASE_SECONDS, so LOCKOUT_MAX_SECONDS is checked against its own range.
      const message = problemWith({ LOCKOUT_BASE_SECONDS: "1", [setting.name]: raw });
      expect(message).toContain(setting.name);
      expect(message).toContain(`from ${setting.min} to ${setting.max}`);
      expect(message).toContain(JSON.stringify(raw));
    });
  }

  it("LOCKOUT_MAX_SECONDS below LOCKOUT_BASE_SECONDS", () => {
    expect(problemWith({ LOCKOUT_BASE_SECONDS: "120", LOCKOUT_MAX_SECONDS: "60" })).toBe(
      'LOCKOUT_MAX_SECONDS must be an integer from 120 to 604800 (at least LOCKOUT_BASE_SECONDS), got "60"',
    );
  });

  for (const name of ["REQUEST_LOG", "PORTAL", "HIDE_QR_AFTER_CONFIRMATION", "RECOVERY_CODES"] as const) {
    it.each(["yes", "true", "0", "ON"])(`${name}=%j`, (raw) => {
      expect(problemWith({ [name]: raw })).toBe(`${name} must be "on" or "off", got ${JSON.stringify(raw)}`);
    });
  }

  it("PORTAL and HIDE_QR_AFTER_CONFIRMATION take on and off", () => {
    expect(readConfig({ ...base(), PORTAL: "off", HIDE_QR_AFTER_CONFIRMATION: "on" })).toMatchObject({
      portal: false,
      hideQrAfterConfirmation: true,
    });
    expect(readConfig({ ...base(), PORTAL: "on", HIDE_QR_AFTER_CONFIRMATION: "off" })).toMatchObject({
      portal: true,
      hideQrAfterConfirmation: false,
    });
  });

  it("RECOVERY_CODES follows PORTAL by default, and cannot be on without it", () => {
    expect(readConfig({ ...base(), PORTAL: "off" })).toMatchObject({ portal: false, recoveryCodes: false });
    expect(readConfig({ ...base(), RECOVERY_CODES: "off" })).toMatchObject({ portal: true, recoveryCodes: false });
    expect(readConfig({ ...base(), RECOVERY_CODES: "on" })).toMatchObject({ portal: true, recoveryCodes: true });
    expect(problemWith({ PORTAL: "off", RECOVERY_CODES: "on" })).toBe(
      "RECOVERY_CODES=on needs the portal: set PORTAL=on, or RECOVERY_CODES=off",
    );
  });

  it.each(["", " ", "a:b", "x".repeat(65), "line\nbreak", "tab\there"])("ISSUER=%j", (raw) => {
    expect(problemWith({ ISSUER: raw })).toMatch(/^ISSUER must be 1 to 64 characters without ':'/);
  });
});

describe("PUBLIC_ORIGIN", () => {
  it("takes an http(s) origin and nothing more", () => {
    for (const origin of ["https://totp.example.com", "http://localhost:8787", "https://xn--bcher-kva.example"]) {
      expect(readConfig({ ...base(), PUBLIC_ORIGIN: origin }).publicOrigin).toBe(origin);
    }
    expect(readConfig({ ...base(), PUBLIC_ORIGIN: "" }).publicOrigin).toBeUndefined();
  });

  it("refuses anything that is not exactly an origin", () => {
    for (const bad of [
      "totp.example.com",
      "https://totp.example.com/",
      "https://totp.example.com/api",
      "https://u:p@totp.example.com",
      "ftp://totp.example.com",
      "https://totp.example.com?x=1",
      "javascript:alert(1)",
    ]) {
      expect(problemWith({ PUBLIC_ORIGIN: bad }), bad).toMatch(/^PUBLIC_ORIGIN must be an origin/);
    }
  });
});

describe("a misconfigured Worker", () => {
  it("answers 500 with a plain body and logs which setting is wrong", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
    const res = await createApp().fetch(new Request("https://totp.test/createuser?email=a@example.com"), { ...env, QR_SIZE: "huge" });
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("Internal Server Error");
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual({
      level: "error",
      event: "misconfigured",
      kind: "ConfigError",
      message: 'QR_SIZE must be an integer from 64 to 2048, got "huge"',
    });
  });
});

describe("DEPLOY.md", () => {
  it("documents every setting with its default and range", () => {
    const rows = deployGuide.split("\n").filter((line) => line.startsWith("| `"));
    for (const setting of INTEGER_SETTINGS) {
      const row = rows.find((line) => line.startsWith(`| \`${setting.name}\``));
      expect(row, setting.name).toBeDefined();
      expect(row).toContain(`| ${setting.default.toLocaleString("en-US")} |`);
      expect(row).toContain(`${setting.min.toLocaleString("en-US")} to ${setting.max.toLocaleString("en-US")}`);
    }
    for (const name of [
      "ISSUER",
      "SECRET_ENCRYPTION_KEYS",
      "REQUEST_LOG",
      "PUBLIC_ORIGIN",
      "PORTAL",
      "HIDE_QR_AFTER_CONFIRMATION",
      "RECOVERY_CODES",
    ])
      expect(
        rows.some((line) => line.startsWith(`| \`${name}\``)),
        name,
      ).toBe(true);
  });
});
