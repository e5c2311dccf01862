"""The parser's answer survives what mail systems do to a bounce without changing its meaning.

Real returned mail reaches bounced after MTAs, mailbox stores and forwarders have re-encoded,
re-folded and re-wrapped it. Every sample in ``tests/data`` (and, read-only when present, the
shared corpus's ``sisimai`` set beside the clone) is transformed by each small function below,
each a thing some real system does, and the parse must give the same recipients, kind, reason
and status as for the original. The mutation space is sampled with a fixed seed (the same cases
every run), so a failure is reproducible by its test id.

Transformations that *do* legitimately change the answer are not here, or are excluded with the
reason beside the exclusion.
"""
from __future__ import annotations

import base64
import quopri
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bounced.parse import parse_message

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT.parent.parent / "shared" / "corpus" / "sisimai"
SEED = 20261206
PER_TRANSFORM = 40  # sources sampled per transformation (all tests/data DSNs are in the pool)
CHAINS = 120  # sources given a random chain of three transformations

Mutation = Callable[[str], "str | None"]  # latin-1 text of an LF message -> mutated, None = not applicable

_STATUS_CT = re.compile(r"(?im)^content-type:[ \t]*message/(?:global-)?delivery-status\b[^\n]*(?:\n[ \t][^\n]*)*")
_BOUNDARY = re.compile(r'(?i)\bboundary\s*=\s*(?:"([^"]+)"|([^\s;]+))')


# --- helpers: a byte-faithful view of the message (latin-1 text, LF line ends) ----------------

def _text(raw: bytes) -> str:
    return raw.replace(b"\r\n", b"\n").decode("latin-1")


def _status_part(text: str) -> tuple[int, int, int, int] | None:
    """(header start, body start, body end, -) of the first delivery-status part: its header
    block begins after the boundary line above it, its body ends at the next boundary line."""
    m = _STATUS_CT.search(text)
    if not m:
        return None
    head_start = text.rfind("\n--", 0, m.start())
    if head_start < 0:
        return None
    head_start = text.find("\n", head_start + 1) + 1
    body_start = text.find("\n\n", m.end())
    if body_start < 0:
        return None
    body_start += 2
    delim = text[text.rfind("\n--", 0, m.start()) + 3: head_start - 1].strip()
    end = text.find("\n--" + delim, body_start - 1)
    if not delim or end < 0 or not _declared(text, delim):
        return None
    return head_start, body_start, end + 1, 0


def _declared(text: str, delim: str) -> bool:
    """Whether a boundary line belongs to a declared multipart: a sample whose declared boundary
    differs from the one it uses is one text part to every parser, and editing "parts" of it
    would change its meaning."""
    return any((m.group(1) or m.group(2)) == delim for m in _BOUNDARY.finditer(text))


def _with_status_body(text: str, change: Callable[[str], str]) -> str | None:
    span = _status_part(text)
    if span is None:
        return None
    head_start, body_start, end, _ = span
    if re.search(r"(?im)^content-transfer-encoding:[ \t]*(?:base64|quoted-printable)", text[head_start:body_start]):
        return None  # editing encoded text line by line would not be the same edit
    return text[:body_start] + change(text[body_start:end]) + text[end:]


def _encode_status(text: str, cte: str, encode: Callable[[bytes], bytes]) -> str | None:
    span = _status_part(text)
    if span is None:
        return None
    head_start, body_start, end, _ = span
    head = text[head_start:body_start - 1]
    if not re.fullmatch(r"(?:[!-9;-~]+:[^\n]*\n(?:[ \t][^\n]*\n)*)+", head):
        return None  # a malformed part header (a field broken over a non-indented line): the
        # header block ends earlier for every parser, so re-encoding would change the structure
    if re.search(r"(?im)^content-transfer-encoding:[ \t]*(?:base64|quoted-printable)", head):
        return None
    head = re.sub(r"(?im)^content-transfer-encoding:[^\n]*\n", "", head)
    body = text[body_start:end].rstrip("\n") + "\n"
    encoded = encode(body.encode("latin-1")).decode("ascii")
    return (text[:head_start] + head + f"Content-Transfer-Encoding: {cte}\n\n"
            + encoded.rstrip("\n") + "\n\n" + text[end:])


def _mbox_line(text: str) -> tuple[str, str]:
    """An mbox "From " separator line the file starts with (or ''), and the message after it."""
    if text.startswith("From "):
        nl = text.find("\n") + 1
        return text[:nl], text[nl:]
    return "", text


def _top_headers_end(text: str) -> int:
    end = text.find("\n\n")
    return end if end >= 0 else len(text)


# --- the transformations -----------------------------------------------------------------------

def crlf_line_endings(text: str) -> str:
    """CRLF everywhere: the SMTP wire form, kept as-is by Maildir stores fed from Exchange, by
    IMAP FETCH, and by Windows clients saving .eml files."""
    return text.replace("\n", "\r\n")


def lf_line_endings(text: str) -> str:
    """LF only: how Unix MDAs (Postfix local, Dovecot, procmail) store what arrived as CRLF."""
    return text


def status_base64(text: str) -> str | None:
    """The delivery-status part base64-encoded. RFC 3464 2.1 allows only 7bit for
    message/delivery-status (RFC 2046 5.2.4 style: no encoding on message/* parts), and RFC 6533 3
    lifts that for message/global-delivery-status; yet Exchange/Microsoft 365 and some gateways
    re-encode every part as base64, so parsers meet it in the wild."""
    return _encode_status(text, "base64", lambda b: base64.encodebytes(b))


def status_quoted_printable(text: str) -> str | None:
    """The delivery-status part quoted-printable: forbidden for message/delivery-status by RFC
    3464 2.1, permitted for the RFC 6533 global form; done anyway by Lotus/Domino and by
    8BITMIME-downgrading relays that encode every body part with long or 8-bit lines."""
    return _encode_status(text, "quoted-printable", lambda b: quopri.encodestring(b))


def _rename_fields(body: str, how: Callable[[str], str]) -> str:
    return re.sub(r"(?m)^([A-Za-z][A-Za-z0-9-]*)(?=[ \t]*:)", lambda m: how(m.group(1)), body)


def field_names_lower(text: str) -> str | None:
    """DSN field names lower-case (``final-recipient``): field names are case-insensitive (RFC
    3464 2.1, RFC 5322 1.2.2); qmail-derived and several appliance MTAs write them so."""
    return _with_status_body(text, lambda b: _rename_fields(b, str.lower))


def field_names_upper(text: str) -> str | None:
    """DSN field names upper-case (``DIAGNOSTIC-CODE``): as above, seen from mainframe and
    some anti-spam appliance gateways."""
    return _with_status_body(text, lambda b: _rename_fields(b, str.upper))


def header_names_changed_case(text: str) -> str:
    """Top-level header names in lower case (``content-type``, ``from``): HTTP/2-style
    normalisation done by some webhook-to-mail bridges and by Go's net/mail re-serialisers."""
    end = _top_headers_end(text)
    return _rename_fields(text[:end], str.lower) + text[end:]


def _fold(line: str, width: int, indent: str) -> str:
    """RFC 5322 2.2.3 folding: a line break inserted before whitespace, so unfolding (removing
    the CRLF) restores the line exactly."""
    out, cur = [], line
    while len(cur) > width:
        cut = cur.rfind(" ", 1, width)
        if cut <= 0:
            cut = cur.find(" ", width)
        if cut <= 0:
            break
        out.append(cur[:cut])
        cur = cur[cut:] if indent == " " else indent + cur[cut + 1:]
    out.append(cur)
    return "\n".join(out)


def _folder(width: int, indent: str) -> Callable[[str], str | None]:
    def fold_diagnostic(text: str) -> str | None:
        body_changed = _with_status_body(text, lambda b: re.sub(
            r"(?im)^(diagnostic-code[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*)",
            lambda m: _fold(re.sub(r"\n([ \t])", r"\1", m.group(1)), width, indent), b))
        return body_changed if body_changed != text else None
    fold_diagnostic.__doc__ = (
        f"Diagnostic-Code folded at {width} columns with {'a tab' if indent == chr(9) else 'a space'}"
        " before the continuation: Sendmail, Exim and Exchange fold at 72-78, Postfix at 990 only,"
        " and IMAP servers re-fold long lines when they store.")
    fold_diagnostic.__name__ = f"fold_diagnostic_{width}_{'tab' if indent == chr(9) else 'space'}"
    return fold_diagnostic


def whitespace_around_separators(text: str) -> str | None:
    """Extra blanks around ``:`` and ``;`` in DSN fields (``Final-Recipient :  rfc822 ;  a@b``):
    RFC 5322 4.5 obs-syntax allows WSP before the colon, 3464's grammar allows CFWS around the
    semicolon; written so by older Lotus and Novell GroupWise gateways."""
    def spread(body: str) -> str:
        body = re.sub(r"(?m)^([A-Za-z][A-Za-z0-9-]*):[ \t]*", r"\1 :  ", body)
        return re.sub(r"(?m)^((?:final|original)-recipient|diagnostic-code|remote-mta|reporting-mta)"
                      r"( :  [A-Za-z0-9-]+)[ \t]*;[ \t]*", r"\1\2 ;  ", body, flags=re.I | re.M)
    return _with_status_body(text, spread)


def boundary_quoting_swapped(text: str) -> str | None:
    """The top-level boundary parameter quoted where it was bare and bare where it was quoted
    (when it is a token): both forms are RFC 2045 5.1; each MTA picks one."""
    end = _top_headers_end(text)
    m = _BOUNDARY.search(text, 0, end)
    if not m:
        return None
    if m.group(1) is not None:
        if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+", m.group(1)):
            return None
        new = f"boundary={m.group(1)}"
    else:
        new = f'boundary="{m.group(2)}"'
    return text[:m.start()] + new + text[m.end():]


def preamble_and_epilogue(text: str) -> str | None:
    """A preamble before the first boundary and an epilogue after the last (RFC 2046 5.1.1):
    most MTAs write "This is a MIME-encapsulated message." there; mail clients add their own."""
    end = _top_headers_end(text)
    m = _BOUNDARY.search(text, 0, end)
    if not m:
        return None
    b = m.group(1) or m.group(2)
    first = text.find("\n--" + b, end)
    if first < 0:
        return None
    close = text.rfind("\n--" + b + "--")
    text = (text[:first + 1] + "This is a multi-part message in MIME format.\n\n"
            + text[first + 1:])
    if close >= 0:
        close = text.rfind("\n--" + b + "--")
        line_end = text.find("\n", close + 1)
        line_end = len(text) if line_end < 0 else line_end
        text = text[:line_end] + "\n\nEnd of MIME message.\n" + text[line_end:]
    return text


_NOTICE_HEADERS = re.compile(r"(?im)^(?:return-path:[ \t]*<>|from:[^\n]*(?:mailer-daemon|postmaster|mail delivery)"
                             r"|content-type:[ \t]*multipart/report;[^\n]*(?:\n[ \t][^\n]*)*delivery-status)")


def forwarded_as_attachment(text: str) -> str | None:
    """The bounce attached (message/rfc822) to a forward, as Outlook's and Gmail's "forward as
    attachment" and mailbox rules that pass a shared bounce inbox on do. Decision: bounced reads
    the attached bounce as if it had arrived itself, since forwarding a bounce to the bounce
    address means exactly that (see bounced.parse._attached_notice)."""
    mbox, text = _mbox_line(text)  # a forward attaches the message, not the mailbox's separator
    if mbox and re.search(r"\n\nFrom [^\n]*\n[A-Za-z-]+:", text):
        return None  # a mailbox of several notices: one forward attaches one of them
    if not _NOTICE_HEADERS.search(text[:_top_headers_end(text)]):
        # decision: only a mail system's notice (a report, a null or MAILER-DAEMON-like sender)
        # is read through a forward; a forwarded auto-reply, complaint, challenge or provider
        # webhook is a person's message about it, and left as it is
        return None
    return ("From: Jane Operator <jane@example.org>\nTo: bounces@example.net\n"
            "Subject: Fwd: returned mail\nDate: Sun, 06 Dec 2026 01:00:00 +0000\n"
            "Message-ID: <fwd-1@example.org>\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="fwd-outer-boundary"\n\n'
            "--fwd-outer-boundary\nContent-Type: text/plain; charset=us-ascii\n\n"
            "See the attached message.\n\n"
            "--fwd-outer-boundary\nContent-Type: message/rfc822\n"
            "Content-Disposition: attachment; filename=\"returned.eml\"\n\n"
            + text.rstrip("\n") + "\n\n--fwd-outer-boundary--\n")


def mbox_from_line(text: str) -> str | None:
    """An mbox "From " separator prepended and body lines starting with "From " quoted as
    ">From " (mboxrd, as Postfix local(8), procmail and Thunderbird store)."""
    if text.startswith("From "):
        return None
    end = _top_headers_end(text)
    body = re.sub(r"(?m)^(>*From )", r">\1", text[end:])
    return "From MAILER-DAEMON Sun Dec  6 01:00:00 2026\n" + text[:end] + body


def mda_trace_headers(text: str) -> str:
    """Return-Path, Delivered-To, X-Original-To and a Received line prepended by the local MDA
    (Postfix local/virtual, Dovecot LDA) when it stores the bounce; addressed to a plain (not
    VERP) bounce mailbox so they add no recipient of their own."""
    mbox, text = _mbox_line(text)
    return mbox + ("Return-Path: <>\nDelivered-To: bounces@example.net\nX-Original-To: bounces@example.net\n"
            "Received: from mx.example.net (mx.example.net [192.0.2.25])\n"
            "\tby mail.example.net (Postfix) with ESMTPS id 4F00000000\n"
            "\tfor <bounces@example.net>; Sun, 06 Dec 2026 01:00:00 +0000 (UTC)\n" + text)


def global_delivery_status(text: str) -> str | None:
    """message/delivery-status relabelled message/global-delivery-status (RFC 6533 3): what an
    SMTPUTF8-capable MTA (Postfix >= 3.0 with smtputf8_enable, Exim with SMTPUTF8) sends; ASCII
    fields are valid UTF-8 fields, so the meaning is the same."""
    if not re.search(r"(?im)^content-type:[ \t]*message/delivery-status", text):
        return None
    text = re.sub(r"(?im)^(content-type:[ \t]*)message/delivery-status", r"\1message/global-delivery-status", text)
    return re.sub(r"(?i)(report-type\s*=\s*\"?)delivery-status", r"\1global-delivery-status", text)


def _relabel_charset(target: str) -> Callable[[str], str | None]:
    def relabel(text: str) -> str | None:
        """The human-readable text/plain part's charset label changed where its bytes are ASCII
        (so every label reads them alike)."""
        out, n = _CHARSET_PART.subn(lambda m: _charset_sub(m, target), text, count=1)
        return out if n and out != text else None
    relabel.__name__ = f"charset_{target or 'unlabelled'}".replace("-", "_")
    relabel.__doc__ = (f"The first text/plain part relabelled {target or 'with no charset (8bit, unlabelled)'}"
                       " when its body is ASCII: relays and list managers relabel parts; Exchange"
                       " says iso-8859-1 for pure-ASCII text, Gmail says UTF-8.")
    return relabel


_CHARSET_PART = re.compile(r"(?is)(content-type:[ \t]*text/plain)((?:;[^\n]*|\n[ \t][^\n]*)*)(\n(?:[^\n]+\n)*\n)(.*?)(?=\n--)")


def _charset_sub(m: re.Match[str], target: str) -> str:
    body = m.group(4)
    if not body.isascii() or re.search(r"(?i)content-transfer-encoding:[ \t]*(?:base64|quoted)", m.group(3)):
        return m.group(0)
    params = re.sub(r'(?i)\s*;?\s*charset\s*=\s*"?[^";\s]*"?', "", m.group(2))
    label = f"; charset={target}" if target else ""
    return m.group(1) + label + params + m.group(3) + body


def trailing_whitespace(text: str) -> str:
    """Blanks at the end of non-empty lines: added by Exchange's and some webmail's
    re-serialisers and by MIME "transport padding" (RFC 2046 5.1.1) after boundaries."""
    return re.sub(r"(?m)(?<=\S)$", " \t", text)


def utf8_bom(text: str) -> str:
    """A UTF-8 byte order mark before the first header: Windows tools (Notepad, some Outlook
    exports and PowerShell's Out-File) save .eml files with one."""
    return "\ufeff".encode("utf-8").decode("latin-1") + text


def global_status_quoted_printable(text: str) -> str | None:
    """The RFC 6533 global form, quoted-printable: RFC 6533 3 permits any transfer encoding for
    message/global-delivery-status, and a relay downgrading SMTPUTF8 mail for a 7-bit hop does
    encode it."""
    relabelled = global_delivery_status(text)
    return status_quoted_printable(relabelled) if relabelled else None


def global_status_base64(text: str) -> str | None:
    """The RFC 6533 global form, base64 (permitted there, RFC 6533 3)."""
    relabelled = global_delivery_status(text)
    return status_base64(relabelled) if relabelled else None


_TEXT_PART = re.compile(r"(?is)(\n--[^\n]+\n)((?:[^\n]+\n)*?content-type:[ \t]*text/plain[^\n]*\n(?:[^\n]+\n)*)\n")


def _encode_text_part(text: str, cte: str, encode: Callable[[bytes], bytes]) -> str | None:
    m = _TEXT_PART.search(text)
    if not m or not _declared(text, m.group(1).strip()[2:]) or re.search(r"(?im)^content-transfer-encoding:[ \t]*(?:base64|quoted-printable)", m.group(2)):
        return None
    if not re.fullmatch(r"(?:[!-9;-~]+:[^\n]*\n(?:[ \t][^\n]*\n)*)+", m.group(2)):
        return None
    end = text.find("\n" + m.group(1).strip(), m.end() - 1)  # the part ends at its own boundary
    if end < 0:
        return None
    head = re.sub(r"(?im)^content-transfer-encoding:[^\n]*\n", "", m.group(2))
    body = encode(text[m.end():end].encode("latin-1")).decode("ascii").rstrip("\n")
    return (text[:m.start()] + m.group(1) + head + f"Content-Transfer-Encoding: {cte}\n\n" + body + "\n"
            + text[end:])


def notice_base64(text: str) -> str | None:
    """The human-readable notice (the first text/plain part) base64-encoded: Exchange and
    Microsoft 365 encode their NDR text so, and so do relays that re-encode 8-bit parts."""
    return _encode_text_part(text, "base64", lambda b: base64.encodebytes(b))


def notice_quoted_printable(text: str) -> str | None:
    """The notice quoted-printable: what an 8BITMIME-less hop's downgrade (RFC 6152) and most
    webmail stores make of it."""
    return _encode_text_part(text, "quoted-printable", lambda b: quopri.encodestring(b))


def subject_encoded_word(text: str) -> str | None:
    """The Subject as an RFC 2047 encoded word (``=?UTF-8?B?...?=``) of the same text: Exchange,
    Gmail and many list managers encode every Subject they rewrite."""
    end = _top_headers_end(text)
    m = re.search(r"(?im)^subject:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)", text[:end])
    if not m or "=?" in m.group(1) or not m.group(1).strip():
        return None
    value = re.sub(r"\n[ \t]", " ", m.group(1)).strip()
    try:
        word = base64.b64encode(value.encode("latin-1").decode("utf-8").encode("utf-8")).decode("ascii")
    except UnicodeDecodeError:
        return None
    return text[:m.start(1)] + f"=?UTF-8?B?{word}?=" + text[m.end(1):]


def media_types_in_capitals(text: str) -> str:
    """Media types and parameter names in mixed case (``Multipart/Report; Report-Type=
    Delivery-Status``): case-insensitive by RFC 2045 5.1 and RFC 3462; Lotus Notes and some
    appliances write them so."""
    def cap(m: re.Match[str]) -> str:
        return m.group(1) + "/".join(p.capitalize() for p in m.group(2).split("/"))
    text = re.sub(r"(?im)^(content-type:[ \t]*)((?:multipart|message|text)/[a-z0-9.-]+)", cap, text)
    return re.sub(r"(?i)\breport-type=(\"?)delivery-status", r"Report-Type=\1Delivery-Status", text)


def content_type_parameters_reordered(text: str) -> str | None:
    """The top-level ``boundary`` parameter before ``report-type``: parameter order carries no
    meaning (RFC 2045 5.1); MTAs differ in the order they write."""
    end = _top_headers_end(text)
    m = re.search(r"(?im)^(content-type:[ \t]*multipart/report)((?:;[^\n]*|\n[ \t][^\n]*)*)", text[:end])
    if not m:
        return None
    params = [p.strip() for p in re.sub(r"\n[ \t]+", " ", m.group(2)).split(";") if p.strip()]
    if len(params) < 2 or any('"' in p and p.count('"') % 2 for p in params):
        return None
    params.sort(key=lambda p: not p.lower().startswith("boundary"))
    return text[:m.start(2)] + "; " + ";\n\t".join(params) + text[m.end(2):]


def part_header_names_lower(text: str) -> str:
    """Every MIME part's header names lower-case (``content-type``, ``content-transfer-encoding``):
    case-insensitive by RFC 2045; Go's textproto-based and some Java mailers write them so."""
    return re.sub(r"(?im)^(content-(?:type|transfer-encoding|description|disposition)):",
                  lambda m: m.group(1).lower() + ":", text)


def recipient_in_angle_brackets(text: str) -> str | None:
    """``Final-Recipient: rfc822; <a@b>``: the address inside angle brackets, as Exchange and
    several appliances write it although RFC 3464's grammar has a bare address there."""
    return _with_status_body(text, lambda b: re.sub(
        r"(?im)^((?:final|original)-recipient[ \t]*:[ \t]*rfc822[ \t]*;[ \t]*)([^\s<>]+@[^\s<>]+)[ \t]*$",
        r"\1<\2>", b))


def extension_fields_added(text: str) -> str | None:
    """Extension fields (RFC 3464 2.4: ``X-`` fields may appear in any block) added to every
    block of the report: Postfix adds X-Postfix-Sender and X-Postfix-Queue-ID, Exchange
    X-Display-Name, Sendmail X-Actual-Recipient."""
    return _with_status_body(text, lambda b: re.sub(
        r"(?im)^((?:reporting-mta|final-recipient)[ \t]*:[^\n]*)$",
        r"\1\nX-Supplementary-Info: queued as 4F00000000 on mx.example.net", b))


def top_headers_refolded(text: str) -> str:
    """Every top-level header longer than 40 characters folded at whitespace (RFC 5322 2.2.3):
    Exchange folds Subject, From and Content-Type at about 78 and some stores re-fold shorter."""
    mbox, text = _mbox_line(text)
    end = _top_headers_end(text)
    head = re.sub(r"\n([ \t])", r"\1", text[:end])  # unfold, then fold anew
    head = "\n".join(_fold(line, 40, " ") if not line.lower().startswith("content-type") else line
                     for line in head.split("\n"))
    return mbox + head + text[end:]


def notice_transcoded_utf8(text: str) -> str | None:
    """The notice (first text/plain part, not transfer-encoded) transcoded from its declared
    charset (ISO-2022-JP, ISO-8859-x, Shift_JIS...) to UTF-8 and relabelled: Gmail and Outlook
    convert what they store or forward, SMTPUTF8 relays may too."""
    mbox, text = _mbox_line(text)
    top = _top_headers_end(text)
    if re.search(r"(?im)^content-type:[ \t]*text/plain", text[:top]):  # a single-part notice
        start, head, end, lead = 0, text[:top + 1], len(text), ""
    else:
        m = _TEXT_PART.search(text)
        if not m or not _declared(text, m.group(1).strip()[2:]):
            return None
        start, head, lead = m.start(), m.group(2), m.group(1)
        end = text.find("\n" + m.group(1).strip(), m.end() - 1)
        if end < 0:
            return None
    body_start = start + len(lead) + len(head) + 1
    cs = re.search(r'(?i)charset\s*=\s*"?([^";\s]+)', head)
    if not cs or cs.group(1).lower() in ("utf-8", "us-ascii", "ascii") or re.search(
            r"(?im)^content-transfer-encoding:[ \t]*(?:base64|quoted-printable)", head):
        return None
    try:
        body = text[body_start:end].encode("latin-1").decode(cs.group(1))
    except (LookupError, UnicodeError):
        return None
    if body.isascii():
        return None
    head = head.replace(cs.group(0), "charset=UTF-8")
    head = re.sub(r"(?im)^content-transfer-encoding:[^\n]*\n", "", head) + "Content-Transfer-Encoding: 8bit\n"
    return mbox + text[:start] + lead + head + "\n" + body.encode("utf-8").decode("latin-1") + text[end:]


def top_mime_headers_dropped(text: str) -> str | None:
    """MIME-Version, Content-Type and Content-Transfer-Encoding removed from the top of a
    report: some gateways and list managers strip them, and some stores keep only the RFC 5322
    headers. By RFC 2045 the body is then text/plain; the report's parts are still there as
    text, with their boundary lines and part headers, and say the same."""
    mbox, text = _mbox_line(text)
    end = _top_headers_end(text)
    head = text[:end] + "\n"
    if not re.search(r"(?im)^content-type:[ \t]*multipart/report", head):
        return None
    head = re.sub(r"(?im)^(?:content-type|mime-version|content-transfer-encoding):[^\n]*\n(?:[ \t][^\n]*\n)*", "", head)
    return mbox + head.rstrip("\n") + text[end:]


def boundaries_renamed(text: str) -> str | None:
    """Every multipart boundary replaced by a new token, as a store or gateway that re-serialises
    the message (Exchange, Gmail's "show original" of a re-encoded message) writes its own."""
    found = [m.group(1) or m.group(2) for m in _BOUNDARY.finditer(text)]
    if not found:
        return None
    for i, b in enumerate(dict.fromkeys(found)):
        new = f"----=_Part_{i}_1907656.1733450000000"
        text = re.sub(r'(?i)(\bboundary\s*=\s*)(?:"' + re.escape(b) + r'"|' + re.escape(b) + r'(?=[\s;]|$))',
                      lambda m, new=new: f'{m.group(1)}"{new}"', text)
        text = re.sub(r"(?m)^--" + re.escape(b) + r"(?=--|[ \t]*$)", lambda m, new=new: "--" + new, text)
    return text


def part_dispositions_added(text: str) -> str | None:
    """``Content-Disposition: inline`` added to every part that has a Content-Type first: what
    Outlook and Apple Mail write on the parts they re-serialise; no meaning of its own here."""
    out = re.sub(r"(?im)^(--[^\s]+\n)(content-type:)", r"\1Content-Disposition: inline\n\2", text)
    return out if out != text else None


TRANSFORMS: tuple[Mutation, ...] = (
    crlf_line_endings, lf_line_endings, status_base64, status_quoted_printable,
    field_names_lower, field_names_upper, header_names_changed_case,
    _folder(40, " "), _folder(60, "\t"), _folder(76, " "),
    whitespace_around_separators, boundary_quoting_swapped, preamble_and_epilogue,
    forwarded_as_attachment, mbox_from_line, mda_trace_headers, global_delivery_status,
    _relabel_charset("utf-8"), _relabel_charset("iso-8859-1"), _relabel_charset(""),
    trailing_whitespace, utf8_bom, global_status_quoted_printable, global_status_base64,
    notice_base64, notice_quoted_printable, subject_encoded_word, media_types_in_capitals,
    content_type_parameters_reordered, part_header_names_lower, recipient_in_angle_brackets,
    extension_fields_added, top_headers_refolded, notice_transcoded_utf8, top_mime_headers_dropped,
    boundaries_renamed, part_dispositions_added,
)
# applied last when a chain draws them: they change every line or the first bytes
_OUTERMOST = (mbox_from_line, crlf_line_endings, utf8_bom)


# --- what is compared --------------------------------------------------------------------------

def signature(raw: bytes) -> tuple[tuple[str, str, str, str | None], ...]:
    """Recipients with kind, reason and status: what the daemon acts on."""
    res = parse_message(raw)
    return tuple(sorted((r.recipient.lower(), str(r.kind), r.reason, r.status) for r in res.recipients))


def _sources() -> list[Path]:
    """Every sample in tests/data (all kinds of returned mail) and the corpus's sisimai set."""
    local = sorted(p for p in (ROOT / "data").rglob("*.eml") if p.is_file())
    corpus = sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []
    return local + corpus


def _cases() -> list[pytest.param]:
    rng = random.Random(SEED)
    pool = _sources()
    cases = []
    texts = {p: _text(p.read_bytes()) for p in pool}
    for t in TRANSFORMS:
        applicable = [p for p in pool if t(texts[p]) is not None]
        for p in rng.sample(applicable, min(PER_TRANSFORM, len(applicable))):
            name = p.relative_to(CORPUS.parent) if p.is_relative_to(CORPUS.parent) else p.relative_to(ROOT)
            cases.append(pytest.param(t, p, id=f"{t.__name__}:{name}"))
    return cases


def _chains() -> list[pytest.param]:
    """Three transformations at a time: one system's output is the next one's input (a relay
    re-encodes, a forwarder wraps, a store converts the line ends)."""
    rng = random.Random(SEED + 1)
    pool = _sources()
    inner = [t for t in TRANSFORMS if t not in _OUTERMOST]
    cases = []
    for p in rng.sample(pool, min(CHAINS, len(pool))):
        chain = rng.sample(inner, 2) + [rng.choice(_OUTERMOST)]
        name = p.relative_to(CORPUS.parent) if p.is_relative_to(CORPUS.parent) else p.relative_to(ROOT)
        cases.append(pytest.param(chain, p, id=f"{'+'.join(t.__name__ for t in chain)}:{name}"))
    return cases


@pytest.mark.parametrize(("transform", "path"), _cases())
def test_meaning_preserving_change_keeps_the_parse(transform: Mutation, path: Path) -> None:
    raw = path.read_bytes()
    want = signature(raw)
    if not want:
        pytest.skip("the original yields no recipient: nothing to keep")
    changed = transform(_text(raw))
    if changed is None:
        pytest.skip(f"{transform.__name__} does not apply to this message")
    got = signature(changed.encode("latin-1"))
    assert got == want, f"{transform.__name__} changed the parse of {path.name}"


@pytest.mark.parametrize(("chain", "path"), _chains())
def test_chained_changes_keep_the_parse(chain: list[Mutation], path: Path) -> None:
    raw = path.read_bytes()
    want = signature(raw)
    if not want:
        pytest.skip("the original yields no recipient: nothing to keep")
    text: str | None = _text(raw)
    for t in chain:
        changed = t(text)
        text = text if changed is None else changed  # a step that does not apply is skipped
    assert signature(text.encode("latin-1")) == want
