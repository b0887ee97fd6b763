// The encryption of PSKC files (RFC 6030 §6), over Web Crypto: AES-CBC values carried as IV ||
// ciphertext (XML Encryption's CipherValue), their HMAC-SHA1 over that whole value, and the
// PBKDF2 key derivation of §6.2. Used by the import (reading) and the export (writing).
import { base64ToBytes, bytesToBase64, constantTimeEqual } from "../../src/crypto/encoding";

export const XENC_AES_CBC: Record<string, number> = {
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": 16,
  "http://www.w3.org/2001/04/xmlenc#aes192-cbc": 24,
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": 32,
};
export const HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
/** PBKDF2 pseudo-random functions by their URIs' fragment (RFC 8018 appendix B.1). */
export const PBKDF2_PRFS: Record<string, string> = { "hmac-sha1": "SHA-1", "hmac-sha256": "SHA-256", "hmac-sha512": "SHA-512" };

const subtle = crypto.subtle;
const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

/** A wrong key or password, or an altered file: one message for all (§6.1.1: the MAC tells them apart from nothing else). */
export class PskcKeyError extends Error {
  constructor() {
    super("The file cannot be decrypted: wrong pre-shared key or password (or the file was altered). Nothing was written.");
  }
}

/** AES-CBC with PKCS #7 padding (XML Encryption's padding as every PSKC producer writes it); a bad padding means a wrong key. */
export async function decryptCbc(key: Uint8Array, value: Uint8Array): Promise<Uint8Array> {
  if (value.length < 32 || value.length % 16 !== 0) throw new PskcKeyError();
  const aes = await subtle.importKey("raw", buffer(key), "AES-CBC", false, ["decrypt"]);
  try {
    return new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: buffer(value.slice(0, 16)) }, aes, buffer(value.slice(16))));
  } catch {
    throw new PskcKeyError();
  }
}

export async function encryptCbc(key: Uint8Array, plain: Uint8Array): Promise<string> {
  const aes = await subtle.importKey("raw", buffer(key), "AES-CBC", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-CBC", iv }, aes, buffer(plain)));
  const out = new Uint8Array(16 + sealed.length);
  out.set(iv);
  out.set(sealed, 16);
  return bytesToBase64(out);
}

export async function hmacSha1(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const mac = await subtle.importKey("raw", buffer(key), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", mac, buffer(data)));
}

/** RFC 6030 §6.1.1: the MAC is checked before the value is decrypted. */
export async function checkMac(macKey: Uint8Array, cipherValue: Uint8Array, valueMac: string): Promise<void> {
  if (!constantTimeEqual(await hmacSha1(macKey, cipherValue), base64ToBytes(valueMac.replace(/\s+/g, "")))) throw new PskcKeyError();
}

export async function pbkdf2(password: string, salt: Uint8Array, iterations: number, bytes: number, hash: string): Promise<Uint8Array> {
  const base = await subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", salt: buffer(salt), iterations, hash }, base, bytes * 8));
}
