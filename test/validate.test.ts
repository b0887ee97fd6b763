import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

type Answer = Record<string, string | number>;

async function setup() {
  const clock = new TestClock();
  const call = testApp({ now: clock.now });
  const user = await enroll(call, key);
  const validate = async (token: string, extra = "&format=1") =>
    (await (await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}${extra}`)).json()) as Answer;
  return { clock, call, user, validate };
}

const notValid = (userid: number) => ({ response: "OTP is not valid", userid, validation: "false" });
const error = (userid: number | string, code: number, text: string) => ({ response: text, userid, validation: "false", error: text, code });

describe("validate answers in every format", () => {
  it("valid token: formats 0, 1, 2, 3", async () => {
    const { clock, call, user } = await setup();
    const expected: Record<number, [string, string]> = {
      0: [
        "text/plain; charset=utf-8",
        `a:3:{s:8:"response";s:12:"OTP is valid";s:6:"userid";i:${user.userId};s:10:"validation";s:4:"true";}`,
      ],
      1: ["application/json; charset=utf-8", `{"response":"OTP is valid","userid":${user.userId},"validation":"true"}`],
      2: [
        "application/xml; charset=utf-8",
        `<?xml version="1.0" encoding="UTF-8"?>\n<result><response>OTP is valid</response><userid>${user.userId}</userid><validation>true</validation></result>`,
      ],
      3: ["text/plain; charset=utf-8", "true"],
    };
    for (const format of [0, 1, 2, 3]) {
      clock.advance(30); // a new step each time: a token is good once
      const res = await call(`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=${format}`);
      expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([200, ...expected[format]!]);
    }
  });

  it("wrong token: formats 0, 1, 2, 3", async () => {
    const { clock, call, user } = await setup();
    const wrong = tokenFor(user.secret, clock.ms, 5);
    const bodies = await Promise.all(
      [0, 1, 2, 3].map(async (f) => (await call(`/validate?api_key=${key}&userid=${user.userId}&token=${wrong}&format=${f}`)).text()),
    );
    expect(bodies).toEqual([
      `a:3:{s:8:"response";s:16:"OTP is not valid";s:6:"userid";i:${user.userId};s:10:"validation";s:5:"false";}`,
      `{"response":"OTP is not valid","userid":${user.userId},"validation":"false"}`,
      `<?xml version="1.0" encoding="UTF-8"?>\n<result><response>OTP is not valid</response><userid>${user.userId}</userid><validation>false</validation></result>`,
      "false",
    ]);
  });
});

describe("time steps", () => {
  it("accepts the previous and next step (drift ±1) and refuses ±2", async () => {
    const { clock, user, validate } = await setup();
    expect(await validate(tokenFor(user.secret, clock.ms, -2))).toEqual(notValid(user.userId));
    expect(await validate(tokenFor(user.secret, clock.ms, 2))).toEqual(notValid(user.userId));
    expect((await validate(tokenFor(user.secret, clock.ms, -1))).validation).toBe("true");
    expect((await validate(tokenFor(user.secret, clock.ms, 1))).validation).toBe("true");
  });

  it("refuses a token of a step at or before the last accepted one (RFC 6238 §5.2)", async () => {
    const { clock, user, validate } = await setup();
    const current = tokenFor(user.secret, clock.ms);
    const previous = tokenFor(user.secret, clock.ms, -1);
    expect((await validate(tokenFor(user.secret, clock.ms, 1))).validation).toBe("true");
    expect(await validate(current)).toEqual(error(user.userId, 8, "token already used"));
    expect(await validate(previous)).toEqual(error(user.userId, 8, "token already used"));
  });

  it("accepts the same token exactly once under concurrent requests", async () => {
    const { clock, user, validate } = await setup();
    const token = tokenFor(user.secret, clock.ms);
    const answers = await Promise.all(Array.from({ length: 20 }, () => validate(token)));
    expect(answers.filter((a) => a.validation === "true")).toHaveLength(1);
    // The others were replays: refused as used, or, since every attempt is counted before it is
    // checked, refused by the lock that this burst of attempts set.
    for (const a of answers.filter((a) => a.validation !== "true")) expect([8, 6]).toContain(a.code);
  });
});

describe("lockout", () => {
  it("locks after 5 failures for 30 s, doubling, refusing even the right token, and lifts on time", async () => {
    const { clock, user, validate } = await setup();
    const wrong = () => (tokenFor(user.secret, clock.ms) === "000000" ? "111111" : "000000");
    for (let i = 0; i < 5; i++) expect(await validate(wrong())).toEqual(notValid(user.userId));
    expect(await validate(tokenFor(user.secret, clock.ms))).toEqual(error(user.userId, 6, "too many failed attempts, retry in 30 s"));
    expect(await validate(wrong())).toEqual(error(user.userId, 6, "too many failed attempts, retry in 30 s"));
    clock.advance(29);
    expect((await validate(tokenFor(user.secret, clock.ms))).code).toBe(6);
    clock.advance(1);
    // The lock lifted; one more failure locks again, for twice as long.
    expect(await validate(wrong())).toEqual(notValid(user.userId));
    expect(await validate(wrong())).toEqual(error(user.userId, 6, "too many failed attempts, retry in 60 s"));
    clock.advance(60);
    expect((await validate(tokenFor(user.secret, clock.ms))).validation).toBe("true");
    // A success resets the counter: four failures do not lock.
    for (let i = 0; i < 4; i++) expect(await validate(wrong())).toEqual(notValid(user.userId));
    clock.advance(30);
    expect((await validate(tokenFor(user.secret, clock.ms))).validation).toBe("true");
  });

  it("caps the lock at 15 minutes", async () => {
    const { clock, user, validate } = await setup();
    const wrong = () => (tokenFor(user.secret, clock.ms) === "000000" ? "111111" : "000000");
    for (let i = 0; i < 5; i++) await validate(wrong());
    let lastRetry = 30;
    for (let round = 0; round < 8; round++) {
      clock.advance(lastRetry);
      expect((await validate(wrong())).validation).toBe("false");
      const locked = await validate(wrong());
      lastRetry = Number(/retry in (\d+) s/.exec(String(locked.response))![1]);
    }
    expect(lastRetry).toBe(900);
  });

  it("counts failures only against the named, existing user", async () => {
    const { clock, user, validate } = await setup();
    const call = testApp({ now: clock.now });
    const other = await enroll(call, key);
    for (let i = 0; i < 10; i++) {
      await call(`/validate?api_key=${key}&userid=${other.userId}&token=000000&format=1`);
      await call(`/validate?api_key=wrong&userid=${user.userId}&token=000000&format=1`);
      await call(`/validate?api_key=${key}&userid=&token=000000&format=1`);
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=12345&format=1`);
    }
    expect((await validate(tokenFor(user.secret, clock.ms))).validation).toBe("true");
  });
});

describe("validate errors", () => {
  it.each([
    ["missing userid", "token=123456", "", 2, "missing parameter: userid"],
    ["non-numeric userid", "userid=abc&token=123456", "", 3, "invalid parameter: userid"],
    ["missing token", "userid=1", 1, 2, "missing parameter: token"],
    ["5-digit token", "userid=1&token=12345", 1, 3, "invalid parameter: token"],
    ["token with letters", "userid=1&token=12a456", 1, 3, "invalid parameter: token"],
    ["unknown user", "userid=999999999&token=123456", 999999999, 4, "user not found"],
  ] as const)("%s", async (_name, query, userid, code, text) => {
    const res = await testApp()(`/validate?api_key=${key}&${query}&format=1`);
    expect(await res.json()).toEqual(error(userid, code, text));
  });

  it("a bad format answers code 7 in format 0", async () => {
    const res = await testApp()(`/validate?api_key=${key}&userid=7&token=123456&format=9`);
    expect(await res.text()).toBe(
      'a:5:{s:8:"response";s:14:"invalid format";s:6:"userid";i:7;s:10:"validation";s:5:"false";s:5:"error";s:14:"invalid format";s:4:"code";i:7;}',
    );
  });

  it("strips spaces around the token", async () => {
    const { clock, user, validate } = await setup();
    expect((await validate(`%20${tokenFor(user.secret, clock.ms)}%20`)).validation).toBe("true");
  });

  it("neither a missing nor a malformed token counts as a failed attempt", async () => {
    const { clock, call, user, validate } = await setup();
    for (let i = 0; i < 10; i++) {
      await call(`/validate?api_key=${key}&userid=${user.userId}&format=1`);
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=abc&format=1`);
    }
    const row = await env.DB.prepare("SELECT failed_attempts FROM users WHERE id = ?").bind(user.userId).first("failed_attempts");
    expect(row).toBe(0);
    expect((await validate(tokenFor(user.secret, clock.ms))).validation).toBe("true");
  });
});

describe('send=1 without a token (the Token2 Cloud API\'s "send me a code")', () => {
  const attempts = (userId: number) =>
    env.DB.prepare("SELECT failed_attempts, locked_until, last_step FROM users WHERE id = ?").bind(userId).first();

  it("answers, as information, to enter the code from the app, in every format, and counts nothing", async () => {
    const { call, user } = await setup();
    const before = await attempts(user.userId);
    const expected: Record<number, string> = {
      0: `a:3:{s:8:"response";s:42:"enter the code from your authenticator app";s:6:"userid";i:${user.userId};s:10:"validation";s:5:"false";}`,
      1: `{"response":"enter the code from your authenticator app","userid":${user.userId},"validation":"false"}`,
      2: `<?xml version="1.0" encoding="UTF-8"?>\n<result><response>enter the code from your authenticator app</response><userid>${user.userId}</userid><validation>false</validation></result>`,
      3: "false",
    };
    for (const format of [0, 1, 2, 3]) {
      for (let i = 0; i < 5; i++) {
        // As the WordPress plugin sends it: POST, everything in the query string, an empty token.
        const res = await call(`/validate?api=${key}&userid=${user.userId}&send=1&token=&format=${format}`, { method: "POST" });
        expect(await res.text()).toBe(expected[format]);
      }
    }
    expect(await attempts(user.userId)).toEqual(before);
  });

  it("still needs a valid key and a well-formed userid; with a token, send is ignored", async () => {
    const { clock, call, user, validate } = await setup();
    expect(await (await call(`/validate?api_key=${key}x&userid=${user.userId}&send=1&format=1`)).json()).toEqual(
      error(user.userId, 1, "invalid api key"),
    );
    expect(await (await call(`/validate?api_key=${key}&userid=abc&send=1&format=1`)).json()).toEqual(
      error("", 3, "invalid parameter: userid"),
    );
    expect(await validate(tokenFor(user.secret, clock.ms), "&send=1&format=1")).toEqual({
      response: "OTP is valid",
      userid: user.userId,
      validation: "true",
    });
    expect(await (await call(`/validate?api_key=${key}&userid=${user.userId}&send=0&format=1`)).json()).toEqual(
      error(user.userId, 2, "missing parameter: token"),
    );
  });
});
