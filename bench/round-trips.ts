// The D1 round trips of each route, as its answers' Server-Timing reports them: one request per
// case, in an order that makes each case what it says (first sight of a user with or without a
// copy near the Worker, then its key cached).
import { HOTP, Secret, TOTP } from "otpauth";
import { nearReadsOf, roundTripsOf } from "./load";

export interface RoundTripRow {
  route: string;
  case: string;
  /** To D1 (the primary, or a replica for the reads that allow it), from Server-Timing; null when the answer had none. */
  trips: number | null;
  /** Reads of a copy in the data center (Cache API): they never leave it. */
  near: number;
}

/** A seeded user no stream of the bench touches: no copy of it is near, and no isolate has seen it. */
export interface ColdUser {
  userid: number;
  secret: Uint8Array;
}

const q = encodeURIComponent;

/** Sends each case once to the server at `url` (run after the load runs: it adds and deletes users). */
export async function measureRoundTrips(url: string, apiKey: string, cold: ColdUser): Promise<RoundTripRow[]> {
  const rows: RoundTripRow[] = [];
  const send = async (route: string, label: string, path: string, expect: (body: string) => boolean) => {
    const res = await fetch(url + path);
    const body = await res.text();
    if (!expect(body)) throw new Error(`round trips, ${route} (${label}): unexpected answer ${JSON.stringify(body.slice(0, 120))}`);
    const headers = Object.fromEntries(res.headers);
    rows.push({ route, case: label, trips: roundTripsOf(headers), near: nearReadsOf(headers) });
    return body;
  };
  const run = Date.now().toString(36);
  const enrol = async (label: string, email: string) =>
    JSON.parse(
      await send("createuser", label, `/createuser?api_key=${apiKey}&email=${q(email)}&format=1`, (b) => b.includes('"success":"true"')),
    ) as {
      userid: number;
      hash: string;
      hashqr: string;
    };
  const validate = (label: string, user: { userid: number }, token: string, expected: string) =>
    send("validate", label, `/validate?api_key=${apiKey}&userid=${user.userid}&token=${token}&format=1`, (b) => b.includes(expected));

  await send("healthz", "", "/healthz", (b) => b.includes('"status":"ok"'));
  const a = await enrol("a new user", `rt-a-${run}@bench.example`);
  await send("createuser", "the name taken", `/createuser?api_key=${apiKey}&email=${q(`rt-a-${run}@bench.example`)}&format=1`, (b) =>
    b.includes('"code":5'),
  );
  const b = await enrol("a new user", `rt-b-${run}@bench.example`);
  const tokens = (hash: string) => {
    const totp = new TOTP({ secret: Secret.fromBase32(hash), digits: 6, period: 30 });
    const now = Date.now();
    const window = new Set([-1, 0, 1].map((s) => totp.generate({ timestamp: now + s * 30_000 })));
    let wrong = 5;
    while (window.has(totp.generate({ timestamp: now + wrong * 30_000 }))) wrong++;
    return { right: totp.generate({ timestamp: now }), wrong: totp.generate({ timestamp: now + wrong * 30_000 }) };
  };
  const ta = tokens(a.hash);
  await validate(
    "wrong token, first sight of the user in the isolate, copy near (createuser left it)",
    a,
    ta.wrong,
    '"validation":"false"',
  );
  const coldWrong = new HOTP({ secret: new Secret({ buffer: cold.secret.slice().buffer }) }).generate({ counter: 0 });
  await validate("wrong token, first sight, no copy near (a cold data center)", cold, coldWrong, '"validation":"false"');
  await validate("wrong token, the user's key cached", a, ta.wrong, '"validation":"false"');
  await validate("valid token, first sight", b, tokens(b.hash).right, '"validation":"true"');
  await validate("valid token, key cached", a, ta.right, '"validation":"true"');
  await validate("the same token again (replay)", a, ta.right, '"code":8');
  const qr = new URL(a.hashqr);
  await send("QR image", "the right secret", qr.pathname + qr.search, (body) => body.startsWith("<svg"));
  await send("QR image", "a wrong secret (a replica's miss is asked of the primary)", `${qr.pathname}?secret=WRONG`, (body) =>
    body.startsWith("Not Found"),
  );
  const apiPhp = (action: string, label: string, query: string, expected: (body: string) => boolean) =>
    send(`api.php ${action}`, label, `/api.php?action=${action}&api_key=${apiKey}${query}`, expected);
  await apiPhp("listusers", "1,000 users (one page)", "&limit=1000", (body) => body.startsWith("[{"));
  await apiPhp("listusers", "all users (header: before the body; one more per further 1,000)", "", (body) => body.endsWith("}]"));
  const user = `&user=${q(`rt-a-${run}@bench.example`)}`;
  await apiPhp("changelocaluserpassword", "", `${user}&localpassword=bench-password`, (body) => body.startsWith("Success"));
  await apiPhp("deletelocaluser", "", user, (body) => body.startsWith("Success"));
  return rows;
}
