#!/usr/bin/env node
// A totp-edge webhook receiver: verifies the Standard Webhooks signature with node:crypto (the
// `standardwebhooks` npm package does the same: new Webhook(secret).verify(body, headers)), then
// handles the event (here: prints it). Node 20 or newer; no dependencies.
//
//   WEBHOOK_SECRET=whsec_... PORT=8080 node webhook-receiver.mjs
//   npm run webhook -- add http://127.0.0.1:8080/ --events user.locked,user.deleted   (local only; https:// when deployed)
//
// Deliveries are at least once: this keeps the webhook-ids it handled and skips repeats (a real
// receiver keeps them in its database).
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { pathToFileURL } from "node:url";

/** True when one of the v1 signatures is ours and the timestamp is within 5 minutes of now. */
export function verifyWebhook(secret, headers, body, now = Date.now() / 1000) {
  const id = headers["webhook-id"] ?? "";
  const timestamp = headers["webhook-timestamp"] ?? "";
  // An old delivery replayed, or not one of ours.
  if (!id || !/^[0-9]+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  // During a secret rotation there are two signatures, space-separated: either one will do.
  return (headers["webhook-signature"] ?? "").split(" ").some((signature) => {
    const [version, value = ""] = signature.split(",", 2);
    const given = Buffer.from(value, "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function main() {
  const seen = new Set();
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (!verifyWebhook(process.env.WEBHOOK_SECRET ?? "", request.headers, body)) {
        console.log("invalid signature");
        return response.writeHead(400).end();
      }
      const id = request.headers["webhook-id"];
      if (!seen.has(id)) {
        seen.add(id);
        const event = JSON.parse(body);
        // Handle the event here: event.type, event.data.userid, event.data.username ...
        console.log(JSON.stringify({ id, type: event.type }));
      }
      response.writeHead(204).end();
    });
  });
  server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => console.error(`listening on ${server.address().port}`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
