#!/usr/bin/env bash
# The whole totp-edge flow from a website's server: enrol a user, check a code, see the same code
# refused the second time, delete the user. Needs bash 4+, curl and openssl (for HMAC-SHA1).
# Computing the code stands in for the user's authenticator app: a website never does that (and
# openssl's -macopt puts the secret on a command line, where `ps` shows it).
#
#   TOTP_URL=http://127.0.0.1:8787 TOTP_API_KEY=... bash totp-edge.sh
#
# TOTP_EMAIL names the test user (default: a new address for every run). Exit status 0 when every
# answer was the expected one, 1 otherwise.
set -euo pipefail

fail() {
  echo "totp-edge example: $*" >&2
  exit 1
}

# RFC 4648 base32 (A-Z, 2-7; padding optional) to lowercase hex, 5 bits in, 8 bits out.
base32_to_hex() {
  local alphabet=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 text=${1%%=*} hex='' buffer=0 bits=0 i char prefix
  text=${text^^}
  for ((i = 0; i < ${#text}; i++)); do
    char=${text:i:1}
    prefix=${alphabet%%"$char"*}
    [[ ${#prefix} -lt 32 && -n $char ]] || fail "not base32: $char"
    buffer=$(((buffer << 5 | ${#prefix}) & 0xfff)) # only the bits not yet emitted matter
    bits=$((bits + 5))
    if ((bits >= 8)); then
      bits=$((bits - 8))
      hex+=$(printf '%02x' $(((buffer >> bits) & 0xff)))
    fi
  done
  echo "$hex"
}

# RFC 6238 TOTP as totp-edge checks it: HMAC-SHA1, 6 digits, 30 s steps from the Unix epoch.
# Usage: totp SECRET [UNIX_SECONDS]
totp() {
  local key counter mac offset number
  key=$(base32_to_hex "$1")
  # The counter as 8 big-endian bytes, as \xNN escapes: a shell variable cannot hold a zero byte.
  counter=$(printf '%016x' $((${2:-$(date +%s)} / 30)) | sed 's/../\\x&/g')
  mac=$(printf '%b' "$counter" | openssl dgst -sha1 -mac HMAC -macopt "hexkey:$key" | awk '{ print $NF }')
  [[ ${#mac} -eq 40 ]] || fail "openssl did not compute an HMAC-SHA1"
  offset=$((16#${mac:39:1})) # RFC 4226 section 5.4, dynamic truncation
  number=$((16#${mac:offset*2:8} & 0x7fffffff))
  # Codes are digit strings: 012345 keeps its zero.
  printf '%06d\n' $((number % 1000000))
}

# POSTs form fields (name=value arguments, URL-encoded by curl) and prints the body. The key goes
# in a header, not in the URL: URLs end up in access logs (Cloudflare's own included), headers and
# bodies do not. Usage: post PATH name=value...
post() {
  local path=$1 answer status field
  shift
  local fields=()
  for field in "$@"; do fields+=(--data-urlencode "$field"); done
  # -w appends the status on a line of its own after the body.
  answer=$(curl -sS --max-time 10 -w '\n%{http_code}' -H "X-API-Key: $TOTP_API_KEY" "${fields[@]}" "$TOTP_URL$path") ||
    fail "cannot reach $TOTP_URL"
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  # API errors come with HTTP 200; any other status is a transport problem (413, 415, 429, 500).
  [[ $status == 200 ]] || fail "$path answered HTTP $status: $answer"
  printf '%s\n' "$answer"
}

# A string or integer field of a flat JSON object (format=1 answers are one line, no nesting).
json_field() {
  sed -n -e "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" -e "t" -e "s/.*\"$2\":\\([0-9][0-9]*\\).*/\\1/p" <<<"$1"
}

main() {
  : "${TOTP_URL:?set TOTP_URL (see the top of this file)}" "${TOTP_API_KEY:?set TOTP_API_KEY (see the top of this file)}"
  TOTP_URL=${TOTP_URL%/}
  local email=${TOTP_EMAIL:-example-$(date +%s)-$$@example.com}
  local created userid hash code first again deleted

  # 1. Enrol. Store `userid` with your own user record; show `hashqr` (or `hash`) to the user once.
  created=$(post /createuser "email=$email" format=1)
  [[ $(json_field "$created" success) == true ]] || fail "createuser: $created"
  userid=$(json_field "$created" userid)
  hash=$(json_field "$created" hash)
  echo "user: $email"
  echo "userid: $userid"
  # Printed for this demonstration only: the URL holds the secret, so never log it in real code.
  echo "hashqr: $(json_field "$created" hashqr)"

  # 2. The user would type the code their app shows; here we compute it from `hash`.
  code=$(totp "$hash")
  echo "code: $code"

  # 3. Validate.
  first=$(post /validate "userid=$userid" "token=$code" format=1)
  [[ $(json_field "$first" validation) == true ]] || fail "validate: expected \"OTP is valid\", got $first"
  echo "validate: $(json_field "$first" response)"

  # 4. The same code again is a replay: refused with code 8, as a stolen copy of it would be.
  again=$(post /validate "userid=$userid" "token=$code" format=1)
  [[ $(json_field "$again" validation) == false && $(json_field "$again" code) == 8 ]] ||
    fail "validate again: expected code 8, got $again"
  echo "validate again: $(json_field "$again" response) (code 8)"

  # 5. Delete the user. api.php names users by username: here, the email.
  deleted=$(post /api.php action=deletelocaluser "user=$email")
  [[ $deleted == "Success: user deleted" ]] || fail "deletelocaluser: expected \"Success: user deleted\", got \"$deleted\""
  echo "delete: $deleted"
}

# Run as a program; sourced (as the tests do, to check totp() against RFC 6238), define only.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
