import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { verifyPassword } from "../src/crypto/passwords";
import { enroll, newApiKey, testApp, TestClock, tokenFor, uniqueEmail } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

async function dump(): Promise<string> {
  return JSON.stringify((await env.DB.prepare("SELECT * FROM users ORDER BY id").all()).results);
}
const passwordHashOf = (userId: number) =>
  env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(userId).first<string | null>("password_hash");
const q = encodeURIComponent;

/** Calls api.php and returns status, content type and body text. */
async function apiPhp(query: string, init?: RequestInit, call = testApp()) {
  const res = await call(`/api.php?${query}`, init);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

describe("api.php?action=changelocaluserpassword", () => {
  it("stores the password only as a fresh salted PBKDF2 hash, each time", async () => {
    const user = await enroll(testApp(), key);
    const answer = await apiPhp(`action=changelocaluserpassword&user=${q(user.email)}&localpassword=correct-horse&api_key=${key}`);
    expect(answer).toEqual({ status: 200, type: TEXT, body: "Success: user password changed" });
    const first = (await passwordHashOf(user.userId))!;
    expect(first).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toContain("correct-horse");
    expect(await verifyPassword("correct-horse", first)).toBe(true);
    expect(await verifyPassword("correct-horsf", first)).toBe(false);

    // The same password again: a new salt, so a new hash string.
    await apiPhp(`action=changelocaluserpassword&user=${q(user.email)}&localpassword=correct-horse&api_key=${key}`);
    const second = (await passwordHashOf(user.userId))!;
    expect(second).not.toBe(first);
    expect(second.split("$")[2]).not.toBe(first.split("$")[2]);
    expect(await verifyPassword("correct-horse", second)).toBe(true);
  });

  it("answers each error in the seed's words and changes nothing", async () => {
    const user = await enroll(testApp(), key);
    const before = await dump();
    const cases: Array<[string, string]> = [
      [`user=${q(user.email)}&localpassword=12345&api_key=${key}`, "Error: password too short (we expect at least 6 chars)"],
      [`user=${q(user.email)}&localpassword=&api_key=${key}`, "Error: password too short (we expect at least 6 chars)"],
      // Five characters, but ten UTF-8 bytes: the seed counts characters.
      [`user=${q(user.email)}&localpassword=${q("ééééé")}&api_key=${key}`, "Error: password too short (we expect at least 6 chars)"],
      [`user=${q(user.email)}&localpassword=${"x".repeat(1025)}&api_key=${key}`, "Error: invalid parameter: localpassword"],
      [`user=nobody-${Date.now()}@example.com&localpassword=long-enough&api_key=${key}`, "Error: user does not exist"],
      [`localpassword=long-enough&api_key=${key}`, "Error: missing parameter: user"],
      // A wrong key outranks every other error.
      [`localpassword=long-enough&api_key=wrong`, "Error: invalid api key"],
      [`user=${q(user.email)}&localpassword=123&api_key=wrong`, "Error: invalid api key"],
      [`user=${q(user.email)}&api_key=wrong`, "Error: invalid api key"],
      [`user=&localpassword=long-enough&api_key=${key}`, "Error: missing parameter: user"],
      [`user=${q(user.email)}&api_key=${key}`, "Error: missing parameter: localpassword"],
      [`user=${q(user.email)}&localpassword=long-enough&api_key=${key}x`, "Error: invalid api key"],
      [`user=${q(user.email)}&localpassword=long-enough`, "Error: invalid api key"],
    ];
    for (const [query, expected] of cases) {
      const answer = await apiPhp(`action=changelocaluserpassword&${query}`);
      expect([query, answer]).toEqual([query, { status: 200, type: TEXT, body: expected }]);
    }
    expect(await dump()).toBe(before);
  });

  it("accepts exactly 6 characters and exactly 1,024 bytes", async () => {
    const user = await enroll(testApp(), key);
    for (const password of ["abcdef", "ü".repeat(512)]) {
      const answer = await apiPhp(`action=changelocaluserpassword&user=${q(user.email)}&localpassword=${q(password)}&api_key=${key}`);
      expect(answer.body).toBe("Success: user password changed");
      expect(await verifyPassword(password, (await passwordHashOf(user.userId))!)).toBe(true);
    }
  });

  it("never logs or echoes the password", async () => {
    const lines: unknown[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args));
    }
    try {
      const user = await enroll(testApp(), key);
      const password = `pw-${crypto.randomUUID()}`;
      const bodies = [
        await apiPhp(`action=changelocaluserpassword&user=${q(user.email)}&localpassword=${password}&api_key=${key}`),
        await apiPhp(`action=changelocaluserpassword&user=nobody&localpassword=${password}&api_key=${key}`),
        await apiPhp(`action=changelocaluserpassword&user=${q(user.email)}&localpassword=${password}&api_key=bad`),
      ];
      expect(JSON.stringify([bodies, lines])).not.toContain(password);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe("api.php?action=deletelocaluser", () => {
  it("removes the user for good: row, secret, password, QR and validation", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    await apiPhp(`action=changelocaluserpassword&user=${q(user.email)}&localpassword=long-enough&api_key=${key}`, undefined, call);
    const qr = new URL(user.hashqr);
    expect((await call(qr.pathname + qr.search)).status).toBe(200);

    const answer = await apiPhp(`action=deletelocaluser&user=${q(user.email)}&api_key=${key}`, undefined, call);
    expect(answer).toEqual({ status: 200, type: TEXT, body: "Success: user deleted" });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE id = ?").bind(user.userId).first("n")).toBe(0);
    expect((await call(qr.pathname + qr.search)).status).toBe(404);
    const validation = await call(`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`);
    expect(((await validation.json()) as { code: number }).code).toBe(4);
    expect((await apiPhp(`action=deletelocaluser&user=${q(user.email)}&api_key=${key}`)).body).toBe("Error: user does not exist");

    // The name is free again, and the new user gets a new id and secret: nothing of the old one survives.
    const again = await enroll(call, key, user.email);
    expect(again.userId).toBeGreaterThan(user.userId);
    expect(again.secret).not.toBe(user.secret);
    expect(await passwordHashOf(again.userId)).toBeNull();
  });

  it("finds email usernames regardless of case and Unicode names regardless of normalization", async () => {
    const call = testApp();
    const email = uniqueEmail("CaseUser");
    await enroll(call, key, email);
    expect((await apiPhp(`action=deletelocaluser&user=${q(email.toUpperCase())}&api_key=${key}`)).body).toBe("Success: user deleted");

    const composed = `Zoë-${Date.now()}`; // NFC "ë"
    const created = await call(`/createuser?api_key=${key}&phone=41791234567&username=${q(composed)}&format=1`);
    expect(((await created.json()) as { success: string }).success).toBe("true");
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    expect((await apiPhp(`action=deletelocaluser&user=${q(decomposed)}&api_key=${key}`)).body).toBe("Success: user deleted");
  });

  it("finds a phone user however createuser accepted the number, and prefers a name as written", async () => {
    const call = testApp();
    const digits = `4179${String(Date.now()).slice(-7)}`;
    const created = await call(`/createuser?api_key=${key}&phone=${digits}&format=1`);
    expect(((await created.json()) as { success: string }).success).toBe("true");
    const spaced = `+${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4, 7)} ${digits.slice(7, 9)} ${digits.slice(9)}`;
    for (const written of [spaced, digits, `(${digits.slice(0, 2)}) ${digits.slice(2)}`]) {
      const answer = await apiPhp(`action=changelocaluserpassword&user=${q(written)}&localpassword=correct-horse&api_key=${key}`);
      expect(answer.body, written).toBe("Success: user password changed");
    }
    // A user literally named like the digits is matched first; the phone user stays.
    const named = await call(`/createuser?api_key=${key}&email=${q(uniqueEmail())}&username=${digits}&format=1`);
    expect(((await named.json()) as { success: string }).success).toBe("true");
    expect((await apiPhp(`action=deletelocaluser&user=${digits}&api_key=${key}`)).body).toBe("Success: user deleted");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username_key = ?").bind(`+${digits}`).first("n")).toBe(1);
    expect((await apiPhp(`action=deletelocaluser&user=${q(spaced)}&api_key=${key}`)).body).toBe("Success: user deleted");
    expect((await apiPhp(`action=deletelocaluser&user=${q(spaced)}&api_key=${key}`)).body).toBe("Error: user does not exist");
  });

  it("answers missing user, wrong key and hostile names with their error and deletes nothing", async () => {
    const user = await enroll(testApp(), key);
    const before = await dump();
    const hostile = [
      `${user.email}'`,
      `' OR '1'='1`,
      `${user.email}' OR 1=1 --`,
      `%`,
      `_`,
      `*`,
      `"; DROP TABLE users; --`,
      `${user.email.replace("@", "%40")}`,
      `${user.email} `,
      `𝔘𝔫𝔦𝔠𝔬𝔡𝔢`,
      `<user>${user.email}</user>`,
    ];
    for (const name of hostile) {
      expect([name, (await apiPhp(`action=deletelocaluser&user=${q(name)}&api_key=${key}`)).body]).toEqual([
        name,
        "Error: user does not exist",
      ]);
    }
    // No user can have a control or format character in their name: such a name is refused, not looked for.
    expect((await apiPhp(`action=deletelocaluser&user=${q(`\u0000${user.email}`)}&api_key=${key}`)).body).toBe(
      "Error: invalid parameter: user",
    );
    expect((await apiPhp(`action=deletelocaluser&api_key=${key}`)).body).toBe("Error: missing parameter: user");
    expect((await apiPhp(`action=deletelocaluser&user=${q(user.email)}&api_key=wrong`)).body).toBe("Error: invalid api key");
    expect((await apiPhp(`action=deletelocaluser&user=${q(user.email)}`)).body).toBe("Error: invalid api key");
    expect((await apiPhp(`action=deletelocaluser&api_key=wrong`)).body).toBe("Error: invalid api key");
    expect((await apiPhp(`action=deletelocaluser&user=${"u".repeat(1025)}&api_key=${key}`)).body).toBe("Error: invalid parameter: user");
    expect(await dump()).toBe(before);
  });

  it("takes its parameters from a POST form body and the `api` alias", async () => {
    const user = await enroll(testApp(), key);
    const answer = await apiPhp("", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `action=deletelocaluser&user=${q(user.email)}&api=${key}`,
    });
    expect(answer.body).toBe("Success: user deleted");
  });
});

describe("api.php?action=listusers", () => {
  it("lists every user as JSON ordered by userid, with the registration time", async () => {
    const clock = new TestClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const call = testApp({ now: clock.now });
    const mine = [];
    for (let i = 0; i < 3; i++) {
      mine.push(await enroll(call, key));
      clock.advance(61);
    }
    const answer = await apiPhp(`action=listusers&api_key=${key}`, undefined, call);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(JSON_TYPE);
    const list = JSON.parse(answer.body) as Array<{ userid: number; username: string; timestamp: number }>;
    const all = (
      await env.DB.prepare("SELECT id, username, created_at FROM users ORDER BY id").all<{
        id: number;
        username: string;
        created_at: number;
      }>()
    ).results;
    expect(list).toEqual(all.map((r) => ({ userid: r.id, username: r.username, timestamp: r.created_at })));
    // Exactly these keys, in this order.
    expect(answer.body).toMatch(/^\[(\{"userid":\d+,"username":"[^"]*","timestamp":\d+\},?)+\]$/);
    const start = Date.UTC(2026, 5, 1, 8, 0, 0) / 1000;
    expect(mine.map((u) => list.find((r) => r.userid === u.userId))).toEqual(
      mine.map((u, i) => ({ userid: u.userId, username: u.email, timestamp: start + 61 * i })),
    );
  });

  it("pages with the limit/offset extension", async () => {
    for (let i = 0; i < 4; i++) await enroll(testApp(), key);
    const all = JSON.parse((await apiPhp(`action=listusers&api_key=${key}`)).body) as Array<{ userid: number }>;
    const page = JSON.parse((await apiPhp(`action=listusers&api_key=${key}&limit=2&offset=1`)).body);
    expect(page).toEqual(all.slice(1, 3));
    expect(JSON.parse((await apiPhp(`action=listusers&api_key=${key}&offset=${all.length}`)).body)).toEqual([]);
    expect(JSON.parse((await apiPhp(`action=listusers&api_key=wrong&limit=abc`)).body)).toEqual({ error: "invalid api key" });
    for (const bad of ["limit=0", "limit=-1", "limit=abc", "offset=1.5", "limit=9999999999"]) {
      const answer = await apiPhp(`action=listusers&api_key=${key}&${bad}`);
      expect([bad, answer.type, JSON.parse(answer.body)]).toEqual([bad, JSON_TYPE, { error: `invalid parameter: ${bad.split("=")[0]}` }]);
    }
  });

  it("answers a wrong or missing key in JSON", async () => {
    for (const query of ["action=listusers&api_key=wrong", "action=listusers"]) {
      const answer = await apiPhp(query);
      expect(answer).toEqual({ status: 200, type: JSON_TYPE, body: '{"error":"invalid api key"}' });
    }
  });
});

describe("api.php in general", () => {
  it("answers an unknown or missing action in plain text", async () => {
    for (const query of [`action=nope&api_key=${key}`, `api_key=${key}`, `action=&api_key=${key}`, `action=LISTUSERS&api_key=${key}`]) {
      expect([query, await apiPhp(query)]).toEqual([query, { status: 200, type: TEXT, body: "Error: unknown action" }]);
    }
    for (const query of ["action=nope&api_key=wrong", "action=nope", "api_key=wrong"]) {
      expect([query, await apiPhp(query)]).toEqual([query, { status: 200, type: TEXT, body: "Error: invalid api key" }]);
    }
  });

  it("refuses other methods and oversized requests at the transport level", async () => {
    const call = testApp();
    const put = await call(`/api.php?action=listusers&api_key=${key}`, { method: "PUT" });
    expect(put.status).toBe(405);
    const huge = await call(`/api.php?action=listusers&api_key=${key}&pad=${"p".repeat(9000)}`);
    expect(huge.status).toBe(413);
    expect((await call(`/api.php/?action=nope`)).status).toBe(200);
  });
});
