import { bytesToBase64, utf8 } from "../crypto/encoding";
import { qrSvg } from "../formats/qr-svg";

/**
 * A TOTP secret as a person receives it: the QR code of its otpauth URI, as an inline data: image
 * (the pages' CSP allows no other source, and nothing is stored to serve it later), and the key in
 * groups of four for typing.
 */
export function SecretDisplay({ uri, secret, alt }: { uri: string; secret: string; alt: string }) {
  const src = `data:image/svg+xml;base64,${bytesToBase64(utf8.encode(qrSvg(uri, 256)))}`;
  return (
    <>
      <img class="qr" alt={alt} src={src} />
      <p>Or type the key:</p>
      <p class="secret" id="secret">
        {secret.replace(/(.{4})(?=.)/g, "$1 ")}
      </p>
    </>
  );
}
