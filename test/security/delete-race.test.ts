import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

type Answer = { status: number; body: string };

describe("deleting a user while requests for it are in flight", () => {
  it("ends with the user gone for good, every concurrent answer a clear one", async () => {
    const seen = { before: 0, after: 0 };
    for (let round = 0; round < 5; round++) {
      const clock = new TestClock();
      const call = testApp({ now: clock.now });
      const user = await enroll(call, key);
      const valid = tokenFor(user.secret, clock.ms);
      const wrong = valid === "000000" ? "111111" : "000000";
      const send = async (path: string): Promise<Answer> => {
        const res = await call(path);
        return { status: res.status, body: await res.text() };
      };
      const validate = (token: string) => send(`/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`);
      const repassword = () =>
        send(`/api.php?action=changelocaluserpassword&user=${user.email}&localpassword=pw-${round}-long&api_key=${key}`);

      // The delete goes out once the burst is under way (a few answers back, the rest in flight),
      // and more requests follow it, so requests land on both sides of it.
      const requests: Array<Promise<Answer>> = [];
      let answered = 0;
      for (let i = 0; i < 40; i++) {
        const request = i % 3 === 0 ? validate(wrong) : i % 3 === 1 ? validate(valid) : repassword();
        requests.push(request.finally(() => answered++));
      }
      while (answered < 3) await new Promise((resolve) => setTimeout(resolve, 0));
      const deletion = send(`/api.php?action=deletelocaluser&user=${user.email}&api_key=${key}`);
      for (let i = 0; i < 40; i++) requests.push(i % 2 ? validate(valid) : repassword());
      const answers = await Promise.all(requests);

      expect(await deletion).toEqual({ status: 200, body: "Success: user deleted" });
      let acceptedTokens = 0;
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        if (answer.body.startsWith("Success") || answer.body.startsWith("Error")) {
          expect(["Success: user password changed", "Error: user does not exist"]).toContain(answer.body);
          seen[answer.body.startsWith("Success") ? "before" : "after"]++;
          continue;
        }
        const json = JSON.parse(answer.body) as { validation: string; code?: number };
        if (json.validation === "true") acceptedTokens++;
        // Valid once, then already used; not valid; locked by the wrong ones; or gone.
        else expect([undefined, 4, 6, 8]).toContain(json.code);
        seen[json.code === 4 ? "after" : "before"]++;
      }
      expect(acceptedTokens).toBeLessThanOrEqual(1);

      // Nothing of the user survives: no row (so no secret, no password), no QR, no validation.
      expect(
        await env.DB.prepare("SELECT count(*) AS n FROM users WHERE id = ? OR username_key = ?")
          .bind(user.userId, user.email.toLowerCase())
          .first("n"),
      ).toBe(0);
      const qr = new URL(user.hashqr);
      expect((await call(qr.pathname + qr.search)).status).toBe(404);
      const after = JSON.parse((await validate(valid)).body) as { code: number };
      expect(after.code).toBe(4);
    }
    // The race was real: requests were answered on both sides of the deletion.
    console.log(`delete race: ${seen.before} answers before the deletion, ${seen.after} after`);
    expect(seen.before).toBeGreaterThan(0);
    expect(seen.after).toBeGreaterThan(0);
  });
});
