// Writing a PSKC file (RFC 6030) of TOTP keys for npm run export --with-secrets: every secret
// encrypted with AES-CBC under the operator's pre-shared key (§6.1) or a PBKDF2 key from their
// password (§6.2), each with its HMAC-SHA1 under a MAC key that travels encrypted too.
import type { OtpAlgorithm } from "../../src/otp/hmac";
import { encryptCbc, hmacSha1, pbkdf2 } from "./pskc-crypto";
import { TOTP_EDGE_NS } from "./pskc-read";
import { base64ToBytes, bytesToBase64 } from "../../src/crypto/encoding";
import { escapeXml } from "../../src/formats/xml";

/** OWASP's figure for PBKDF2-HMAC-SHA1 is higher; this is what every PSKC reader we know takes in seconds. */
const PBKDF2_ITERATIONS = 100_000;

export interface PskcEntry {
  serial: string | null;
  secret: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  drift: number;
  /** Our own per-user data (absent for a token that waits in the inventory). */
  user?: { userid: number; username: string; created: number; confirmed: number | null; email: string | null; phone: string | null };
}

export interface PskcWriter {
  header: string;
  keyPackage: (entry: PskcEntry) => Promise<string>;
  footer: string;
}

export async function pskcWriter(keys: { psk: Uint8Array } | { password: string }): Promise<PskcWriter> {
  let key: Uint8Array;
  let encryptionKey: string;
  if ("psk" in keys) {
    key = keys.psk;
    encryptionKey = "<pskc:EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></pskc:EncryptionKey>";
  } else {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    key = await pbkdf2(keys.password, salt, PBKDF2_ITERATIONS, 16, "SHA-1");
    encryptionKey =
      "<pskc:EncryptionKey><xenc11:DerivedKey>" +
      '<xenc11:KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2">' +
      `<pkcs5:PBKDF2-params><Salt><Specified>${bytesToBase64(salt)}</Specified></Salt>` +
      `<IterationCount>${PBKDF2_ITERATIONS}</IterationCount><KeyLength>16</KeyLength></pkcs5:PBKDF2-params>` +
      "</xenc11:KeyDerivationMethod></xenc11:DerivedKey></pskc:EncryptionKey>";
  }
  const cbc = `http://www.w3.org/2001/04/xmlenc#aes${key.length * 8}-cbc`;
  const macKey = crypto.getRandomValues(new Uint8Array(20));
  const encrypted = async (plain: Uint8Array) =>
    `<xenc:EncryptionMethod Algorithm="${cbc}"/><xenc:CipherData><xenc:CipherValue>${await encryptCbc(key, plain)}</xenc:CipherValue></xenc:CipherData>`;
  const header =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ' +
    'xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" ' +
    `xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#" xmlns:te="${TOTP_EDGE_NS}">\n` +
    `${encryptionKey}\n` +
    `<pskc:MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"><pskc:MACKey>${await encrypted(macKey)}</pskc:MACKey></pskc:MACMethod>\n`;

  async function keyPackage(entry: PskcEntry): Promise<string> {
    const value = await encryptCbc(key, entry.secret);
    const mac = bytesToBase64(await hmacSha1(macKey, base64ToBytes(value)));
    const plain = (name: string, n: number) => `<pskc:${name}><pskc:PlainValue>${n}</pskc:PlainValue></pskc:${name}>`;
    const user = entry.user;
    const attributes = user
      ? Object.entries(user)
          .filter(([, v]) => v !== null)
          .map(([name, v]) => ` ${name}="${escapeXml(String(v))}"`)
          .join("")
      : "";
    return (
      "<pskc:KeyPackage>" +
      (entry.serial === null ? "" : `<pskc:DeviceInfo><pskc:SerialNo>${escapeXml(entry.serial)}</pskc:SerialNo></pskc:DeviceInfo>`) +
      `<pskc:Key Id="${user ? `user-${user.userid}` : `token-${escapeXml(entry.serial ?? "")}`}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">` +
      `<pskc:AlgorithmParameters><pskc:Suite>HMAC-${entry.algorithm}</pskc:Suite>` +
      `<pskc:ResponseFormat Length="${entry.digits}" Encoding="DECIMAL"/></pskc:AlgorithmParameters>` +
      `<pskc:Data><pskc:Secret><pskc:EncryptedValue><xenc:EncryptionMethod Algorithm="${cbc}"/>` +
      `<xenc:CipherData><xenc:CipherValue>${value}</xenc:CipherValue></xenc:CipherData></pskc:EncryptedValue>` +
      `<pskc:ValueMAC>${mac}</pskc:ValueMAC></pskc:Secret>${plain("TimeInterval", entry.period)}${plain("TimeDrift", entry.drift)}</pskc:Data>` +
      (user
        ? `<pskc:UserId>${escapeXml(user.username)}</pskc:UserId>` +
          `<pskc:Extensions definition="${TOTP_EDGE_NS}"><te:User${attributes}/></pskc:Extensions>`
        : "") +
      "</pskc:Key></pskc:KeyPackage>\n"
    );
  }
  return { header, keyPackage, footer: "</pskc:KeyContainer>\n" };
}
