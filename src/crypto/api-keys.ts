import { bytesToBase64Url, bytesToHex, utf8 } from "./encoding";

/**
 * Keys are looked up by their SHA-256: the database never holds a key, and since the lookup
 * compares digests of a secret the caller does not control, its timing tells nothing about keys.
 */
export async function hashApiKey(key: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(key))));
}

/** 32 random bytes, base64url: 256 bits, nothing to guess. */
export function generateApiKey(): string {
  return `te_${bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}
