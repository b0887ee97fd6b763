import { base64ToBytes, bytesToBase64Url, utf8 } from "./encoding";

/**
 * AES-256-GCM sealing of TOTP secrets at rest. The keyring comes from the Worker secret
 * SECRET_ENCRYPTION_KEYS = "kid:base64key[,kid:base64key…]"; the first key seals, every key opens,
 * so a new key can be put first and old ciphertexts re-sealed at leisure.
 */
export interface Keyring {
  currentId: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

export interface Sealed {
  /** The id of the keyring's key that sealed it (never an API key's id). */
  sealKeyId: string;
  /** "iv.ciphertext", both base64url. */
  ciphertext: string;
}

export class KeyringError extends Error {}

/** A sealed value names a key id the keyring does not have (a key dropped too early, or the wrong keyring). */
export class MissingKeyError extends KeyringError {
  constructor(readonly sealKeyId: string) {
    super(`no encryption key with id ${sealKeyId}`);
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const keyrings = new Map<string, Promise<Keyring>>();

/** Parses and imports the keyring once per isolate: importKey on every request is wasted CPU. */
export function loadKeyring(config: string | undefined): Promise<Keyring> {
  const text = (config ?? "").trim();
  let keyring = keyrings.get(text);
  if (!keyring) {
    keyring = importKeyring(text);
    keyrings.set(text, keyring);
    keyring.catch(() => keyrings.delete(text));
  }
  return keyring;
}

async function importKeyring(text: string): Promise<Keyring> {
  if (!text) throw new KeyringError("SECRET_ENCRYPTION_KEYS is not set");
  const keys = new Map<string, CryptoKey>();
  let currentId = "";
  for (const entry of text.split(",")) {
    const separator = entry.indexOf(":");
    const id = entry.slice(0, separator).trim();
    if (separator < 0 || !KEY_ID.test(id)) throw new KeyringError("SECRET_ENCRYPTION_KEYS: each entry must be kid:base64key");
    if (keys.has(id)) throw new KeyringError(`SECRET_ENCRYPTION_KEYS: key id ${id} appears twice`);
    let raw: Uint8Array;
    try {
      raw = base64ToBytes(entry.slice(separator + 1).trim());
    } catch {
      throw new KeyringError(`SECRET_ENCRYPTION_KEYS: key ${id} is not base64`);
    }
    if (raw.length !== 32) throw new KeyringError(`SECRET_ENCRYPTION_KEYS: key ${id} must be 32 bytes`);
    keys.set(id, await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    currentId ||= id;
  }
  return { currentId, keys };
}

/**
 * The key ids, the sealing one first. Ids are labels, not key material: /healthz publishes them so
 * that `npm run rotate-keys` can refuse to re-seal under a key the Worker does not have.
 */
export function keyIds(keyring: Keyring): string[] {
  return [keyring.currentId, ...[...keyring.keys.keys()].filter((id) => id !== keyring.currentId)];
}

/** `context` is bound as additional data, so a ciphertext copied onto another user's row does not open. */
export async function seal(keyring: Keyring, plaintext: Uint8Array, context: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = keyring.keys.get(keyring.currentId)!;
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(context) }, key, plaintext);
  return { sealKeyId: keyring.currentId, ciphertext: `${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ciphertext))}` };
}

export async function open(keyring: Keyring, sealed: Sealed, context: string): Promise<Uint8Array> {
  const key = keyring.keys.get(sealed.sealKeyId);
  if (!key) throw new MissingKeyError(sealed.sealKeyId);
  const [iv, data] = sealed.ciphertext.split(".");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64ToBytes(iv ?? ""), additionalData: utf8.encode(context) },
    key,
    base64ToBytes(data ?? ""),
  );
  return new Uint8Array(plaintext);
}
