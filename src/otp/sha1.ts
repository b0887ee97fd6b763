/**
 * Synchronous SHA-1 and HMAC-SHA1 (RFC 3174, RFC 2104), just for HOTP.
 *
 * Why not crypto.subtle: HOTP signs an 8-byte counter, and each WebCrypto call is an async round
 * through the runtime that costs far more than the two SHA-1 blocks it hashes. An HMAC key is
 * reduced once to the states after its ipad and opad blocks, so one code costs two compressions.
 * SHA-1's collision weakness does not matter here: HMAC-SHA1 is still a sound PRF (RFC 6194 §3.3),
 * and TOTP apps only speak SHA-1 anyway.
 */

const INITIAL = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
const BLOCK_BYTES = 64;

/** The message schedule, reused by every compression (the isolate runs one at a time). */
const schedule = new Int32Array(80);

/** Applies the compression function to the 16 words at the start of `schedule`, updating `state`. */
function compress(state: Int32Array): void {
  const w = schedule;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!;
  for (let t = 0; t < 80; t++) {
    let f: number, k: number;
    if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
    else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
    else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc | 0; }
    else { f = b ^ c ^ d; k = 0xca62c1d6 | 0; }
    const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

/** Loads 64 bytes of `bytes` from `offset` (zeros past the end) into the schedule as big-endian words. */
function loadBlock(bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    let word = 0;
    for (let j = 0; j < 4; j++) {
      const at = offset + i * 4 + j;
      word = (word << 8) | (at < bytes.length ? bytes[at]! : 0);
    }
    schedule[i] = word;
  }
}

/** SHA-1 of a whole message, as 20 bytes. */
export function sha1(message: Uint8Array): Uint8Array {
  const bitLength = message.length * 8;
  const padded = new Uint8Array(Math.ceil((message.length + 9) / BLOCK_BYTES) * BLOCK_BYTES);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  const state = INITIAL.slice();
  for (let offset = 0; offset < padded.length; offset += BLOCK_BYTES) {
    loadBlock(padded, offset);
    compress(state);
  }
  const out = new Uint8Array(20);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 5; i++) outView.setInt32(i * 4, state[i]!);
  return out;
}

/** An HMAC-SHA1 key reduced to the SHA-1 states after its ipad and opad blocks. Holds key material. */
export interface HmacSha1Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

export function hmacSha1Key(secret: Uint8Array): HmacSha1Key {
  const key = secret.length > BLOCK_BYTES ? sha1(secret) : secret;
  const pad = (byte: number) => {
    const block = new Uint8Array(BLOCK_BYTES).fill(byte);
    for (let i = 0; i < key.length; i++) block[i]! ^= key[i]!;
    loadBlock(block, 0);
    const state = INITIAL.slice();
    compress(state);
    return state;
  };
  return { inner: pad(0x36), outer: pad(0x5c) };
}

/**
 * HMAC-SHA1 of the 8-byte big-endian counter `high:low`, written into `mac` as five big-endian
 * words: one compression for the inner hash (the counter fits one padded block) and one for the outer.
 */
export function hmacSha1Counter(key: HmacSha1Key, high: number, low: number, mac: Int32Array): void {
  mac.set(key.inner);
  schedule.fill(0, 0, 16);
  schedule[0] = high;
  schedule[1] = low;
  schedule[2] = 0x80000000 | 0;
  schedule[15] = (BLOCK_BYTES + 8) * 8;
  compress(mac);
  schedule.fill(0, 5, 16);
  schedule.set(mac.subarray(0, 5), 0);
  schedule[5] = 0x80000000 | 0;
  schedule[15] = (BLOCK_BYTES + 20) * 8;
  mac.set(key.outer);
  compress(mac);
}
