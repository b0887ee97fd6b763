// npm run export --with-secrets: every user's seed, and every token of the inventory, opened with
// the Worker's keyring and written encrypted into a PSKC file (scripts/lib/pskc-write.ts), nowhere else.
import { createWriteStream, rmSync } from "node:fs";
import { keyIds, type Keyring, open, type Sealed } from "../../src/crypto/secret-box";
import { inventoryContext } from "../../src/domain/hardware-tokens";
import type { OtpAlgorithm } from "../../src/otp/hmac";
import { type D1Target, execute } from "./d1";
import { close, userPages, write } from "./export-rows";
import { type PskcEntry, pskcWriter } from "./pskc-write";

export interface SecretExportOptions {
  out: string;
  target: D1Target;
  keyring: Keyring;
  keys: { psk: Uint8Array } | { password: string };
}

/** Refuses before writing anything when the keyring lacks a key that sealed a seed. */
function refuseUnlessKeyringOpens(target: D1Target, keyring: Keyring): void {
  const used = execute<{ id: string }>(
    "SELECT DISTINCT secret_key_id AS id FROM users UNION SELECT DISTINCT secret_key_id FROM hardware_tokens",
    target,
  ).map((row) => row.id);
  const missing = used.filter((id) => !keyIds(keyring).includes(id));
  if (missing.length > 0) {
    throw new Error(
      `SECRET_ENCRYPTION_KEYS has no key ${missing.map((id) => `"${id}"`).join(", ")}, which sealed some seeds: use the Worker's keyring. Nothing was written.`,
    );
  }
}

/** Writes every user's seed and every waiting token into an encrypted PSKC file; returns the counts. */
export async function exportSecrets({ out: file, target, keyring, keys }: SecretExportOptions): Promise<{ users: number; tokens: number }> {
  refuseUnlessKeyringOpens(target, keyring);
  const pskc = await pskcWriter(keys);
  const out = createWriteStream(file, { mode: 0o600 });
  const counts = { users: 0, tokens: 0 };
  const entry = async (sealed: Sealed, context: string, rest: Omit<PskcEntry, "secret">) => {
    const secret = await open(keyring, sealed, context);
    const text = await pskc.keyPackage({ ...rest, secret });
    secret.fill(0);
    return text;
  };
  try {
    await write(out, pskc.header);
    for (const page of userPages(target, true)) {
      for (const user of page) {
        const holder = {
          userid: user.id,
          username: user.username,
          created: user.created_at,
          confirmed: user.confirmed_at,
          email: user.email,
          phone: user.phone,
        };
        const text = await entry({ ciphertext: user.secret_ciphertext, sealKeyId: user.secret_key_id }, user.username_key, {
          serial: user.token_serial,
          algorithm: user.totp_algorithm,
          digits: user.totp_digits,
          period: user.totp_period,
          drift: user.totp_drift,
          user: holder,
        });
        await write(out, text);
        counts.users++;
      }
    }
    const tokens = execute<Record<string, string | number>>(
      "SELECT serial, secret_ciphertext, secret_key_id, totp_algorithm, totp_digits, totp_period, totp_drift FROM hardware_tokens ORDER BY serial",
      target,
    );
    for (const token of tokens) {
      const serial = String(token.serial);
      const sealed = { ciphertext: String(token.secret_ciphertext), sealKeyId: String(token.secret_key_id) };
      await write(
        out,
        await entry(sealed, inventoryContext(serial), {
          serial,
          algorithm: token.totp_algorithm as OtpAlgorithm,
          digits: Number(token.totp_digits),
          period: Number(token.totp_period),
          drift: Number(token.totp_drift),
        }),
      );
      counts.tokens++;
    }
    await write(out, pskc.footer);
    await close(out);
  } catch (error) {
    // Half a file of seeds is of no use to anyone and still a file of seeds.
    out.destroy();
    rmSync(file, { force: true });
    throw error;
  }
  return counts;
}
