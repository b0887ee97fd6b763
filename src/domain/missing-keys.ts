import { type Keyring, MissingKeyError, open, type Sealed } from "../crypto/secret-box";

/** Key ids this isolate has reported missing: each is logged once, not once per login. */
const reported = new Set<string>();

/**
 * Opens a sealed secret for a login, or null when the keyring lacks its key: the login is then
 * refused like any other (a 500 would tell a stranger that the name exists and has a secret), and
 * the misconfiguration is logged once per key id and isolate. Other failures still throw.
 */
export async function openForLogin(keyring: Keyring, sealed: Sealed, context: string): Promise<Uint8Array | null> {
  try {
    return await open(keyring, sealed, context);
  } catch (error) {
    if (!(error instanceof MissingKeyError)) throw error;
    if (!reported.has(error.sealKeyId)) {
      reported.add(error.sealKeyId);
      console.error(
        JSON.stringify({
          level: "error",
          event: "misconfigured",
          kind: "MissingKey",
          message: `${error.message}: logins whose secret is sealed under it are refused until SECRET_ENCRYPTION_KEYS has it again`,
        }),
      );
    }
    return null;
  }
}
