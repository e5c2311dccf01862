// bounced from a Node mailer (Node 18+: fetch and crypto built in; nodemailer for sending).
// Run: BOUNCED_URL=http://127.0.0.1:8025 BOUNCED_TOKEN=bnc_... node mailer.mjs ADDRESS
import { createHmac, timingSafeEqual } from 'node:crypto';

const base = process.env.BOUNCED_URL + '/api/v1';
const bounced = async (method, path, json) => {
  const r = await fetch(base + path, {
    method, body: json && JSON.stringify(json),
    headers: { Authorization: `Bearer ${process.env.BOUNCED_TOKEN}`, 'Content-Type': 'application/json' },
  });
  return r.json();
};

// 1. The Return-Path: a signed VERP address per recipient, so a bounce names the recipient and
//    proves it answers your mail (bouncedVerp() is the README's "The tag, for mailers in any
//    language"); nodemailer sets it as the envelope sender:
//    transporter.sendMail({ from, to, subject, text, envelope: { from: bouncedVerp(to, secret, 'bounces.example.org'), to } })

// 2. Check before sending: the API normalizes the address (case, IDN, <brackets>, spaces).
const to = process.argv[2];
const answer = await bounced('GET', '/suppressions/' + encodeURIComponent(to));
console.log(answer.suppressed ? `skip ${to}: ${answer.kind} ${answer.reason}` : `send to ${to}`);

// 3. Report activity (opens, clicks, logins): it restarts the soft-bounce count.
const r = await bounced('POST', '/activity', { activity: [{ address: to, type: 'click', at: new Date().toISOString() }] });
console.log(`recorded ${r.recorded}`);

// 4. Follow the change feed: keep the cursor between runs.
let cursor = '0', page;
do {
  page = await bounced('GET', '/changes?after=' + encodeURIComponent(cursor));
  for (const c of page.changes) console.log(`change ${c.change} ${c.address}`);
  cursor = page.next_cursor;
} while (page.more);

// 5. Verify a webhook: HMAC-SHA256 over "t." + raw body, and refuse old timestamps.
export function bouncedWebhookOk(secret, header, rawBody, tolerance = 300) {
  const p = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2)));
  if (!p.t || !p.v1 || Math.abs(Date.now() / 1000 - Number(p.t)) > tolerance) return false;
  const mac = createHmac('sha256', secret).update(`${p.t}.${rawBody}`).digest('hex');
  return mac.length === p.v1.length && timingSafeEqual(Buffer.from(mac), Buffer.from(p.v1));
}
if (process.env.WEBHOOK_SECRET) {
  // in Express: app.post('/hooks/bounced', express.raw({ type: 'application/json' }), (req, res) => ...)
  const ok = bouncedWebhookOk(process.env.WEBHOOK_SECRET, process.env.WEBHOOK_SIGNATURE, process.env.WEBHOOK_BODY);
  console.log(ok ? 'signature ok' : 'signature bad');
}
