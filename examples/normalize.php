<?php
// The key bounced keeps an address under (Python: bounced.addresses.normalize), for
//   SELECT kind, reason FROM active_suppressions WHERE address = ?
// null for what bounced refuses outright. Needs PHP's intl and mbstring extensions.
function bounced_key(string $raw): ?string
{
    // exactly what Python's str.strip() removes (PHP's trim() knows only ASCII blanks)
    $ws = '[\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]';
    $trim = fn (string $s): string => preg_replace("/^$ws+|$ws+\$/u", '', $s);
    $s = $trim($raw);
    if (preg_match('/^(rfc822|utf-8);/i', $s)) {
        $s = $trim(substr($s, strpos($s, ';') + 1));
    }
    while ($s !== '' && $s[0] === '<' && substr($s, -1) === '>') {
        $s = $trim(substr($s, 1, -1));
    }
    $at = strrpos($s, '@');
    if ($at === false || $at === 0 || mb_strlen($s, 'UTF-8') > 320) {
        return null;
    }
    $local = substr($s, 0, $at);
    if (mb_strlen($local, 'UTF-8') > 256 || preg_match('/[ \t\r\n\x00<>()\[\]\\\\,;:"@]|^\.|\.$|\.\./', $local)) {
        return null;
    }
    $domain = rtrim($trim(substr($s, $at + 1)), '.');
    if ($domain === '') {
        return null;
    }
    if (!preg_match('/^\[.*\]$/s', $domain)) {  // not an address literal such as [192.0.2.1]
        if (preg_match('/[^\x00-\x7f]/', $domain)) {
            // UTS 46 nontransitional processing, as bounced does (faß.de -> xn--fa-hia.de; PHP's default,
            // transitional, gives fass.de), with bidi and joiner checks; "ab--c" labels are allowed, as in Node
            // (Unicode 15.1 maps the capital ẞ to ß, no longer to ss: older ICU versions still do)
            $flags = IDNA_NONTRANSITIONAL_TO_ASCII | IDNA_CHECK_BIDI | IDNA_CHECK_CONTEXTJ;
            idn_to_ascii(str_replace('ẞ', 'ß', $domain), $flags, INTL_IDNA_VARIANT_UTS46, $info);
            $domain = ($info['errors'] ?? 1) & ~IDNA_ERROR_HYPHEN_3_4 ? false : $info['result'];
        }
        $label = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?';
        if ($domain === false || !preg_match("/^(?=.{1,253}\$)$label(\.$label)*\$/i", $domain)) {
            return null;
        }
    }
    if (PHP_VERSION_ID < 80300) {  // mb_strtolower lower-cases a word-final capital sigma to ς from 8.3 on
        $local = preg_replace('/(?<=\p{L&})Σ(?!\p{L&})/u', 'ς', $local);
    }
    return mb_strtolower($local, 'UTF-8') . '@' . mb_strtolower($domain, 'UTF-8');
}
