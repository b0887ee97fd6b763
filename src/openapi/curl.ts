import type { RequestExample, RouteSpec } from "./spec";

/** The shell variables every example reads: the server's origin and an API key. */
export const CURL_URL_VARIABLE = "TOTP_URL";
export const CURL_KEY_VARIABLE = "TOTP_API_KEY";

/** A double-quoted shell word whose text the shell keeps as it is. */
const quote = (text: string) => `"${text.replace(/["$`\\]/g, "\\$&")}"`;

/**
 * One curl command, an option a line once it has more than one. The key goes in a header and
 * the parameters in a POST body, not in the URL: URLs end up in proxy and access logs.
 */
export function curlCommand(route: RouteSpec, example: RequestExample): string {
  const entries = Object.entries(example.params);
  const post = route.methods.includes("POST") && entries.length > 0;
  // A redirect has no body worth printing: -i shows its status and Location.
  let first = `curl -sS${route.answer.kind === "redirect" ? " -i" : ""}`;
  if (route.apiKey) first += ` -H "X-API-Key: $${CURL_KEY_VARIABLE}"`;
  const options = [first];
  if (post) {
    for (const [name, value] of entries) options.push(`--data-urlencode ${quote(`${name}=${value}`)}`);
  }
  const query = post || !entries.length ? "" : `?${new URLSearchParams(entries).toString()}`;
  const path = example.path ?? route.honoPath;
  options.push(`"$${CURL_URL_VARIABLE}${quote(path + query).slice(1)}`);
  return options.join(options.length > 2 ? " \\\n  " : " ");
}
