import { bytesToBase64, utf8 } from "../crypto/encoding";
import { qrSvg } from "../formats/qr-svg";

/** A base32 key in groups of four, as people type it ("JBSW Y3DP …"). */
const groupedKey = (secret: string) => secret.replace(/(.{4})(?=.)/g, "$1 ");

interface SecretDisplayProps {
  /** The otpauth URI the QR code carries. */
  uri: string;
  /** The base32 key. */
  secret: string;
  alt: string;
  /** Width and height of the QR image in px (QR_SIZE). */
  size: number;
  /** The line between the QR code and the key. */
  typeHint?: string;
}

/**
 * A TOTP secret as a person receives it: the QR code of its otpauth URI, as an inline data: image
 * (the pages' CSP allows no other source, and nothing is stored to serve it later), and the key in
 * groups of four for typing. Console enrolment, console reset and the portal all show it so.
 */
export function SecretDisplay({ uri, secret, alt, size, typeHint = "Or type the key:" }: SecretDisplayProps) {
  const src = `data:image/svg+xml;base64,${bytesToBase64(utf8.encode(qrSvg(uri, size)))}`;
  return (
    <>
      <img class="qr" alt={alt} src={src} width={size} height={size} />
      <p>{typeHint}</p>
      <p class="secret" id="secret">
        {groupedKey(secret)}
      </p>
    </>
  );
}
