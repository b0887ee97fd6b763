<?php
// The whole totp-edge flow from a website's server: enrol a user, check a code, see the same code
// refused the second time, delete the user. PHP 7.4 or newer with the curl extension (php-curl).
//
//   TOTP_URL=http://127.0.0.1:8787 TOTP_API_KEY=... php totp-edge.php
//
// TOTP_EMAIL names the test user (default: a new address for every run). Exit status 0 when every
// answer was the expected one, 1 otherwise.

declare(strict_types=1);

/** RFC 4648 base32 (A-Z, 2-7; padding optional) to bytes. */
function totp_base32_decode(string $text): string
{
    $alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    $bits = '';
    foreach (str_split(rtrim(strtoupper($text), '=')) as $char) {
        $value = strpos($alphabet, $char);
        if ($value === false) {
            throw new InvalidArgumentException("not base32: $char");
        }
        $bits .= str_pad(decbin($value), 5, '0', STR_PAD_LEFT);
    }
    $bytes = '';
    foreach (str_split($bits, 8) as $byte) {
        if (strlen($byte) === 8) { // the last, partial group is padding
            $bytes .= chr(bindec($byte));
        }
    }
    return $bytes;
}

/** RFC 6238 TOTP as totp-edge checks it: HMAC-SHA1, 6 digits, 30 s steps from the Unix epoch. */
function totp(string $secret, ?float $unixSeconds = null): string
{
    $counter = pack('J', (int) floor(($unixSeconds ?? microtime(true)) / 30)); // 64-bit big-endian
    $mac = hash_hmac('sha1', $counter, totp_base32_decode($secret), true);
    $offset = ord($mac[19]) & 0x0f; // RFC 4226 section 5.4, dynamic truncation
    $number = unpack('N', substr($mac, $offset, 4))[1] & 0x7fffffff;
    // Codes are digit strings: 012345 keeps its zero.
    return str_pad((string) ($number % 1000000), 6, '0', STR_PAD_LEFT);
}

function fail(string $message): void
{
    fwrite(STDERR, "totp-edge example: $message\n");
    exit(1);
}

function required_env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        fail("set $name (see the top of this file)");
    }
    return $value;
}

/**
 * POSTs $params as a form and returns the body. The key goes in a header, not in the URL: URLs
 * end up in access logs (Cloudflare's own included), headers and bodies do not.
 */
function totp_post(string $baseUrl, string $apiKey, string $path, array $params): string
{
    $curl = curl_init($baseUrl . $path);
    curl_setopt_array($curl, [
        CURLOPT_POST => true,
        // http_build_query sends application/x-www-form-urlencoded. Passing the array itself
        // would send multipart/form-data, which totp-edge reads too.
        CURLOPT_POSTFIELDS => http_build_query($params),
        CURLOPT_HTTPHEADER => ['X-API-Key: ' . $apiKey],
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
    ]);
    $body = curl_exec($curl);
    if ($body === false) {
        fail("cannot reach $baseUrl: " . curl_error($curl));
    }
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    // API errors come with HTTP 200; any other status is a transport problem (413, 415, 429, 500).
    if ($status !== 200) {
        fail("$path answered HTTP $status: $body");
    }
    return $body;
}

function totp_post_json(string $baseUrl, string $apiKey, string $path, array $params): array
{
    $body = totp_post($baseUrl, $apiKey, $path, $params + ['format' => '1']);
    $answer = json_decode($body, true);
    if (!is_array($answer)) {
        fail("$path did not answer JSON: $body");
    }
    return $answer;
}

function main(): void
{
    if (!function_exists('curl_init')) {
        fail('this example needs the PHP curl extension (Debian/Ubuntu: apt-get install php-curl)');
    }
    $baseUrl = rtrim(required_env('TOTP_URL'), '/');
    $apiKey = required_env('TOTP_API_KEY');
    $email = getenv('TOTP_EMAIL') ?: sprintf('example-%d-%d@example.com', (int) (microtime(true) * 1000), getmypid());

    // 1. Enrol. Store `userid` with your own user record; show `hashqr` (or `hash`) to the user once.
    $created = totp_post_json($baseUrl, $apiKey, '/createuser', ['email' => $email]);
    if (($created['success'] ?? null) !== 'true') {
        fail("createuser: {$created['response']} (code {$created['code']})");
    }
    echo "user: $email\n";
    echo "userid: {$created['userid']}\n";
    // Printed for this demonstration only: the URL holds the secret, so never log it in real code.
    echo "hashqr: {$created['hashqr']}\n";

    // 2. The user would type the code their app shows; here we compute it from `hash`.
    $code = totp($created['hash']);
    echo "code: $code\n";

    // 3. Validate. The token goes as a string: it may start with 0.
    $first = totp_post_json($baseUrl, $apiKey, '/validate', ['userid' => $created['userid'], 'token' => $code]);
    if (($first['validation'] ?? null) !== 'true') {
        fail('validate: expected "OTP is valid", got ' . json_encode($first));
    }
    echo "validate: {$first['response']}\n";

    // 4. The same code again is a replay: refused with code 8, as a stolen copy of it would be.
    $again = totp_post_json($baseUrl, $apiKey, '/validate', ['userid' => $created['userid'], 'token' => $code]);
    if (($again['validation'] ?? null) !== 'false' || ($again['code'] ?? null) !== 8) {
        fail('validate again: expected code 8, got ' . json_encode($again));
    }
    echo "validate again: {$again['response']} (code {$again['code']})\n";

    // 5. Delete the user. api.php names users by username: here, the email.
    $deleted = trim(totp_post($baseUrl, $apiKey, '/api.php', ['action' => 'deletelocaluser', 'user' => $email]));
    if ($deleted !== 'Success: user deleted') {
        fail('deletelocaluser: expected "Success: user deleted", got ' . json_encode($deleted));
    }
    echo "delete: $deleted\n";
}

// Run as a program; included (as the tests do, to check totp() against RFC 6238), do nothing.
if (PHP_SAPI === 'cli' && realpath($_SERVER['argv'][0] ?? '') === __FILE__) {
    main();
}
