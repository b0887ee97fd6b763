import { seal } from "../crypto/secret-box";
import { insertUserUnderKey } from "../db/users";
import { ApiError } from "../errors";
import { base32Encode } from "../otp/base32";
import { DEFAULT_TOKEN } from "../otp/totp";
import { acceptKeyId, type Caller, callerKeyHash } from "./api-key";
import type { Deps } from "./deps";
import { newEvent, written } from "./events";
import { checkUsername, normalizeEmail, normalizePhone, usernameKey } from "./identity";

export interface EnrollmentRequest {
  phone?: string;
  email?: string;
  username?: string;
}

export interface Enrollment {
  userId: number;
  username: string;
  /** Base32 secret, shown once to the caller and never stored in clear. */
  secret: string;
}

/** RFC 4226 §4 asks for at least 128 bits and recommends 160. */
const SECRET_BYTES = 20;

/**
 * Creates the user with a new secret: one D1 round trip, the key check and the insert guarded by
 * it. Input is checked first, so a bad request costs no query (but for the wrong-key rule's).
 */
export async function enrollUser(deps: Deps, caller: Caller, request: EnrollmentRequest): Promise<Enrollment> {
  const phone = request.phone ? normalizePhone(request.phone) : null;
  const email = request.email ? normalizeEmail(request.email) : null;
  if (!phone && !email) throw ApiError.missing("phone");
  const username = request.username ? checkUsername(request.username) : (email ?? phone!);
  const key = usernameKey(username);
  const keyHash = await callerKeyHash(deps, caller);

  const secretBytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  const sealed = await seal(await deps.keyring(), secretBytes, key);
  const event = newEvent(deps, "user.created");
  const inserted = await insertUserUnderKey(
    deps.db,
    keyHash,
    {
      username,
      usernameKey: key,
      phone,
      email,
      secret: sealed,
      createdAt: Math.floor(deps.now() / 1000),
    },
    event,
  );
  await acceptKeyId(deps, caller, inserted.apiKeyId, keyHash);
  const userId = inserted.userId;
  if (userId === null) throw ApiError.userExists();
  written(deps, event, inserted.eventRows);
  // The user's first code will find this copy in the data center and go to the primary once.
  deps.copies.write(userId, { username, usernameKey: key, secret: sealed, token: DEFAULT_TOKEN, drift: 0 });
  return { userId, username, secret: base32Encode(secretBytes) };
}
