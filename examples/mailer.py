"""bounced from a Python mailer on another host (standard library only; on the same host,
``bounced.SuppressionList`` reads the file directly).
Run: BOUNCED_URL=http://127.0.0.1:8025 BOUNCED_TOKEN=bnc_... python mailer.py ADDRESS"""
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

BASE = os.environ["BOUNCED_URL"] + "/api/v1"


def bounced(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=body and json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {os.environ['BOUNCED_TOKEN']}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


# 1. The Return-Path: a signed VERP address per recipient (`bounced verp encode`, or the README's
#    "The tag, for mailers in any language"), as smtplib's envelope sender:
#    smtp.send_message(msg, from_addr=return_path, to_addrs=[to])

# 2. Check before sending: the API normalizes the address (case, IDN, <brackets>, spaces).
to = sys.argv[1]
answer = bounced("GET", "/suppressions/" + urllib.parse.quote(to, safe="@"))
print(f"skip {to}: {answer['kind']} {answer['reason']}" if answer["suppressed"] else f"send to {to}")

# 3. Report activity (opens, clicks, logins): it restarts the soft-bounce count.
r = bounced("POST", "/activity", {"activity": [{"address": to, "type": "click",
                                                "at": datetime.now(timezone.utc).isoformat()}]})
print(f"recorded {r['recorded']}")

# 4. Follow the change feed: keep the cursor between runs.
cursor = "0"
while True:
    page = bounced("GET", "/changes?after=" + cursor)
    for c in page["changes"]:
        print(f"change {c['change']} {c['address']}")
    cursor = page["next_cursor"]
    if not page["more"]:
        break


# 5. Verify a webhook: HMAC-SHA256 over "t." + raw body, and refuse old timestamps.
def bounced_webhook_ok(secret, header, body: bytes, tolerance=300):
    p = dict(kv.split("=", 1) for kv in header.split(",") if "=" in kv)
    if "t" not in p or "v1" not in p or abs(time.time() - int(p["t"])) > tolerance:
        return False
    mac = hmac.new(secret.encode(), p["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, p["v1"])


if os.environ.get("WEBHOOK_SECRET"):
    ok = bounced_webhook_ok(os.environ["WEBHOOK_SECRET"], os.environ["WEBHOOK_SIGNATURE"],
                            os.environ["WEBHOOK_BODY"].encode())
    print("signature ok" if ok else "signature bad")
