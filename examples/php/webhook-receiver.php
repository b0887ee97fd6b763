<?php
// A totp-edge webhook receiver: verifies the Standard Webhooks signature with hash_hmac, then
// handles the event (here: prints it). Run it with PHP's built-in server, or copy verify_webhook()
// into your application:
//
//   WEBHOOK_SECRET=whsec_... php -S 127.0.0.1:8080 webhook-receiver.php
//   npm run webhook -- add http://127.0.0.1:8080/ --events user.locked,user.deleted   (local only; https:// when deployed)
//
// Deliveries are at least once: store each webhook-id you handled (a unique key) and skip repeats.

/** True when one of the v1 signatures is ours and the timestamp is within 5 minutes of now. */
function verify_webhook(string $secret, array $headers, string $body, ?int $now = null): bool
{
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    if ($id === '' || !ctype_digit($timestamp) || abs(($now ?? time()) - (int) $timestamp) > 300) {
        return false; // an old delivery replayed, or not one of ours
    }
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
    if ($key === false) {
        return false;
    }
    $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $key, true));
    // During a secret rotation there are two signatures, space-separated: either one will do.
    foreach (explode(' ', $headers['webhook-signature'] ?? '') as $signature) {
        [$version, $value] = array_pad(explode(',', $signature, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $value)) {
            return true;
        }
    }
    return false;
}

if (PHP_SAPI === 'cli-server') {
    $body = file_get_contents('php://input');
    $headers = [
        'webhook-id' => $_SERVER['HTTP_WEBHOOK_ID'] ?? '',
        'webhook-timestamp' => $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '',
        'webhook-signature' => $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '',
    ];
    if (!verify_webhook((string) getenv('WEBHOOK_SECRET'), $headers, $body)) {
        http_response_code(400);
        file_put_contents('php://stdout', "invalid signature\n");
        return;
    }
    $event = json_decode($body, true);
    // Handle the event here: $event['type'], $event['data']['userid'], $event['data']['username'] ...
    file_put_contents('php://stdout', json_encode(['id' => $headers['webhook-id'], 'type' => $event['type']]) . "\n");
    http_response_code(204);
}
