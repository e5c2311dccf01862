// The key bounced keeps an address under (Python: bounced.addresses.normalize), for
//   SELECT kind, reason FROM active_suppressions WHERE address = $1
// null for what bounced refuses outright.
import { domainToASCII } from 'node:url';

// exactly what Python's str.strip() removes (String.prototype.trim() keeps \x1c-\x1f and \x85, drops \ufeff)
const WS = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TRIM = new RegExp(`^${WS}+|${WS}+$`, 'g');
const trim = (s) => s.replace(TRIM, '');
const LABEL = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?';
const DOMAIN = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`, 'i');

export function bouncedKey(raw) {
  let s = trim(raw);
  if (/^(rfc822|utf-8);/i.test(s)) s = trim(s.slice(s.indexOf(';') + 1));
  while (s.startsWith('<') && s.endsWith('>')) s = trim(s.slice(1, -1));
  const at = s.lastIndexOf('@');
  if (at <= 0 || [...s].length > 320) return null;
  const local = s.slice(0, at);
  if ([...local].length > 256 || /[ \t\r\n\0<>()[\]\\,;:"@]|^\.|\.$|\.\./.test(local)) return null;
  let domain = trim(s.slice(at + 1)).replace(/\.+$/, '');
  if (!domain) return null;
  if (!/^\[.*\]$/s.test(domain)) { // not an address literal such as [192.0.2.1]
    if (/[^\x00-\x7f]/.test(domain)) {
      // UTS 46 nontransitional processing, as bounced does (faß.de -> xn--fa-hia.de); '' for a refused name.
      // Unicode 15.1 maps the capital ẞ to ß, no longer to ss: Node's table is older
      domain = domainToASCII(domain.replace(/ẞ/g, 'ß'));
    }
    if (!DOMAIN.test(domain)) return null;
  }
  return `${local.toLowerCase()}@${domain.toLowerCase()}`;
}
