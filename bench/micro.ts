// Micro benchmarks in this process (tinybench): TOTP verification ±1 window, ours against otpauth
// and otplib, then the crypto around it.
import { webcrypto } from "node:crypto";
import { Bench } from "tinybench";
import * as OTPAuth from "otpauth";
import { verifySync as otplibVerifySync } from "otplib";
import { loadKeyring, open, seal } from "../src/crypto/secret-box";
import { base32Decode, base32Encode } from "../src/otp/base32";
import { hmacSha1Key } from "../src/otp/hmac-sha1";
import { hotp, importHmacKey } from "../test/support/webcrypto-otp";
import { matchTotpStep, timeStep } from "../src/otp/totp";

const PBKDF2_ITERATIONS = 100_000;

export interface MicroResult {
  name: string;
  opsPerSec: number;
  /** Relative margin of error, %. */
  rme: number;
  samples: number;
}

/**
 * Each library gets the secret in the form it keeps between requests (ours: the HMAC key cached
 * per user; otpauth: its TOTP object; otplib: the base32 string, its only input) and a wrong token,
 * so every one computes all three steps of the window: the worst case, and the same work for all.
 */
export async function runMicro({ quick = false }: { quick?: boolean } = {}): Promise<MicroResult[]> {
  const secret = webcrypto.getRandomValues(new Uint8Array(20));
  const secretBase32 = base32Encode(secret);
  const now = Date.now();
  const step = timeStep(now);
  const webcryptoKey = await importHmacKey(secret);
  const inWindow = new Set<string>();
  for (let s = step - 2; s <= step + 2; s++) inWindow.add(await hotp(webcryptoKey, s, 6));
  let wrongToken = "000000";
  for (let n = 0; inWindow.has(wrongToken); n++) wrongToken = String(n).padStart(6, "0");

  const ours = hmacSha1Key(secret);
  const otpauthTotp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), digits: 6, period: 30, algorithm: "SHA1" });
  const keyring = await loadKeyring(`bench:${Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString("base64")}`);
  const sealed = await seal(keyring, secret, "alice@example.com");
  const salt = webcrypto.getRandomValues(new Uint8Array(16));
  const passwordKey = await webcrypto.subtle.importKey("raw", new TextEncoder().encode("correct horse battery"), "PBKDF2", false, [
    "deriveBits",
  ]);

  // Sanity: each verifier refuses the wrong token and accepts the current code, or the numbers mean nothing.
  const current = await hotp(webcryptoKey, step, 6);
  const checks = [
    matchTotpStep(ours, wrongToken, now) === null && matchTotpStep(ours, current, now) === step,
    otpauthTotp.validate({ token: wrongToken, window: 1, timestamp: now }) === null &&
      otpauthTotp.validate({ token: current, window: 1, timestamp: now }) === 0,
    !otplibVerifySync({ secret: secretBase32, token: wrongToken, epochTolerance: 30, epoch: now / 1000 }).valid &&
      otplibVerifySync({ secret: secretBase32, token: current, epochTolerance: 30, epoch: now / 1000 }).valid,
  ];
  if (checks.includes(false)) throw new Error(`a TOTP verifier disagrees with the reference: ${checks}`);

  const time = quick ? 300 : 1000;
  const fast = new Bench({ time, warmupTime: quick ? 100 : 300 });
  fast
    .add("TOTP verify ±1, ours (sync HMAC-SHA1, cached key)", () => {
      if (matchTotpStep(ours, wrongToken, now) !== null) throw new Error("accepted a wrong token");
    })
    .add("TOTP verify ±1, ours before (WebCrypto HMAC per step)", async () => {
      for (const offset of [0, -1, 1]) if ((await hotp(webcryptoKey, step + offset, 6)) === wrongToken) throw new Error("accepted");
    })
    .add("TOTP verify ±1, otpauth 9", () => {
      if (otpauthTotp.validate({ token: wrongToken, window: 1, timestamp: now }) !== null) throw new Error("accepted a wrong token");
    })
    .add("TOTP verify ±1, otplib 13 (verifySync)", () => {
      if (otplibVerifySync({ secret: secretBase32, token: wrongToken, epochTolerance: 30, epoch: now / 1000 }).valid)
        throw new Error("accepted");
    })
    .add("base32 decode (32 chars)", () => {
      base32Decode(secretBase32);
    })
    .add("AES-256-GCM open (20-byte secret)", async () => {
      await open(keyring, sealed, "alice@example.com");
    });
  await fast.run();

  const slow = new Bench({ time: quick ? 200 : 1000, iterations: quick ? 3 : 10, warmup: false });
  slow.add(`PBKDF2-SHA256 (${PBKDF2_ITERATIONS.toLocaleString("en")} iterations)`, async () => {
    await webcrypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS }, passwordKey, 256);
  });
  await slow.run();

  return [...fast.tasks, ...slow.tasks].map((task) => {
    const result = task.result;
    if (result.state !== "completed") throw new Error(`${task.name}: ${result.state} ${"error" in result ? result.error : ""}`);
    return {
      name: task.name,
      opsPerSec: Math.round(result.throughput.mean),
      rme: Number(result.throughput.rme.toFixed(1)),
      samples: result.latency.samplesCount,
    };
  });
}
