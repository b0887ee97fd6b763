// Every refused console login looks alike from outside: the same answer and the same D1 round
// trips (Server-Timing), a secret whose key is missing included, which is never a 500.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/index";
import { LOGIN_REFUSED } from "../../src/routes/admin/auth";
import { type TestClock, tokenFor } from "../helpers";
import { adminRow, enrolledAdmin, login, PASSWORD } from "../support/admins";
import { TEST_ORIGIN } from "../support/pages";

/** The app over `vars` on `clock`, as enrolledAdmin wants it. */
const appWith = (vars: Partial<typeof env>) => (clock: TestClock) => {
  const app = createApp({ now: clock.now });
  return async (path: string, init?: RequestInit) => app.fetch(new Request(`${TEST_ORIGIN}${path}`, init), { ...env, ...vars });
};

const roundTrips = (res: Response) => Number(/desc="(\d+) round trips?"/.exec(res.headers.get("server-timing") ?? "")?.[1]);

async function refusal(res: Response) {
  return { status: res.status, refused: (await res.text()).includes(LOGIN_REFUSED), roundTrips: roundTrips(res) };
}

/** The tests' keyring (vitest.config.ts). */
const TEST_ENCRYPTION_KEYS = env.SECRET_ENCRYPTION_KEYS!;

describe("refused console logins", () => {
  it("make the same 2 round trips: unknown name, wrong password, wrong code, replayed code, lock, disabled admin", async () => {
    const admin = await enrolledAdmin();
    const { clock, call, name, secret } = admin;
    clock.advance(30);
    const code = tokenFor(secret, clock.ms);
    expect((await login(call, name, PASSWORD, code)).status).toBe(303);
    const wrong = code === "000000" ? "111111" : "000000";
    const answers = {
      unknown: await refusal(await login(call, `nobody-${name}`, PASSWORD, code)),
      password: await refusal(await login(call, name, "wrong password!", code)),
      code: await refusal(await login(call, name, PASSWORD, wrong)),
      // The right password with a code already used: it must not cost a round trip more than a wrong password.
      replay: await refusal(await login(call, name, PASSWORD, code)),
    };
    for (let i = 0; i < 3; i++) await login(call, name, "wrong password!", code);
    const locked = await refusal(await login(call, name, PASSWORD, code));
    const other = await enrolledAdmin();
    await env.DB.prepare("UPDATE admins SET disabled_at = unixepoch() WHERE name = ?").bind(other.name).run();
    other.clock.advance(30);
    const disabled = await refusal(await login(other.call, other.name, PASSWORD, tokenFor(other.secret, other.clock.ms)));
    for (const answer of Object.values({ ...answers, locked, disabled }))
      expect(answer).toEqual({ status: 401, refused: true, roundTrips: 2 });
  });

  it("a secret whose key the keyring lacks: refused like any other, never a 500, logged once by key id", async () => {
    const keyId = `gone${crypto.randomUUID().slice(0, 8)}`;
    const both = { SECRET_ENCRYPTION_KEYS: `${keyId}:${btoa(String.fromCharCode(...new Uint8Array(32).fill(9)))},${TEST_ENCRYPTION_KEYS}` };
    // Enrolled while `keyId` sealed; then the key is dropped from the keyring too early.
    const admin = await enrolledAdmin(appWith(both));
    const { clock, name, secret } = admin;
    const dropped = appWith({ SECRET_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS })(clock);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const answers = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(30);
      answers.push(await refusal(await login(dropped, name, PASSWORD, tokenFor(secret, clock.ms))));
    }
    answers.push(await refusal(await login(dropped, name, "wrong password!", "123456")));
    vi.restoreAllMocks();
    expect(answers).toEqual(Array(4).fill({ status: 401, refused: true, roundTrips: 2 }));
    const logged = errors.mock.calls.map(([line]) => String(line));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: "error", event: "misconfigured", kind: "MissingKey" });
    expect(logged[0]).toContain(keyId);
    // A server fault is not the admin's failure: only the wrong password counted.
    expect((await adminRow(name))!.failed_attempts).toBe(1);
    clock.advance(30);
    expect((await login(appWith(both)(clock), name, PASSWORD, tokenFor(secret, clock.ms))).status).toBe(303);
  });
});
