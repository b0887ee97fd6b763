import { describe, expect, it } from "vitest";
import { pskcRows } from "../scripts/lib/import-pskc";
import { PskcKeyError } from "../scripts/lib/pskc-crypto";
import { readPskc } from "../scripts/lib/pskc-read";
import figure2 from "./vectors/pskc/rfc6030-figure2.xml?raw";
import figure6 from "./vectors/pskc/rfc6030-figure6.xml?raw";
import figure7 from "./vectors/pskc/rfc6030-figure7.xml?raw";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!, (pair) => Number.parseInt(pair, 16));
const PSK = hex("12345678901234567890123456789012");
const RFC_SECRET = [...new TextEncoder().encode("12345678901234567890")].map((b) => b.toString(16)).join("");

/** A TOTP key in the clear, as a vendor's file has it: SHA-256, 8 digits, 60 s, a clock 2 steps slow. */
const totpFile = (serial: string, extra = "") => `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>${serial}</SerialNo></DeviceInfo>
    <Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><Suite>HMAC-SHA256</Suite><ResponseFormat Length="8" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
        <TimeInterval><PlainValue>60</PlainValue></TimeInterval>
        <TimeDrift><PlainValue>-2</PlainValue></TimeDrift>${extra}
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>`;

describe("PSKC (RFC 6030): the RFC's own examples", () => {
  it("Figure 2, a key in the clear; Figure 6, AES-128-CBC under a pre-shared key; Figure 7, a PBKDF2 password", async () => {
    expect((await readPskc(figure2, {}))[0]!.fields).toEqual({ secret_hex: "31323334" });
    for (const keys of [await readPskc(figure6, { psk: PSK }), await readPskc(figure7, { password: "qwerty" })]) {
      expect(keys).toHaveLength(1);
      expect(keys[0]!.algorithm).toBe("urn:ietf:params:xml:ns:keyprov:pskc:hotp");
      expect(keys[0]!.fields).toMatchObject({ serial: "987654321", secret_hex: RFC_SECRET, digits: "8", encoding: "DECIMAL" });
    }
  });

  it("a wrong pre-shared key or password is one error; a missing one says which to give; an altered value fails its MAC", async () => {
    await expect(readPskc(figure6, { psk: hex("12345678901234567890123456789013") })).rejects.toThrow(PskcKeyError);
    await expect(readPskc(figure7, { password: "qwertz" })).rejects.toThrow(PskcKeyError);
    await expect(readPskc(figure6, {})).rejects.toThrow("give it with --psk HEX");
    await expect(readPskc(figure7, {})).rejects.toThrow("give it with --password PW");
    // One bit of the secret's ciphertext flipped (the MAC key is intact): the MAC refuses it.
    const altered = figure6.replace("AAECAwQFBgcICQoLDA0OD+cI", "AAECAwQFBgcICQoLDA0OD+cJ");
    await expect(readPskc(altered, { psk: PSK })).rejects.toThrow(PskcKeyError);
    await expect(readPskc("<KeyContainer><KeyPackage></KeyContainer>", {})).rejects.toThrow("not a well-formed XML file");
    await expect(readPskc("<html/>", {})).rejects.toThrow("not a PSKC file");
  });

  it("the import refuses HOTP keys (by line) and takes TOTP keys with their algorithm, digits, period and drift", async () => {
    expect((await pskcRows(figure7, { password: "qwerty" }, undefined)).errors.map((e) => e.message)).toEqual([
      "line 39: not a TOTP key (hotp): only time-based tokens can be imported",
    ]);
    const waiting = await pskcRows(totpFile("ACME-1"), {}, undefined);
    expect(waiting.errors).toEqual([]);
    expect(waiting.users).toEqual([]);
    expect(waiting.inventory).toMatchObject([{ serial: "ACME-1", drift: -2, token: { algorithm: "SHA256", digits: 8, period: 60 } }]);
    const assigned = await pskcRows(totpFile("ACME-1"), {}, "serial,username\nACME-1,alice@example.com\n");
    expect(assigned.inventory).toEqual([]);
    expect(assigned.users).toMatchObject([{ username: "alice@example.com", serial: "ACME-1", userId: null, drift: -2 }]);
    const unknown = await pskcRows(totpFile("ACME-1"), {}, "ACME-2,bob\n");
    expect(unknown.errors.map((e) => e.message)).toEqual(["--assign line 1: no key in the PSKC file has this serial"]);
    const shifted = await pskcRows(totpFile("ACME-1", "<Time><PlainValue>5</PlainValue></Time>"), {}, undefined);
    expect(shifted.errors.map((e) => e.message)).toEqual(["line 3: a TOTP start time (Time) other than 0 is not supported"]);
  });
});
