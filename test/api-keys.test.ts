import { describe, expect, it } from "vitest";
import { API_KEY_ALPHABET, API_KEY_LENGTH, estimateKeyBits, generateApiKey, MIN_REGISTERED_KEY_BITS } from "../src/crypto/api-keys";

/** mulberry32: the same "random" keys on every run, so a rare unlucky draw cannot make this flaky. */
function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(20261125);
const randomKey = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
const HEX = "0123456789abcdef";

describe("generateApiKey", () => {
  it("makes 32 characters of [A-Za-z0-9], which the WordPress plugin keeps as they are", () => {
    for (let i = 0; i < 1000; i++) {
      const key = generateApiKey();
      expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(key.replace(/[^A-Za-z0-9]/g, "")).toBe(key);
    }
    expect(API_KEY_LENGTH * Math.log2(API_KEY_ALPHABET.length)).toBeGreaterThan(190);
  });

  it("never repeats a key", () => {
    const keys = new Set(Array.from({ length: 20_000 }, generateApiKey));
    expect(keys.size).toBe(20_000);
  });

  it("draws every character equally often (no modulo bias)", () => {
    // Without rejection sampling the first 8 characters would come up 5/4 as often as the others.
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) for (const char of generateApiKey()) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe([...API_KEY_ALPHABET].sort().join(""));
    const values = [...counts.values()];
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(1.1);
  });

  it("is estimated strong", () => {
    for (let i = 0; i < 1000; i++) expect(estimateKeyBits(generateApiKey())).toBeGreaterThanOrEqual(128);
  });
});

describe("estimateKeyBits", () => {
  it.each([
    "aaaaaaaaaaaaaaaa",
    "abcdefghijklmnopqrstuvwxyz",
    "1234567890123456789012",
    "passwordpassword",
    "passwordpasswordpasswordpassword",
    "qwertyuiopasdfghjklzxcvbnm",
    "acacacacacacacacacacacacacacacac",
    "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA",
    `${"0".repeat(63)}1`,
  ])("refuses %s", (key) => {
    expect(estimateKeyBits(key)).toBeLessThan(MIN_REGISTERED_KEY_BITS);
  });

  it.each([
    ["hex, 32 characters (128 bits)", HEX, 32],
    ["HEX, 32 characters (128 bits)", HEX.toUpperCase(), 32],
    ["alphanumerics, 22 characters (131 bits)", API_KEY_ALPHABET, 22],
    ["alphanumerics, 24 characters (143 bits)", API_KEY_ALPHABET, 24],
    ["alphanumerics, 40 characters (238 bits)", API_KEY_ALPHABET, 40],
  ])("accepts random %s", (_, alphabet, length) => {
    let lowest = Infinity;
    for (let i = 0; i < 10_000; i++) lowest = Math.min(lowest, estimateKeyBits(randomKey(alphabet, length)));
    expect(lowest).toBeGreaterThanOrEqual(MIN_REGISTERED_KEY_BITS);
  });

  it("never credits more than the pool of character classes allows", () => {
    expect(estimateKeyBits("")).toBe(0);
    expect(estimateKeyBits("x")).toBeCloseTo(Math.log2(26));
    for (let i = 0; i < 1000; i++) {
      const key = randomKey(API_KEY_ALPHABET, 32);
      expect(estimateKeyBits(key)).toBeLessThanOrEqual(32 * Math.log2(62) + 1e-9);
    }
  });
});
