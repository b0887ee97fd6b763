#!/usr/bin/env python3
"""The whole totp-edge flow from a website's server: enrol a user, check a code, see the same code
refused the second time, delete the user. Python 3.8 or newer; standard library only.

    TOTP_URL=http://127.0.0.1:8787 TOTP_API_KEY=... python3 totp_edge.py

TOTP_EMAIL names the test user (default: a new address for every run). Exit status 0 when every
answer was the expected one, 1 otherwise.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def totp(secret, unix_seconds=None):
    """RFC 6238 TOTP as totp-edge checks it: HMAC-SHA1, 6 digits, 30 s steps from the Unix epoch."""
    if unix_seconds is None:
        unix_seconds = time.time()
    # b32decode wants padding, which the API's secrets leave out.
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(unix_seconds // 30))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F  # RFC 4226 section 5.4, dynamic truncation
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    # Codes are digit strings: 012345 keeps its zero.
    return "%06d" % (number % 1000000)


def fail(message):
    print("totp-edge example: " + message, file=sys.stderr)
    sys.exit(1)


def required_env(name):
    value = os.environ.get(name)
    if not value:
        fail("set %s (see the top of this file)" % name)
    return value


def post(base_url, api_key, path, params):
    """POSTs params as a form and returns the body. The key goes in a header, not in the URL:
    URLs end up in access logs (Cloudflare's own included), headers and bodies do not."""
    request = urllib.request.Request(
        base_url + path,
        data=urllib.parse.urlencode(params).encode("utf-8"),
        headers={"X-API-Key": api_key, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        fail("cannot reach %s: %s" % (base_url, getattr(error, "reason", error)))
    # API errors come with HTTP 200; any other status is a transport problem (413, 415, 429, 500).
    if status != 200:
        fail("%s answered HTTP %d: %s" % (path, status, body))
    return body


def post_json(base_url, api_key, path, params):
    body = post(base_url, api_key, path, dict(params, format="1"))
    try:
        return json.loads(body)
    except ValueError:
        fail("%s did not answer JSON: %s" % (path, body))


def main():
    base_url = required_env("TOTP_URL").rstrip("/")
    api_key = required_env("TOTP_API_KEY")
    email = os.environ.get("TOTP_EMAIL") or "example-%d-%d@example.com" % (time.time() * 1000, os.getpid())

    # 1. Enrol. Store `userid` with your own user record; show `hashqr` (or `hash`) to the user once.
    created = post_json(base_url, api_key, "/createuser", {"email": email})
    if created.get("success") != "true":
        fail("createuser: %s (code %s)" % (created.get("response"), created.get("code")))
    print("user: " + email)
    print("userid: %d" % created["userid"])
    # Printed for this demonstration only: the URL holds the secret, so never log it in real code.
    print("hashqr: " + created["hashqr"])

    # 2. The user would type the code their app shows; here we compute it from `hash`.
    code = totp(created["hash"])
    print("code: " + code)

    # 3. Validate. The token goes as a string: it may start with 0.
    first = post_json(base_url, api_key, "/validate", {"userid": created["userid"], "token": code})
    if first.get("validation") != "true":
        fail('validate: expected "OTP is valid", got %s' % json.dumps(first))
    print("validate: " + first["response"])

    # 4. The same code again is a replay: refused with code 8, as a stolen copy of it would be.
    again = post_json(base_url, api_key, "/validate", {"userid": created["userid"], "token": code})
    if again.get("validation") != "false" or again.get("code") != 8:
        fail("validate again: expected code 8, got %s" % json.dumps(again))
    print("validate again: %s (code %d)" % (again["response"], again["code"]))

    # 5. Delete the user. api.php names users by username: here, the email.
    deleted = post(base_url, api_key, "/api.php", {"action": "deletelocaluser", "user": email}).strip()
    if deleted != "Success: user deleted":
        fail('deletelocaluser: expected "Success: user deleted", got %s' % json.dumps(deleted))
    print("delete: " + deleted)


# Run as a program; imported (as the tests do, to check totp() against RFC 6238), do nothing.
if __name__ == "__main__":
    main()
