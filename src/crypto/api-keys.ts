import { bytesToHex, utf8 } from "./encoding";

/**
 * Keys are looked up by their SHA-256: the database never holds a key, and since the lookup
 * compares digests of a secret the caller does not control, its timing tells nothing about keys.
 */
export async function hashApiKey(key: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(key))));
}

/**
 * Only letters and digits: the Token2 WordPress plugin deletes every other character from the key
 * it saves, so a key with `-` or `_` could never be configured there.
 */
export const API_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 32 × log2(62) ≈ 190 bits. */
export const API_KEY_LENGTH = 32;
/** The least estimated strength `npm run apikey -- create --key` accepts for a key chosen elsewhere. */
export const MIN_REGISTERED_KEY_BITS = 96;

export function generateApiKey(): string {
  // 248 = 4 × 62: bytes from 248 up are drawn again, so that `byte % 62` favours no character.
  const unbiasedLimit = 256 - (256 % API_KEY_ALPHABET.length);
  let key = "";
  while (key.length < API_KEY_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(API_KEY_LENGTH * 2))) {
      if (byte < unbiasedLimit && key.length < API_KEY_LENGTH) key += API_KEY_ALPHABET[byte % API_KEY_ALPHABET.length];
    }
  }
  return key;
}

const CLASSES: ReadonlyArray<{ test: RegExp; size: number }> = [
  { test: /[a-z]/, size: 26 },
  { test: /[A-Z]/, size: 26 },
  { test: /[0-9]/, size: 10 },
];
/** Printable ASCII punctuation and space; anything else is counted here too (an under-estimate). */
const OTHER_CLASS_SIZE = 33;
const KEYBOARD_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/**
 * A conservative estimate of the bits an attacker must guess, for keys chosen by people or other
 * systems (generated keys need none). Each character is worth log2 of the pool of character
 * classes the key uses, except:
 * - a character that continues a run of steps of 0 or ±1 code point or between neighbours on a
 *   keyboard row ("aaaa", "abcd", "4321", "qwer") is worth 1 bit. The first such step of a run is
 *   worth the full amount: one of them occurs in about every tenth pair of a random key, and
 *   charging it would refuse random 22-character keys;
 * - a character that ends a 3-character substring seen earlier in the key ("passwordpassword")
 *   is worth 1 bit.
 * The sum is capped by the length of a plain description of the key: which of the pool's
 * characters it uses, how often each, and their order (at most length × the empirical Shannon
 * entropy). The description's first two parts keep the cap fair to short random keys, whose
 * empirical entropy alone is far below their real strength (22 characters: at most log2(22) bits
 * each). It knows no dictionary words: "correcthorsebatterystaple" passes.
 */
export function estimateKeyBits(key: string): number {
  const chars = [...key];
  const length = chars.length;
  if (length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  const pool = Math.max(poolSize(chars), counts.size);

  const perChar = Math.log2(pool);
  const seenTriples = new Set<string>();
  let bits = 0;
  let previousStepPatterned = false;
  for (let i = 0; i < length; i++) {
    const stepPatterned = i > 0 && isPatternStep(chars[i - 1]!, chars[i]!);
    let cheap = stepPatterned && previousStepPatterned;
    previousStepPatterned = stepPatterned;
    if (i >= 2) {
      const triple = chars[i - 2]! + chars[i - 1]! + chars[i]!;
      if (seenTriples.has(triple)) cheap = true;
      seenTriples.add(triple);
    }
    bits += cheap ? 1 : perChar;
  }

  let entropy = 0;
  for (const count of counts.values()) entropy -= (count / length) * Math.log2(count / length);
  const description = log2Binomial(pool, counts.size) + log2Binomial(length - 1, counts.size - 1) + length * entropy;
  return Math.min(bits, description);
}

function poolSize(chars: readonly string[]): number {
  let size = 0;
  let other = false;
  for (const { test, size: classSize } of CLASSES) if (chars.some((char) => test.test(char))) size += classSize;
  for (const char of chars) if (!CLASSES.some(({ test }) => test.test(char))) other = true;
  return size + (other ? OTHER_CLASS_SIZE : 0);
}

function isPatternStep(previous: string, current: string): boolean {
  if (Math.abs(current.codePointAt(0)! - previous.codePointAt(0)!) <= 1) return true;
  return KEYBOARD_ROWS.some((row) => {
    const a = row.indexOf(previous.toLowerCase());
    const b = row.indexOf(current.toLowerCase());
    return a >= 0 && b >= 0 && Math.abs(a - b) <= 1;
  });
}

/** log2 of "n choose k", summed in logs: n reaches 1,024 here. */
function log2Binomial(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log2(n - k + i) - Math.log2(i);
  return sum;
}
