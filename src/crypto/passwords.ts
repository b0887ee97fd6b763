import { base64ToBytes, bytesToBase64Url, constantTimeEqual, utf8 } from "./encoding";

/**
 * Local passwords as PBKDF2-SHA256 strings: "pbkdf2-sha256$ITERATIONS$SALT$HASH" (base64url).
 * The iteration count travels in the string, so it can be raised later without breaking old hashes.
 * Workers' Web Crypto refuses more than 100,000 iterations.
 */
const MAX_PBKDF2_ITERATIONS = 100_000;
const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BITS = 256;

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations: number): Promise<string> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be 1 to ${MAX_PBKDF2_ITERATIONS}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${bytesToBase64Url(salt)}$${bytesToBase64Url(hash)}`;
}

/** False for a wrong password and for a string this module did not write. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, rounds, salt, hash] = stored.split("$");
  const iterations = Number(rounds);
  if (scheme !== SCHEME || !salt || !hash || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    return false;
  }
  return constantTimeEqual(await derive(password, base64ToBytes(salt), iterations), base64ToBytes(hash));
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * Checks a login's password when there may be no account: with `stored` null (unknown name,
 * disabled or not enrolled) the same PBKDF2 work is done against a dummy hash of the configured
 * cost, so the answer and its timing do not tell whether the account exists. Always false then.
 */
export async function verifyLoginPassword(password: string, stored: string | null, iterations: number): Promise<boolean> {
  if (stored !== null) return verifyPassword(password, stored);
  let dummy = dummyHashes.get(iterations);
  if (!dummy) {
    dummy = hashPassword(crypto.randomUUID(), iterations);
    dummyHashes.set(iterations, dummy);
  }
  await verifyPassword(password, await dummy);
  return false;
}
