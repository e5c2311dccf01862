"""Challenge-response requests: a filter holds the message until the sender proves to be human.

Boxbe, Spam Arrest, TMDA, qconfirm, ASK and the "approved senders" features of some ISPs answer
mail from an unknown sender with a request to click a link or reply. It is neither a delivery
failure nor an auto-reply: the message waits, unseen, for an answer a mailer never gives. The
product counts it as a soft bounce with reason ``challenge`` (never a suppression at once).

Signals: the request's own wording (rows below) in the Subject or the first lines of the body,
never a delivery-status part (the RFC 3464 parser and the bounce formats run first). The
recipient is the protected address: one named in the Subject ("Please confirm your message to
frank@example.org") or in the body's "your message to <address>", else the To of the quoted original, else the From of the request when it
is a person's address rather than the service's. When none is found the dispatcher takes the
VERP recipient the request was sent back to.
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields
from bounced.parse.original import find_original

FORMAT = "challenge"

# (pattern, note): lower-case, searched in the subject and the first 3000 characters of the body
CHALLENGE_ROWS: tuple[tuple[str, str], ...] = (
    (r"challenge[- ]response", "the technique's own name, used by TMDA, ASK and Mailblocks requests"),
    (r"(?:confirm|verify|prove) (?:that )?you(?:'re| are) (?:a )?(?:human|real person|person|not a (?:robot|spammer|machine))",
     "Boxbe / Spam Arrest style 'verify that you are a human'"),
    (r"\bboxbe\b|spam ?arrest|mailblocks|\bqconfirm\b|\btmda\b", "the services by name (boxbe.com, spamarrest.com, TMDA, qconfirm)"),
    (r"(?:list of )?(?:approved|allowed|authori[sz]ed|accepted) senders? list|(?:added|add you|add me) to (?:my|the) (?:list of )?(?:approved|allowed|authori[sz]ed) senders|(?:join|added to|add you to) my guest list",
     "'Request to be added to my approved senders list' (Spam Arrest, EarthLink spamBlocker), Boxbe 'Guest List'"),
    (r"(?:accept|allow)s? (?:incoming )?(?:messages|mail|e-?mails?) only from (?:senders|people|addresses) (?:i|who|that)",
     "Spam Arrest 'I now allow incoming messages only from senders I have approved beforehand'"),
    (r"please (?:confirm|verify) your (?:message|e-?mail)|sender verification (?:request|required)|to have your (?:message|e-?mail) delivered,? (?:please )?(?:click|reply|confirm)",
     "TMDA 'Please confirm your message', 'Sender verification request'"),
)
_CHALLENGE = re.compile("|".join(f"(?:{p})" for p, _note in CHALLENGE_ROWS))
_ADDR = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MESSAGE_TO = re.compile(r"(?:message|e-?mail|mail) (?:to|for) <?(" + _ADDR.pattern + ")")
_SERVICE_LOCAL = re.compile(r"^(?:confirm|verify|verification|notif|no-?reply|do-?not-?reply|mailer|postmaster|"
                            r"bounce|challenge|auto|system|admin|support|info|robot)", re.I)


def _first_text(msg: Message) -> str:
    for part, _depth, ctype in mime.typed_walk(msg):
        if ctype in ("text/plain", "text/html"):
            return mime.part_text(part)[:3000]
    return ""


def _addresses(value: str) -> list[str]:
    return [a for a in (fields.clean_address(m.group(0)) for m in _ADDR.finditer(value or "")) if a]


def _protected(msg: Message, ours: set[str], body: str) -> str | None:
    for a in _addresses(mime.header(msg, "Subject")) + [m.group(1) for m in _MESSAGE_TO.finditer(body)]:
        if a.lower() not in ours:
            return a
    original = find_original(msg)
    if original is not None:
        for a in _addresses(original.get("To")):
            if a.lower() not in ours:
                return a
    for a in _addresses(mime.header(msg, "From"))[:1]:
        if a.lower() not in ours and not _SERVICE_LOCAL.match(a):
            return a
    return None


def extract(msg: Message) -> list[Found] | None:
    subject = mime.header(msg, "Subject")
    words = " ".join(f"{subject}\n{_first_text(msg)}".split()).lower()
    if not _CHALLENGE.search(words):
        return None
    ours = {a.lower() for a in _addresses(mime.header(msg, "To"))}
    return [Found(recipient=_protected(msg, ours, words), reason="challenge", diagnostic=subject[:300])]
