"""RFC 3834 automatic responses: vacation and out-of-office replies.

An auto-reply is never a bounce: the mailbox exists and answered. The person who answered is
the From of the reply. Signals, strongest first:

* ``Auto-Submitted: auto-replied`` (RFC 3834). Real DSNs carry ``auto-replied`` or
  ``auto-generated`` too, so this module runs after every bounce format, and a message that
  still looks like a delivery failure (MAILER-DAEMON sender, "Undelivered Mail" subject) is
  left alone;
* de-facto headers: ``X-Autoreply``, ``X-Autorespond``, ``X-Autoresponder``,
  ``Precedence: auto_reply``, ``X-Apple-Action: VACATION``, ``X-Vacation``;
* a subject in one of several languages that only auto-replies use ("Automatic reply:",
  "Out of Office", "Abwesenheitsnotiz", "Réponse automatique", "自動応答", ...);
* ``Precedence: bulk`` or ``junk`` (vacation(1)'s and many autoresponders' only mark) with an
  absence announced at the top of the body ("I am out of the office until", "Ich bin ... nicht
  im Büro", "Je suis absente", ...).
"""
from __future__ import annotations

import re
from email.message import Message

from bounced import mime
from bounced.model import Found
from bounced.parse import fields
from bounced.parse.signals import bounce_subject, daemon_from

FORMAT = "rfc3834"

_FLAG_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Vacation",
                 "X-Autoreply-From", "X-Mail-Autoreply")
# (pattern, note): one row per phrase; lower-case, matched against the lower-cased subject
SUBJECT_ROWS: tuple[tuple[str, str], ...] = (
    (r"^(?:re: ?|aw: ?|sv: ?|r: ?)?auto(?:matic)?[ -]?(?:reply|response|answer)\b", "en: Outlook/Exchange 'Automatic reply:', 'Auto reply'"),
    (r"^auto(?:reply)?:", "en: 'Auto:' prefix (Exchange/Notes)"),
    (r"\bautoreply\b|\bauto-reply\b|\bautoresponse\b", "en: generic autoresponders"),
    (r"\bout of (?:the )?office\b", "en: out of office"),
    (r"^ooo\b|\(ooo\)", "en: OOO abbreviation"),
    (r"^(?:re: )?(?:on )?vacation\b|\bvacation (?:reply|message|notice|auto)", "en: vacation(1) / Sieve vacation"),
    (r"\baway from (?:my|the) (?:desk|office)\b", "en"),
    (r"\babwesenheitsnotiz\b|\bautomatische antwort\b|\bnicht im büro\b|\babwesenheit\b", "de"),
    (r"\bréponse automatique\b|\breponse automatique\b|\babsent(?:e)? du bureau\b|\bmessage d'absence\b", "fr"),
    (r"\brespuesta automática\b|\brespuesta automatica\b|\bfuera de la oficina\b|\bausente de la oficina\b", "es"),
    (r"\brisposta automatica\b|\bfuori (?:sede|ufficio)\b", "it"),
    (r"\bautomatisch antwoord\b|\bafwezigheidsbericht\b|\bniet op kantoor\b", "nl"),
    (r"\bresposta automática\b|\bresposta automatica\b|\bfora do escritório\b|\bausente do escritório\b", "pt"),
    (r"\bautomatiskt svar\b|\bautomatisk svar\b|\bautomatisk besked\b|\bfrånvaro\b|\bfravær\b|\bikke på kontoret\b", "sv/da/no"),
    (r"\bautomaattinen vastaus\b|\bpoissa toimistolta\b", "fi"),
    (r"\bautomatyczna odpowiedź\b|\bpoza biurem\b", "pl"),
    (r"\bautomatická odpověď\b|\bmimo kancelář\b", "cs"),
    (r"\bавтоответ\b|\bавтоматический ответ\b|\bвне офиса\b", "ru"),
    (r"自動応答|自動返信|不在通知|不在のお知らせ", "ja"),
    (r"自动回复|自動回覆|自动答复|休假", "zh"),
    (r"자동\s?응답|부재중", "ko"),
)
SUBJECT_RE = re.compile("|".join(f"(?:{p})" for p, _ in SUBJECT_ROWS))
# (pattern, note): an absence announced in the first lines of the body; used only with
# ``Precedence: bulk``/``junk`` (BSD vacation(1) and many autoresponders mark replies only so), since
# a person may write these words too
BODY_ROWS: tuple[tuple[str, str], ...] = (
    (r"\bi(?:'m| am| will be) (?:currently )?(?:out of (?:the )?office|away from (?:the |my )?(?:office|desk)|on (?:vacation|holiday|leave|annual leave)|absent)\b|\bout of (?:the )?office (?:until|from|and)\b",
     "en: 'I am out of the office until ...', vacation(1) default message"),
    (r"\bich bin (?:\S+ ){0,5}(?:nicht im (?:büro|buero|hause)|abwesend|im urlaub)\b", "de: 'Ich bin bis ... nicht im Büro'"),
    (r"\bje suis (?:\S+ ){0,3}(?:absente?|en (?:congés?|vacances))\b", "fr: 'Je suis absent(e) du bureau'"),
    (r"\bestoy (?:\S+ ){0,3}(?:fuera de la oficina|de vacaciones|ausente)\b", "es"),
    (r"\bsono (?:\S+ ){0,3}(?:fuori (?:sede|ufficio)|in ferie|assente)\b", "it"),
    (r"\bik ben (?:\S+ ){0,4}(?:afwezig|niet op kantoor|met vakantie)\b", "nl"),
)
BODY_RE = re.compile("|".join(f"(?:{p})" for p, _ in BODY_ROWS))


def is_autoreply_subject(subject: str) -> bool:
    return bool(SUBJECT_RE.search(subject.lower()[:500]))


def _signals(msg: Message) -> bool:
    auto = mime.header(msg, "Auto-Submitted").lower()
    if auto.startswith("auto-replied"):
        return True
    if any(mime.header(msg, h) for h in _FLAG_HEADERS):
        return True
    if mime.header(msg, "Precedence").lower() in ("auto_reply", "auto-reply"):
        return True
    if mime.header(msg, "X-Apple-Action").lower() == "vacation":
        return True
    if mime.header(msg, "X-Auto-Response-Suppress") and is_autoreply_subject(mime.header(msg, "Subject")):
        return True
    if is_autoreply_subject(mime.header(msg, "Subject")):
        return True
    if mime.header(msg, "Precedence").lower() in ("bulk", "junk"):
        return bool(BODY_RE.search(" ".join(_first_words(msg, 1000).split()).lower()))
    return False


def _responder(msg: Message) -> str | None:
    for name in ("From", "Reply-To", "Sender", "Return-Path"):
        value = mime.header(msg, name)
        if not value:
            continue
        m = re.search(r"<([^<>\s]+@[^<>\s]+)>", value) or re.search(r"(?<![^\s<>\"(),;:])[^\s<>\"(),;:]+@[^\s<>\"(),;:]+", value)
        if m:
            addr = fields.clean_address(m.group(1) if m.re.groups else m.group(0))
            if addr:
                return addr
    return None


def _first_words(msg: Message, limit: int = 300) -> str:
    for part, _depth, ctype in mime.typed_walk(msg):
        if ctype == "text/plain":
            return fields.unfold(mime.part_text(part)[:2000])[:limit]
    return ""


def extract(msg: Message) -> list[Found] | None:
    # an auto-reply is normally sent with the null return path (RFC 3834 section 3.3), so only the
    # From and the subject tell a bounce apart
    if not _signals(msg) or daemon_from(msg) or bounce_subject(msg):
        return None
    who = _responder(msg)
    if who is None:
        return []
    return [Found(recipient=who, reason="vacation", diagnostic=_first_words(msg) or mime.header(msg, "Subject"))]
