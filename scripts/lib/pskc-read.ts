// Reading a PSKC file (RFC 6030): the key packages with their secrets in the clear, decrypted
// with a pre-shared key (§6.1) or a password (§6.2), every MAC checked before its value is
// decrypted. What the values may be (TOTP only, which digits) is import-rows.ts's to decide.
import { DOMParser, type Element } from "@xmldom/xmldom";
import { base64ToBytes, bytesToHex } from "../../src/crypto/encoding";
import { checkMac, decryptCbc, HMAC_SHA1, PBKDF2_PRFS, pbkdf2, XENC_AES_CBC } from "./pskc-crypto";

/** Our own export's per-user data, in a PSKC Extensions element of this namespace (any other reader skips it). */
export const TOTP_EDGE_NS = "urn:totp-edge:pskc:user";

/** One key package, as the file says it. */
export interface PskcKey {
  /** The line of its KeyPackage element: every message names it. */
  line: number;
  /** The Key's Algorithm URI, e.g. urn:ietf:params:xml:ns:keyprov:pskc:totp. */
  algorithm: string;
  fields: Record<string, string>;
}

export interface PskcKeys {
  /** Unlocks an encrypted file; neither: the file must be in the clear. */
  psk?: Uint8Array;
  password?: string;
}

class PskcError extends Error {}

const MAX_ITERATIONS = 10_000_000;

/** Children of `parent` by local name: producers differ in their prefixes (and some leave PBKDF2's parameters unqualified). */
function children(parent: Element, name: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE && (node as Element).localName === name) out.push(node as Element);
  }
  return out;
}
const child = (parent: Element | undefined, name: string) => (parent ? children(parent, name)[0] : undefined);
const path = (parent: Element | undefined, ...names: string[]) => names.reduce(child, parent);
const text = (element: Element | undefined) => element?.textContent?.trim() ?? undefined;

export async function readPskc(xml: string, keys: PskcKeys): Promise<PskcKey[]> {
  let root: Element | null;
  let problem = "";
  try {
    root = new DOMParser({
      onError: (level, message) => {
        problem ||= message;
        if (level !== "warning") throw new PskcError(message);
      },
    }).parseFromString(xml, "text/xml").documentElement;
  } catch {
    throw new PskcError(`not a well-formed XML file: ${problem.split("\n")[0]}`);
  }
  if (root?.localName !== "KeyContainer") throw new PskcError("not a PSKC file: its root element is not a KeyContainer");
  const encryptionKey = await containerKey(root, keys);
  const macMethod = child(root, "MACMethod");
  let macKey: Uint8Array | undefined;
  if (macMethod) {
    if (macMethod.getAttribute("Algorithm") !== HMAC_SHA1)
      throw new PskcError(`unsupported MAC algorithm ${macMethod.getAttribute("Algorithm")}`);
    const wrapped = child(macMethod, "MACKey");
    // RFC 6030 §6.1.1: the MAC key travels encrypted; without one, producers MAC with the encryption key.
    macKey = wrapped ? await decryptValue(wrapped, encryptionKey, undefined) : encryptionKey;
  }
  const out: PskcKey[] = [];
  for (const pack of children(root, "KeyPackage")) {
    for (const key of children(pack, "Key")) {
      const data = child(key, "Data");
      const value = async (name: string) => {
        const element = child(data, name);
        if (!element) return undefined;
        const plain = text(child(element, "PlainValue"));
        if (plain !== undefined) return { plain };
        const encrypted = child(element, "EncryptedValue");
        if (!encrypted) return undefined;
        if (!macKey) throw new PskcError(`line ${key.lineNumber}: an encrypted value without a MACMethod (RFC 6030 §6.1.1)`);
        const mac = text(child(element, "ValueMAC"));
        if (!mac) throw new PskcError(`line ${key.lineNumber}: an encrypted ${name} without its ValueMAC (RFC 6030 §6.1.1)`);
        return { bytes: await decryptValue(encrypted, encryptionKey, { macKey, mac }) };
      };
      const secret = await value("Secret");
      const number = async (name: string) => {
        const found = await value(name);
        return found === undefined ? undefined : (found.plain ?? new TextDecoder().decode(found.bytes));
      };
      const format = path(key, "AlgorithmParameters", "ResponseFormat");
      const ours = path(key, "Extensions", "User");
      const fields: Record<string, string | undefined> = {
        serial: text(path(pack, "DeviceInfo", "SerialNo")),
        secret_hex: secret?.bytes ? bytesToHex(secret.bytes) : secret?.plain ? bytesToHex(base64ToBytes(secret.plain)) : undefined,
        algorithm: text(path(key, "AlgorithmParameters", "Suite"))?.replace(/^HMAC-/i, ""),
        digits: format?.getAttribute("Length") ?? undefined,
        encoding: format?.getAttribute("Encoding") ?? undefined,
        period: await number("TimeInterval"),
        drift: await number("TimeDrift"),
        time: await number("Time"),
        username: text(child(key, "UserId")),
      };
      if (ours?.namespaceURI === TOTP_EDGE_NS) {
        // No attribute for a user who never confirmed: an empty value says so (absent would mean "now").
        for (const name of ["userid", "created", "email", "phone"]) fields[name] = ours.getAttribute(name) ?? undefined;
        fields.confirmed = ours.getAttribute("confirmed") ?? "";
      }
      const defined = Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
      out.push({ line: pack.lineNumber ?? 0, algorithm: key.getAttribute("Algorithm") ?? "", fields: Object.fromEntries(defined) });
    }
  }
  return out;
}

/** The container's encryption key, from the caller's pre-shared key or password; undefined for a file in the clear. */
async function containerKey(root: Element, keys: PskcKeys): Promise<Uint8Array | undefined> {
  const element = child(root, "EncryptionKey");
  if (!element) return undefined;
  const derived = child(element, "DerivedKey");
  if (!derived) {
    if (!keys.psk) throw new PskcError("the file is encrypted with a pre-shared key: give it with --psk HEX");
    return keys.psk;
  }
  const method = child(derived, "KeyDerivationMethod");
  const params = child(method, "PBKDF2-params");
  if (!method?.getAttribute("Algorithm")?.endsWith("#pbkdf2") || !params) throw new PskcError("unsupported key derivation (PBKDF2 only)");
  if (keys.password === undefined) throw new PskcError("the file is encrypted with a password (PBKDF2): give it with --password PW");
  const salt = text(path(params, "Salt", "Specified"));
  const iterations = Number(text(child(params, "IterationCount")));
  const length = Number(text(child(params, "KeyLength")) ?? 16);
  const prf = child(params, "PRF")?.getAttribute("Algorithm") || "#hmac-sha1";
  const hash = PBKDF2_PRFS[prf.slice(prf.indexOf("#") + 1)];
  // A file's iteration count is the producer's choice, but not an hour of this machine's time.
  if (!salt || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS || !hash || ![16, 24, 32].includes(length)) {
    throw new PskcError(
      "unsupported PBKDF2 parameters (a specified salt, 1 to 10,000,000 iterations, a key of 16, 24 or 32 bytes, HMAC-SHA1/256/512)",
    );
  }
  return pbkdf2(keys.password, base64ToBytes(salt), iterations, length, hash);
}

/** An EncryptedValue (or a MACKey): its MAC checked first when one is given, then decrypted. */
async function decryptValue(
  element: Element,
  key: Uint8Array | undefined,
  mac: { macKey: Uint8Array; mac: string } | undefined,
): Promise<Uint8Array> {
  const algorithm = child(element, "EncryptionMethod")?.getAttribute("Algorithm") ?? "";
  const keyBytes = XENC_AES_CBC[algorithm];
  if (keyBytes === undefined) throw new PskcError(`line ${element.lineNumber}: unsupported encryption ${algorithm} (AES-CBC only)`);
  if (!key) throw new PskcError(`line ${element.lineNumber}: an encrypted value, but the file names no EncryptionKey`);
  if (key.length !== keyBytes)
    throw new PskcError(`the key must be ${keyBytes} bytes for ${algorithm.split("#")[1]} (it is ${key.length})`);
  const cipherValue = base64ToBytes((text(path(element, "CipherData", "CipherValue")) ?? "").replace(/\s+/g, ""));
  if (mac) await checkMac(mac.macKey, cipherValue, mac.mac);
  return decryptCbc(key, cipherValue);
}
