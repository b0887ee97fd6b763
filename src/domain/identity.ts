import { ApiError } from "../errors";

/** E.164: up to 15 digits, no leading zero. The WordPress plugin sends digits only, so `+` is optional. */
const E164 = /^\+?[1-9][0-9]{6,14}$/;
const SEPARATORS = /[\s\-.()]/g;
/** Deliberately plain: one @, no spaces or controls, a dotted domain. Mail servers decide the rest. */
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}.]+$/u;
const USERNAME = /^[^\p{Cc}\p{Cs}]{1,255}$/u;
/**
 * Unicode format characters (Cf: bidirectional controls such as U+202E, zero-width spaces and
 * joiners) and control characters (Cc): invisible, they make three different names read
 * "alice@example.com" in the console. No name, email or phone of a new user may hold one.
 */
const INVISIBLE = /[\p{Cf}\p{Cc}]/u;

/** `raw` itself, or the API error `invalid parameter: NAME` (code 3) when it holds an invisible character. */
export function refuseInvisible(raw: string, name: string): string {
  if (INVISIBLE.test(raw)) throw ApiError.invalid(name);
  return raw;
}

/** Normalizes to "+digits" after stripping the separators people type: spaces, dashes, dots, parentheses. */
export function normalizePhone(raw: string): string {
  refuseInvisible(raw.replace(SEPARATORS, ""), "phone");
  const phone = phoneOf(raw);
  if (phone === null) throw ApiError.invalidPhone();
  return phone;
}

function phoneOf(raw: string): string | null {
  const compact = raw.replace(SEPARATORS, "");
  if (!E164.test(compact)) return null;
  return compact.startsWith("+") ? compact : `+${compact}`;
}

export function normalizeEmail(raw: string): string {
  const email = refuseInvisible(raw.trim(), "email");
  if (email.length > 254 || !EMAIL.test(email)) throw ApiError.invalidEmail();
  return email;
}

export function checkUsername(raw: string): string {
  const username = refuseInvisible(raw.trim(), "username").normalize("NFC");
  if (!USERNAME.test(username)) throw ApiError.invalid("username");
  return username;
}

/** The uniqueness key: NFC, and case-insensitive for email-like names (mail addresses are, in practice). */
export function usernameKey(username: string): string {
  const nfc = username.normalize("NFC");
  return nfc.includes("@") ? nfc.toLowerCase() : nfc;
}

/**
 * The keys a name given to api.php may mean, the name as written first: itself, and the phone
 * number it spells however createuser accepted it ("+41 79 123 45 67" finds "+41791234567").
 */
export function usernameKeys(name: string): string[] {
  const key = usernameKey(name);
  const phone = phoneOf(name);
  return phone === null || phone === key ? [key] : [key, phone];
}
