import { bytesToBase64, utf8 } from "../crypto/encoding";

/**
 * Standard Webhooks signatures, with Web Crypto (no library in the Worker): `v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body`, keyed with the bytes of the endpoint's `whsec_` secret.
 * Several secrets (during a rotation's grace period) give several signatures, space-separated.
 */
export async function signatureHeader(secrets: Uint8Array[], id: string, timestampSeconds: number, body: string): Promise<string> {
  const content = utf8.encode(`${id}.${timestampSeconds}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return `v1,${bytesToBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)))}`;
    }),
  );
  return signatures.join(" ");
}

/** Receivers' libraries take the secret with this prefix. */
const PREFIX = "whsec_";
/** 192 bits, the size the Standard Webhooks libraries generate. */
const SECRET_BYTES = 24;

export function newWebhookSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** How the secret is shown (once) and how receivers' libraries take it. */
export function secretText(secret: Uint8Array): string {
  return PREFIX + bytesToBase64(secret);
}
