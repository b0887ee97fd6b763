#!/usr/bin/env node
// The whole totp-edge flow from a website's server: enrol a user, check a code, see the same code
// refused the second time, delete the user. Node 20 or newer; no dependencies.
//
//   TOTP_URL=http://127.0.0.1:8787 TOTP_API_KEY=... node totp-edge.mjs
//
// TOTP_EMAIL names the test user (default: a new address for every run). Exit status 0 when every
// answer was the expected one, 1 otherwise.
import { createHmac } from "node:crypto";
import { pathToFileURL } from "node:url";

/** RFC 4648 base32 (A-Z, 2-7; padding optional) to bytes. */
export function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = ((buffer << 5) | value) & 0xfff; // only the bits not yet emitted matter
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP as totp-edge checks it: HMAC-SHA1, 6 digits, 30 s steps from the Unix epoch. */
export function totp(secret, unixSeconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f; // RFC 4226 §5.4, dynamic truncation
  // Codes are digit strings: 012345 keeps its zero.
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

function fail(message) {
  console.error(`totp-edge example: ${message}`);
  process.exit(1);
}

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) fail(`set ${name} (see the top of this file)`);
  return value;
}

/**
 * POSTs `params` as a form and returns the body. The key goes in a header, not in the URL: URLs
 * end up in access logs (Cloudflare's own included), headers and bodies do not.
 */
async function post(baseUrl, apiKey, path, params) {
  let response;
  try {
    response = await fetch(baseUrl + path, {
      method: "POST",
      headers: { "X-API-Key": apiKey },
      body: new URLSearchParams(params), // application/x-www-form-urlencoded
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    fail(`cannot reach ${baseUrl}: ${error.cause?.code ?? error.message}`);
  }
  const body = await response.text();
  // API errors come with HTTP 200; any other status is a transport problem (413, 415, 429, 500).
  if (response.status !== 200) fail(`${path} answered HTTP ${response.status}: ${body}`);
  return body;
}

async function postJson(baseUrl, apiKey, path, params) {
  const body = await post(baseUrl, apiKey, path, { ...params, format: "1" });
  try {
    return JSON.parse(body);
  } catch {
    fail(`${path} did not answer JSON: ${body}`);
  }
}

async function main() {
  const baseUrl = requiredEnv("TOTP_URL").replace(/\/+$/, "");
  const apiKey = requiredEnv("TOTP_API_KEY");
  const email = process.env.TOTP_EMAIL || `example-${Date.now()}-${process.pid}@example.com`;

  // 1. Enrol. Store `userid` with your own user record; show `hashqr` (or `hash`) to the user once.
  const created = await postJson(baseUrl, apiKey, "/createuser", { email });
  if (created.success !== "true") fail(`createuser: ${created.response} (code ${created.code})`);
  console.log(`user: ${email}`);
  console.log(`userid: ${created.userid}`);
  // Printed for this demonstration only: the URL holds the secret, so never log it in real code.
  console.log(`hashqr: ${created.hashqr}`);

  // 2. The user would type the code their app shows; here we compute it from `hash`.
  const code = totp(created.hash);
  console.log(`code: ${code}`);

  // 3. Validate. The token goes as a string: it may start with 0.
  const first = await postJson(baseUrl, apiKey, "/validate", { userid: String(created.userid), token: code });
  if (first.validation !== "true") fail(`validate: expected "OTP is valid", got ${JSON.stringify(first)}`);
  console.log(`validate: ${first.response}`);

  // 4. The same code again is a replay: refused with code 8, as a stolen copy of it would be.
  const again = await postJson(baseUrl, apiKey, "/validate", { userid: String(created.userid), token: code });
  if (again.validation !== "false" || again.code !== 8) fail(`validate again: expected code 8, got ${JSON.stringify(again)}`);
  console.log(`validate again: ${again.response} (code ${again.code})`);

  // 5. Delete the user. api.php names users by username: here, the email.
  const deleted = (await post(baseUrl, apiKey, "/api.php", { action: "deletelocaluser", user: email })).trim();
  if (deleted !== "Success: user deleted") fail(`deletelocaluser: expected "Success: user deleted", got ${JSON.stringify(deleted)}`);
  console.log(`delete: ${deleted}`);
}

// Run as a program; imported (as the tests do, to check totp() against RFC 6238), do nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
