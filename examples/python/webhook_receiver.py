#!/usr/bin/env python3
"""A totp-edge webhook receiver: verifies the Standard Webhooks signature with the standard
library's hmac (nothing from PyPI), then handles the event (here: prints it).

    WEBHOOK_SECRET=whsec_... PORT=8080 python3 webhook_receiver.py
    npm run webhook -- add http://127.0.0.1:8080/ --events user.locked,user.deleted   (local only; https:// when deployed)

Deliveries are at least once: this keeps the webhook-ids it handled and skips repeats (a real
receiver keeps them in its database).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify_webhook(secret, headers, body, now=None):
    """True when one of the v1 signatures is ours and the timestamp is within 5 minutes of now."""
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > 300:
        return False  # an old delivery replayed, or not one of ours
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    content = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    # During a secret rotation there are two signatures, space-separated: either one will do.
    for signature in headers.get("webhook-signature", "").split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value):
            return True
    return False


SEEN = set()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name: self.headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        if not verify_webhook(os.environ["WEBHOOK_SECRET"], headers, body):
            self.send_response(400)
            self.end_headers()
            print("invalid signature", flush=True)
            return
        if headers["webhook-id"] not in SEEN:
            SEEN.add(headers["webhook-id"])
            event = json.loads(body)
            # Handle the event here: event["type"], event["data"]["userid"], event["data"]["username"] ...
            print(json.dumps({"id": headers["webhook-id"], "type": event["type"]}), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass  # one line per event above is enough


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), Receiver)
    print(f"listening on {server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()
