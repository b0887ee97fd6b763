// Logins are bounded per account and per client address, and a stranger cannot keep the real
// admin (or user) locked out (SECURITY.md, "Logins II"): both halves, for the console and the portal.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/index";
import { enroll, newApiKey, TestClock, tokenFor } from "../helpers";
import { adminRow, enrolledAdmin, login, PASSWORD } from "../support/admins";
import { TEST_ORIGIN } from "../support/pages";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

// A tenth of the PBKDF2 work: these tests make about a thousand logins.
const CHEAP = { ...env, PBKDF2_ITERATIONS: "10000" };
const cheapApp = (clock: TestClock) => {
  const app = createApp({ now: clock.now });
  return async (path: string, init?: RequestInit) => app.fetch(new Request(`${TEST_ORIGIN}${path}`, init), CHEAP);
};

/** A documentation address of its own per call: this run's, never another's (the rate limiter outlives a test file). */
let addresses = 0;
const run = crypto.randomUUID().slice(0, 4);
const strangerAddress = () => `2001:db8:${run}:${(++addresses).toString(16)}::1`;
const HOME = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;

/** The lockout arithmetic from the contract (5 failures, 30 s doubling to 900 s) past `ceiling`: the most a day allows. */
function mostGuessesPerDay(ceiling: number): number {
  let guesses = ceiling;
  let at = 0;
  for (let lock = 30; at < 86_400; lock = Math.min(900, lock * 2)) {
    at += lock;
    if (at < 86_400) guesses++;
  }
  return guesses;
}

/**
 * Guesses for a simulated day, each the moment the account's lock ends (the attacker's best), and
 * checks that each was counted. Returns how many were checked.
 */
async function guessForADay(
  clock: TestClock,
  guess: (i: number) => Promise<void>,
  account: () => Promise<{ failures: number; lockedUntil: number }>,
): Promise<number> {
  const end = clock.ms + 86_400_000;
  let checked = 0;
  while (clock.ms < end) {
    const before = (await account()).failures;
    await guess(checked);
    const after = await account();
    expect(after.failures).toBe(before + 1);
    checked++;
    if (after.lockedUntil > clock.ms) clock.ms = after.lockedUntil;
  }
  return checked;
}

/** A user with a local password, and sign-ins from a given address. */
async function portalUser(clock: TestClock) {
  const call = cheapApp(clock);
  const user = await enroll(call, key);
  const set = await call(
    `/api.php?action=changelocaluserpassword&user=${encodeURIComponent(user.email)}&localpassword=${PASSWORD}&api_key=${key}`,
  );
  expect(await set.text()).toBe("Success: user password changed");
  const signIn = (password: string, address: string) =>
    call("/portal/login", {
      method: "POST",
      headers: { Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": address },
      body: new URLSearchParams({ username: user.email, password }).toString(),
    });
  return { user, signIn };
}

describe("console logins", () => {
  it("500 failures from other addresses: the admin still logs in from an address they logged in from", async () => {
    const admin = await enrolledAdmin(cheapApp);
    const { clock, call, name, secret } = admin;
    clock.advance(30);
    expect((await login(call, name, PASSWORD, tokenFor(secret, clock.ms), HOME)).status).toBe(303);
    // The ceiling's lock (30 s) will start at 12:00:45: a fresh code's step starts within it, at 12:01:00.
    clock.advance(15);
    // 100 addresses, 5 wrong passwords each (then each is locked), 10 at a time.
    for (let batch = 0; batch < 10; batch++) {
      const strangers = Array.from({ length: 10 }, strangerAddress);
      await Promise.all(
        strangers.map(async (address) => {
          for (let i = 0; i < 5; i++) expect((await login(call, name, `guess ${i} from ${address}`, "123456", address)).status).toBe(401);
        }),
      );
    }
    // The account's ceiling is reached: addresses that never logged in are refused, even with the right password and code...
    clock.advance(15);
    expect((await login(call, name, PASSWORD, tokenFor(secret, clock.ms), strangerAddress())).status).toBe(401);
    expect((await adminRow(name))!.locked_until).toBeGreaterThan(clock.ms);
    // ...but the admin's own address is not.
    expect((await login(call, name, PASSWORD, tokenFor(secret, clock.ms), HOME)).status).toBe(303);
  });

  it("guesses per account per day from ever new addresses stay within the ceiling and the lock's pace", async () => {
    const { clock, call, name } = await enrolledAdmin(cheapApp);
    const checked = await guessForADay(
      clock,
      async (i) => expect((await login(call, name, `guess ${i}`, "123456", strangerAddress())).status).toBe(401),
      async () => {
        const row = (await adminRow(name))!;
        return { failures: row.failed_attempts as number, lockedUntil: row.locked_until as number };
      },
    );
    expect(checked).toBe(mostGuessesPerDay(100));
  });

  it("one address gets 5 guesses, then one per lock; another address of its /64 shares its count, another /64 does not", async () => {
    const { clock, call, name, secret } = await enrolledAdmin(cheapApp);
    const prefix = `2001:db8:${run}:ffff`;
    clock.advance(15);
    for (let i = 0; i < 5; i++) expect((await login(call, name, `guess ${i}`, "123456", `${prefix}::${i + 1}`)).status).toBe(401);
    // Locked for 30 s from 12:00:15; the next code's step starts at 12:00:30.
    clock.advance(15);
    const right = () => tokenFor(secret, clock.ms);
    expect((await login(call, name, PASSWORD, right(), `${prefix}:0:0:0:abcd`)).status).toBe(401);
    expect((await login(call, name, PASSWORD, right(), `2001:db8:${run}:fffe::1`)).status).toBe(303);
  });
});

describe("portal logins", () => {
  it("500 failures from other addresses: the user still signs in from an address they signed in from", async () => {
    const { user, signIn } = await portalUser(new TestClock());
    expect((await signIn(PASSWORD, HOME)).status).toBe(303);
    for (let batch = 0; batch < 10; batch++) {
      const strangers = Array.from({ length: 10 }, strangerAddress);
      await Promise.all(
        strangers.map(async (address) => {
          for (let i = 0; i < 5; i++) expect((await signIn(`guess ${i}`, address)).status).toBe(400);
        }),
      );
    }
    expect((await signIn(PASSWORD, strangerAddress())).status).toBe(400);
    expect((await signIn(PASSWORD, HOME)).status).toBe(303);
    // The user's codes were never touched.
    const row = await env.DB.prepare("SELECT failed_attempts, locked_until FROM users WHERE id = ?").bind(user.userId).first();
    expect(row).toEqual({ failed_attempts: 0, locked_until: 0 });
  });

  it("guesses per user per day from ever new addresses stay within the ceiling and the lock's pace", async () => {
    const clock = new TestClock();
    const { user, signIn } = await portalUser(clock);
    const checked = await guessForADay(
      clock,
      async (i) => expect((await signIn(`guess ${i}`, strangerAddress())).status).toBe(400),
      async () => {
        const row = await env.DB.prepare(
          "SELECT portal_failed_attempts AS failures, portal_locked_until AS lockedUntil FROM users WHERE id = ?",
        )
          .bind(user.userId)
          .first<{ failures: number; lockedUntil: number }>();
        return row!;
      },
    );
    expect(checked).toBe(mostGuessesPerDay(100));
  });
});
