import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { visibleText } from "../src/web/visible-name";
import { newApiKey, TestClock, testApp } from "./helpers";
import { adminSession, pageGet } from "./support/pages";

const q = encodeURIComponent;

/** A user row as one from before the rule (or a hand-edited database) can be: the name as given. */
async function oddUser(username: string): Promise<number> {
  const row = await env.DB.prepare(
    "INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id) VALUES (?, ?, 'AAAA.AAAA', 'test') RETURNING id",
  )
    .bind(username, username)
    .first<{ id: number }>();
  return row!.id;
}

describe("invisible characters in names (LOW: three console rows read alice@example.com)", () => {
  it("new names, emails and phones with a format or control character are refused: code 3, nothing written", async () => {
    const key = await newApiKey();
    const call = testApp();
    const tag = crypto.randomUUID().slice(0, 8);
    for (const [query, name] of [
      [`email=${tag}a@example.com&username=${q(`${tag}\u202Eelpmaxe@ecila`)}`, "username"],
      [`email=${tag}b@example.com&username=${q(`alice\u200B${tag}@example.com`)}`, "username"],
      [`email=${q(`ali\u200Dce${tag}@example.com`)}`, "email"],
      [`email=${q(`ali\u0007ce${tag}@example.com`)}`, "email"],
      [`phone=${q("+41 79\u200B123 45 67")}`, "phone"],
      [`phone=${q("+4179\u2066123 45 67")}`, "phone"],
    ] as const) {
      const body = await (await call(`/createuser?api_key=${key}&${query}&format=1`)).json();
      expect(body, query).toEqual({
        response: `invalid parameter: ${name}`,
        success: "false",
        error: `invalid parameter: ${name}`,
        code: 3,
      });
    }
    const written = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username LIKE ? OR email LIKE ?")
      .bind(`%${tag}%`, `%${tag}%`)
      .first<number>("n");
    expect(written).toBe(0);
  });

  it("api.php refuses such a `user` instead of looking for it", async () => {
    const key = await newApiKey();
    const name = `bob${crypto.randomUUID().slice(0, 8)}\u202E@example.com`;
    await oddUser(name);
    for (const action of ["deletelocaluser", "changelocaluserpassword&localpassword=longenough"]) {
      const res = await testApp()(`/api.php?action=${action}&api_key=${key}&user=${q(name)}`);
      expect(await res.text()).toBe("Error: invalid parameter: user");
    }
    expect(await (await testApp()(`/api.php?action=deletelocaluser&api_key=wrong&user=${q(name)}`)).text()).toBe("Error: invalid api key");
  });

  it("the console shows an existing odd name with each such character as a marked code point", async () => {
    const tag = `vis${crypto.randomUUID().slice(0, 8)}`;
    const names = [`${tag}alice@example.com`, `${tag}alice\u200B@example.com`, `${tag}\u202Emoc.elpmaxe@ecila`];
    const ids = [];
    for (const name of names) ids.push(await oddUser(name));
    const clock = new TestClock();
    const admin = await adminSession(clock.ms);
    const get = async (path: string) => (await testApp({ now: clock.now })(path, pageGet(admin))).text();

    const list = await get(`/admin/users?q=${tag}`);
    expect(list).toContain(`${tag}alice@example.com</a>`);
    expect(list).toContain(
      `${tag}alice<span class="invisible-char" title="an invisible or direction-changing character">⟨U+200B⟩</span>@example.com`,
    );
    expect(list).toContain(
      `<span class="invisible-char" title="an invisible or direction-changing character">⟨U+202E⟩</span>moc.elpmaxe@ecila`,
    );
    for (const char of ["\u200B", "\u202E"]) expect(list).not.toContain(char);

    const detail = await get(`/admin/users/${ids[2]}`);
    expect(detail).toContain(`<title>${tag}⟨U+202E⟩moc.elpmaxe@ecila · totp-edge console</title>`);
    expect(detail).not.toContain("\u202E");
  });

  it("visibleText writes every format, control and separator character as its code point", () => {
    expect(visibleText("alice@example.com")).toBe("alice@example.com");
    expect(visibleText("a\u202Eb\u200Bc\u0000d\u2028e\u{E0041}")).toBe("a⟨U+202E⟩b⟨U+200B⟩c⟨U+0000⟩d⟨U+2028⟩e⟨U+E0041⟩");
  });
});
