// The request streams of the HTTP benchmark. nextPath is called once per request, so validate
// tokens are computed at send time.
import { HOTP, Secret } from "otpauth";
import { base32Encode } from "../src/otp/base32";
import type { Scenario } from "./load";

const PERIOD = 30;
const WINDOW = 1;
const currentStep = () => Math.floor(Date.now() / 1000 / PERIOD);

interface SeededUsers {
  apiKey: string;
  /** The raw TOTP secrets; index i is user i+1's. */
  secrets: readonly Uint8Array[];
}

function hotpOf(secret: Uint8Array): HOTP {
  return new HOTP({ secret: new Secret({ buffer: secret.slice().buffer }), digits: 6, algorithm: "SHA1" });
}

/** The ceiling: one indexed D1 read and nothing else. */
function healthz(): Scenario {
  const start = '{"status":"ok","database":true,"keyIds":[';
  return { name: "healthz (ceiling)", nextPath: () => "/healthz", verifyBody: (b) => b.startsWith(start) };
}

/**
 * Valid fresh tokens, each accepted once: users are taken in turn, each with the next step it has
 * not used inside the ±1 window (the server refuses a step at or before the last accepted one).
 * A user thus yields up to three tokens per 30 s, and one more per step after that.
 */
function validateSuccess({ apiKey, secrets }: SeededUsers): Scenario {
  const lastUsed: number[] = new Array<number>(secrets.length).fill(-Infinity);
  const hotps: Array<HOTP | undefined> = [];
  let next = 0;
  return {
    name: "validate, valid token",
    nextPath() {
      const now = Date.now() / 1000;
      const step = Math.floor(now / PERIOD);
      // Late in a step, step-1 could fall out of the window before the server sees it.
      const lowest = now % PERIOD < PERIOD - 5 ? step - WINDOW : step;
      for (let tried = 0; tried < secrets.length; tried++) {
        const i = next;
        next = (next + 1) % secrets.length;
        const use = Math.max(lastUsed[i]! + 1, lowest);
        if (use > step + WINDOW) continue;
        lastUsed[i] = use;
        hotps[i] ??= hotpOf(secrets[i]!);
        const hotp = hotps[i];
        return `/validate?api_key=${apiKey}&userid=${i + 1}&token=${hotp.generate({ counter: use })}&format=3`;
      }
      throw new Error("every user has used every step in the window: the run needs fewer requests or more users");
    },
    verifyBody: (b) => b === "true",
  };
}

/**
 * Wrong tokens (checked against every step of the window) on users taken in turn. The server runs
 * with a high LOCKOUT_THRESHOLD so no rotation can lock anyone; the body check proves it.
 * Over all 10,000 users each request is the isolate's first sight of its user: once the warm-up
 * has left a copy of each near (bench/http.ts), the copy is read and the outcome written, 1 round
 * trip to D1; `name` and a few `secrets` make the stream of users whose keys the isolate has
 * cached (check, then write: 1 round trip).
 */
export function validateFailure({ apiKey, secrets, name = "validate, wrong token" }: SeededUsers & { name?: string }): Scenario {
  const hotps: Array<HOTP | undefined> = [];
  let next = Math.floor(secrets.length / 2);
  return {
    name,
    nextPath() {
      const i = next;
      next = (next + 1) % secrets.length;
      hotps[i] ??= hotpOf(secrets[i]!);
      const hotp = hotps[i];
      const step = currentStep();
      const valid = new Set<string>();
      for (let s = step - WINDOW - 1; s <= step + WINDOW + 1; s++) valid.add(hotp.generate({ counter: s }));
      let token = Math.floor(Math.random() * 1e6);
      while (valid.has(String(token).padStart(6, "0"))) token = (token + 1) % 1e6;
      return `/validate?api_key=${apiKey}&userid=${i + 1}&token=${String(token).padStart(6, "0")}&format=1`;
    },
    verifyBody: (b) => b.startsWith('{"response":"OTP is not valid"'),
  };
}

/** New users with unique emails; format 3 answers exactly "true" on success. */
function createUser({ apiKey }: Pick<SeededUsers, "apiKey">): Scenario {
  const run = Date.now().toString(36);
  let n = 0;
  return {
    name: "createuser",
    nextPath: () => `/createuser?api_key=${apiKey}&email=c${run}-${n++}%40bench.example&format=3`,
    verifyBody: (b) => b === "true",
  };
}

/** The seeded users' list (10,000, whatever createuser added since): a JSON array. */
function listUsers({ apiKey, count }: { apiKey: string; count: number }): Scenario {
  const tail = `"userid":${count},`;
  return {
    name: `listusers (${count.toLocaleString("en")} users)`,
    nextPath: () => `/api.php?action=listusers&limit=${count}&api_key=${apiKey}`,
    // The last user's entry near the end proves the list is complete without parsing 10,000 objects.
    verifyBody: (b) => b.startsWith("[") && b.endsWith("]") && b.lastIndexOf(tail) > b.length - 200,
  };
}

/** The hashqr images of the seeded users in turn: each one read from D1 and drawn as an SVG QR code. */
function qrImage({ secrets }: Pick<SeededUsers, "secrets">): Scenario {
  let next = 0;
  return {
    name: "QR image",
    nextPath() {
      const i = next;
      next = (next + 1) % secrets.length;
      return `/qr/${i + 1}.svg?secret=${base32Encode(secrets[i]!)}`;
    },
    verifyBody: (b) => b.startsWith("<svg"),
  };
}

/** Every stream the bench drives, made once: the validate streams remember which steps they used. */
export function benchScenarios(users: SeededUsers) {
  return {
    healthz: healthz(),
    failure: validateFailure(users),
    // The first 200 users, warmed up before they are measured: their keys stay cached in the isolate.
    failureCached: validateFailure({ ...users, secrets: users.secrets.slice(0, 200), name: "validate, wrong token, key cached" }),
    success: validateSuccess(users),
    listUsers: listUsers({ apiKey: users.apiKey, count: users.secrets.length }),
    createUser: createUser(users),
    qr: qrImage(users),
  };
}

export type BenchScenarios = ReturnType<typeof benchScenarios>;
