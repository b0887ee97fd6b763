import type { Sealed } from "../crypto/secret-box";
import type { Db } from "./client";
import { users } from "./schema";

export interface NewUser {
  username: string;
  usernameKey: string;
  phone: string | null;
  email: string | null;
  secret: Sealed;
  createdAt: number;
}

/** Inserts unless the username is taken; null means taken (decided by the UNIQUE index, so races are safe). */
export async function insertUser(db: Db, user: NewUser): Promise<number | null> {
  const rows = await db
    .insert(users)
    .values({
      username: user.username,
      usernameKey: user.usernameKey,
      phone: user.phone,
      email: user.email,
      secretCiphertext: user.secret.ciphertext,
      secretKeyId: user.secret.keyId,
      createdAt: user.createdAt,
    })
    .onConflictDoNothing({ target: users.usernameKey })
    .returning({ id: users.id });
  return rows[0]?.id ?? null;
}

export interface UserSecret {
  username: string;
  usernameKey: string;
  secret: Sealed;
}
