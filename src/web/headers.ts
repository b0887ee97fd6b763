import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToBase64, utf8 } from "../crypto/encoding";
import { PAGE_STYLE } from "./page";

const styleHash = `'sha256-${bytesToBase64(sha256(utf8.encode(PAGE_STYLE)))}'`;

/**
 * Every console and portal page: no script at all, the one stylesheet by its hash, images only
 * from this origin or inline data (the QR codes), forms only to this origin, never framed.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": [
    "default-src 'none'",
    `style-src ${styleHash}`,
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; "),
  // Not no-referrer: under it Chromium sends `Origin: null` with form posts, which the Origin check
  // (src/web/forms.ts) must refuse. same-origin still tells other sites nothing (links carry tokens).
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};
