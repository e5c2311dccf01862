<?php
// bounced from a PHP mailer (plain PHP 8: no extension beyond the defaults; works the same inside
// Symfony or Laravel). Run: BOUNCED_URL=http://127.0.0.1:8025 BOUNCED_TOKEN=bnc_... php mailer.php ADDRESS
$base = getenv('BOUNCED_URL') . '/api/v1';
$token = getenv('BOUNCED_TOKEN');

function bounced(string $method, string $path, ?array $json = null): array {
    global $base, $token;
    $ctx = stream_context_create(['http' => [
        'method' => $method, 'ignore_errors' => true, 'timeout' => 5,
        'header' => "Authorization: Bearer $token\r\nContent-Type: application/json\r\n",
        'content' => $json === null ? '' : json_encode($json),
    ]]);
    $body = file_get_contents($base . $path, false, $ctx);
    return json_decode($body, true);
}

// 1. The Return-Path: a signed VERP address per recipient, so a bounce names the recipient and
//    proves it answers your mail (bounced_verp() is the README's "The tag, for mailers in any
//    language"). Symfony Mailer; Laravel: the same Email object in a Mailable's withSymfonyMessage():
//    $email->returnPath(bounced_verp($to, $secret, 'bounces.example.org'));

// 2. Check before sending: the API normalizes the address (case, IDN, <brackets>, spaces).
$to = $argv[1];
$answer = bounced('GET', '/suppressions/' . rawurlencode($to));
echo $answer['suppressed'] ? "skip $to: {$answer['kind']} {$answer['reason']}\n" : "send to $to\n";

// 3. Report activity (opens, clicks, logins): it restarts the soft-bounce count.
$r = bounced('POST', '/activity', ['activity' => [['address' => $to, 'type' => 'click', 'at' => gmdate('c')]]]);
echo "recorded {$r['recorded']}\n";

// 4. Follow the change feed: keep the cursor between runs (a file, a database row).
$cursor = '0';
do {
    $page = bounced('GET', '/changes?after=' . urlencode($cursor));
    foreach ($page['changes'] as $c) { echo "change {$c['change']} {$c['address']}\n"; }
    $cursor = $page['next_cursor'];
} while ($page['more']);

// 5. Verify a webhook: HMAC-SHA256 over "t." + raw body, and refuse old timestamps.
function bounced_webhook_ok(string $secret, string $header, string $body, int $tolerance = 300): bool {
    parse_str(str_replace(',', '&', $header), $p);
    if (!isset($p['t'], $p['v1']) || abs(time() - (int)$p['t']) > $tolerance) { return false; }
    return hash_equals(hash_hmac('sha256', $p['t'] . '.' . $body, $secret), $p['v1']);
}
if (getenv('WEBHOOK_SECRET')) {
    // in a controller: bounced_webhook_ok($secret, $_SERVER['HTTP_BOUNCED_SIGNATURE'], file_get_contents('php://input'))
    $ok = bounced_webhook_ok(getenv('WEBHOOK_SECRET'), getenv('WEBHOOK_SIGNATURE'), getenv('WEBHOOK_BODY'));
    echo $ok ? "signature ok\n" : "signature bad\n";
}
