"""Turn the fields a format module found into a reason, a kind and a normalized status.

Everything the classifier knows is data: :mod:`.status` (RFC 3463 code -> reason),
:mod:`.replycode` (SMTP reply code -> reason), :mod:`.phrases` (diagnostic wording and MTA error
identifiers -> reason), :mod:`.receivers` (a large provider's own codes and wording) and
:mod:`.stages` (the refused SMTP command). This module only decides which piece of evidence wins.

Status (:func:`normalize_status`): ``Found.status`` with any comment stripped; when it is missing,
class- or subject-only (5.0.0, 5.2.0) or a catch-all an MTA writes over the remote's own answer
(4.4.7, 5.3.X, ...), the remote server's code in the diagnostic replaces it ("550 5.1.1 <a@b>...
User unknown" under Status: 5.0.0 -> 5.1.1). A bare reply code gives only the class (550 ->
5.0.0, RFC 3463's "other undefined status" for when only the class is known), never a detail.
The normalized status is what the steps below and the kind use.

Precedence, first decision wins:

1. a reason the format module set itself (``Found.reason``: feedback, vacation, an MTA-specific
   decision); a feedback report's reason and kind come from its type (:mod:`.feedback`: only
   the recipient's own complaint is a complaint);
2. ``delivered`` for Action delivered/relayed/expanded or a 2.X.X status;
3. sender-side evidence (:mod:`.senders`: a block list, our IP, rate limiting, SPF/DKIM/DMARC,
   reverse DNS, the envelope sender refused), whatever status code any MTA attached; a known
   provider's own sender-side row (step 4) or a sender-side MTA error identifier (step 5) is
   more precise and is taken first;
4. the receiver's own table, when the remote MTA, the recipient domain or a marker in the
   diagnostic names a known provider;
5. an MTA's machine-readable error identifier in the diagnostic (Exchange ``RESOLVER.ADR.*``,
   ``QUEUE.Expired``, MSEXCH ``(000C05A6)``: :data:`.phrases.IDENTIFIER_ROWS`);
6. the diagnostic's wording against the status code:
   a. a *strong* status code (one cause: 5.1.1, 5.2.2, 5.7.26, ...) wins unless a phrase of a
      higher-ranked reason matches (5.1.1 with "over quota" is a mailbox-full the server
      mislabelled); the sender's X.1.7/X.1.8 (RFC 3463 "bad sender's mailbox address syntax",
      "bad sender's system address") is never overridden by an address reason ("553 5.1.8
      Sender address domain does not exist": the address that does not exist is ours). Ranks
      follow the order of :data:`.phrases.PHRASE_ROWS`. A status the remote's reply does not
      carry (a bare "550 ..." under Sendmail's 5.1.1) is the reporting MTA's guess and counts as
      weak: the remote's words decide; an addressing (X.1.X) guess over a reply other than RFC
      5321's mailbox answers 550/551/450 ("554 RLY:SN") counts for nothing;
   b. otherwise the first matching phrase row;
   c. otherwise a *weak* status code's reason (5.7.1 -> security_error, 4.4.7 -> expired);
7. the SMTP reply code (552 -> mailbox_full, 452 -> system_full); RFC 7504's 521/556 (no mail
   accepted at all) count as a strong code in step 6, unless the words put the refusal on the
   sender (gateways answer "521 5.7.1 Blocked - see <IP lookup>" to a client they refuse: that
   host accepts mail, just not from our IP). 551 and 553 decide nothing alone: MTAs use them for
   the envelope sender, relaying and login mismatches as much as for a mailbox (:mod:`.replycode`);
8. a reporting MTA's own lead-in (:data:`.phrases.LEAD_IN_ROWS`, qmail's "does not like recipient")
   when the remote's words gave no code and no phrase; then ``expired`` for Action delayed, else
   ``undefined``;
9. when the format knows which SMTP command was refused (``Found.command``), a vague reason from
   steps 6-8 is corrected by the stage (:mod:`.stages`: anything vague at EHLO -> blocked, at
   MAIL FROM -> rejected; an explicit "unknown user" stays one at any stage), unless the status is an X.1.X
   code. Decisions of steps 3-5 (a receiver's table, an error identifier) stand.

Kind: feedback -> complaint, vacation -> auto_reply, delivered -> delivered; Action delayed ->
delay, unless the words say the queue lifetime ran out (:data:`.phrases.FINAL_EXPIRY_ROWS`,
OpenSMTPD's "Envelope expired" under Action: delayed): that notice is final. Of the failures that are final (the reporting MTA gave up), user_unknown, host_unknown and
has_moved are hard whatever the code's class (a 4.1.1 the MTA retried until it gave up still names
an address that does not exist); not_accept is hard for 5.X.X/5XX or no code and soft for
4.X.X/4XX (a host refusing all mail for now). This is Sisimai's hardbounce rule
(``smtp/failure`` IsHardBounce). Every other reason takes its default from
:data:`bounced.reasons.DEFAULT_KINDS`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bounced.model import Found, Kind
from bounced.parse import smtp
from bounced.reasons import DEFAULT_KINDS, SENDER_SIDE

from ._literals import LiteralIndex
from .feedback import FEEDBACK
from .phrases import FINAL_EXPIRY_ROWS, IDENTIFIER_ROWS, LEAD_IN_ROWS, PHRASE_ROWS
from .receivers import RECEIVER_ROWS, RECEIVERS
from .senders import SENDER_ROWS
from .replycode import REPLY_ROWS
from .stages import STAGE_ROWS
from .status import STATUS_ROWS, STRONG, WEAK

__all__ = ["Classification", "classify", "normalize_status", "match_phrase", "match_receiver", "pick_receiver"]


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's verdict for one recipient; ``status`` may be normalized or inferred."""

    reason: str
    kind: Kind
    status: str | None


# --- compiled tables (built once at import) -----------------------------------------------------

_CLASS_REPLY = re.compile(r"[45]\d\d")
_DELIVERED_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_HARD_REASONS = frozenset({"user_unknown", "host_unknown", "has_moved"})


_REGEX_META = frozenset("\\.^$*+?{}[]()|")
_QUANTIFIERS = frozenset("?*+{")


def _top_branches(pattern: str) -> list[str]:
    """Split a pattern at its top-level ``|`` (not inside groups, classes or escapes)."""
    branches, depth, in_class, escaped, start = [], 0, False, False, 0
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
    branches.append(pattern[start:])
    return branches


def _branch_anchor(branch: str) -> str | None:
    """The longest literal every match of ``branch`` contains: a run of plain characters at
    group depth 0, less a last character a quantifier makes optional. None when shorter than 3."""
    best, run, depth, in_class, i = "", "", 0, False, 0

    def close(next_char: str) -> None:
        nonlocal best, run
        kept = run[:-1] if run and next_char in _QUANTIFIERS else run
        best, run = (kept if len(kept) > len(best) else best), ""

    while i < len(branch):
        ch = branch[i]
        if in_class:
            in_class = not (ch == "]")
            i += 2 if ch == "\\" else 1
            continue
        if ch == "\\" and i + 1 < len(branch):
            escaped = branch[i + 1]
            i += 2
            if depth == 0 and not escaped.isalnum():  # "\." is a literal dot; "\b", "\S" are not
                run += escaped
                if i < len(branch) and branch[i] in _QUANTIFIERS:
                    close(branch[i])
            elif depth == 0:
                close("")
            continue
        if ch == "{":  # a counted quantifier ("{0,40}"): its digits are no literal, and it may drop the last character
            if depth == 0:
                close(ch)
            end = branch.find("}", i)
            i = len(branch) if end < 0 else end + 1
            continue
        if depth == 0 and ch not in _REGEX_META:
            run += ch
        else:
            if depth == 0:
                close(ch)
            if ch == "[":
                in_class = True
            elif ch in "()":
                depth += 1 if ch == "(" else -1
        i += 1
    close("")
    return best if len(best) >= 3 else None


def _branch_anchors(branch: str) -> tuple[str, ...] | None:
    """Literals one of which every match of ``branch`` contains: its :func:`_branch_anchor`, else
    the alternatives of its first group at depth 0 that is not optional and holds only plain
    literals of 3 characters or more ("(?:helo|ehlo)\\b.{0,40}..." -> "helo", "ehlo"), so that a
    branch opening with a choice of words is searched only when one of them occurs."""
    anchor = _branch_anchor(branch)
    if anchor is not None:
        return (anchor,)
    depth, in_class, i = 0, False, 0
    while i < len(branch):
        ch = branch[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == ")":
            depth -= 1
        elif ch == "(":
            if depth == 0:
                end, inner_depth, j = -1, 0, i
                while j < len(branch):  # its closing parenthesis
                    if branch[j] == "\\":
                        j += 2
                        continue
                    inner_depth += {"(": 1, ")": -1}.get(branch[j], 0)
                    if inner_depth == 0:
                        end = j
                        break
                    j += 1
                inner = branch[i + 1:end]
                inner = inner[2:] if inner.startswith("?:") else inner
                alternatives = inner.split("|")
                if end > 0 and branch[end + 1:end + 2] not in _QUANTIFIERS and not inner.startswith("?") and all(
                        len(a) >= 3 and not _REGEX_META.intersection(a) for a in alternatives):
                    return tuple(alternatives)
            depth += 1
        i += 1
    return None


def _anchors(patterns: list[str]) -> tuple[str, ...] | None:
    """Literals one of which every match of the patterns contains, or None when a branch has none."""
    found: list[str] = []
    for pattern in patterns:
        for branch in _top_branches(pattern):
            anchors = _branch_anchors(branch)
            if anchors is None:
                return None
            found.extend(anchors)
    return tuple(dict.fromkeys(found))


_Run = tuple[int, str, re.Pattern[str], "tuple[str, ...] | None"]
_INDEXED = 64  # from this many anchors on, one regex pass finds the present ones faster than ``in``
# the index looks for the anchors' first characters only: a prefix of a literal every match
# contains is one too, and the shorter trie is built and compiled in a third of the time
_INDEX_PREFIX = 8


@dataclass(frozen=True, slots=True)
class _Table:
    """A table's runs in order, each with its anchors; or, for a large table, its runs'
    top-level branches in order, each compiled alone with its anchor in a literal index, so only
    branches whose literal occurs are searched (a run's alternation tries every branch at every
    position of the text). Large tables share one index (see :func:`_tables`): a table's
    branches are the groups of the index's table number ``slot``."""

    runs: tuple[_Run, ...]
    branches: tuple[tuple[int, str, re.Pattern[str]], ...] = ()  # (first row index, reason, branch)
    unanchored: frozenset[int] = frozenset()  # branches searched whatever the text
    index: LiteralIndex | None = None
    slot: int = 0


def _runs(rows: tuple[tuple[str, str, str], ...]) -> _Table:
    """Consecutive rows of one reason become one alternation, keeping first-match order cheap.

    Each run also carries its anchors: a substring test rules a run out far faster than the
    regex engine can, and a run whose patterns have no provable literal is always searched.
    """
    return _tables(rows)[0]


def _tables(*row_sets: tuple[tuple[str, str, str], ...], shared: bool = False,
            also: Sequence[Sequence[str]] = ()) -> tuple[_Table, ...]:
    """:func:`_runs` of each row set; the large ones (``shared``: all of them) share one literal
    index, so that one pass over a text finds the present literals of all of them. ``also``:
    groups of whole literals the index holds as its last table (the receivers' markers)."""
    split: list[tuple[list[tuple[int, str, list[str]]], list[tuple[int, str, str]], list[tuple[str, ...] | None]]] = []
    for rows in row_sets:
        runs: list[tuple[int, str, list[str]]] = []
        for index, (reason, pattern, _note) in enumerate(rows):
            if runs and runs[-1][1] == reason:
                runs[-1][2].append(pattern)
            else:
                runs.append((index, reason, [pattern]))
        branches = [(i, r, b) for i, r, ps in runs for p in ps for b in _top_branches(p)]
        split.append((runs, branches, [_branch_anchors(b) for _i, _r, b in branches]))
    indexed: list[list[tuple[str, ...]]] = []
    slots: list[int | None] = []
    for _runs_, _branches, anchors in split:
        if not shared and sum(a is not None for a in anchors) < _INDEXED:
            slots.append(None)
            continue
        slots.append(len(indexed))
        indexed.append([tuple(dict.fromkeys(a[:_INDEX_PREFIX] for a in alts)) if alts else () for alts in anchors])
    if also:
        indexed.append([tuple(g) for g in also])
    index = LiteralIndex(*indexed) if indexed else None
    tables = []
    for (runs, branches, anchors), slot in zip(split, slots):
        if slot is None:
            tables.append(_Table(tuple((i, r, re.compile("|".join(f"(?:{p})" for p in ps)), _anchors(ps))
                                       for i, r, ps in runs)))
        else:
            tables.append(_Table((), tuple((i, r, re.compile(b)) for i, r, b in branches),
                                 frozenset(n for n, a in enumerate(anchors) if a is None), index, slot))
    return tuple(tables)


def _first_run(table: _Table, text: str, literals: list[str] | None = None) -> tuple[int, str] | None:
    """(first row index, reason) of the first run matching ``text``.

    ``literals``: the table's index's :meth:`~LiteralIndex.literals_in` of ``text`` or of a text
    that ends with it (a superset: the branches it adds are searched and fail), when known."""
    if table.index is not None:
        branches = table.branches
        for n in sorted(table.index.groups_in(text, table.slot, literals) | table.unanchored):
            index, reason, rx = branches[n]
            if rx.search(text):
                return index, reason
        return None
    for index, reason, rx, anchors in table.runs:
        if anchors is not None:
            for anchor in anchors:
                if anchor in text:
                    break
            else:
                continue
        if rx.search(text):
            return index, reason
    return None


_NO_RUNS = _Table(())
_MARKERS = tuple((name, markers) for name, _hosts, _domains, markers, _note in RECEIVERS if markers)
# the tables every recipient's diagnostic is read against, and the receivers' markers (whole
# strings, table _MARKER_SLOT): one literal index, one pass (_reason, pick_receiver)
_PHRASE_RUNS, _SENDER_RUNS, _IDENTIFIER_RUNS = _tables(PHRASE_ROWS, SENDER_ROWS, IDENTIFIER_ROWS, shared=True,
                                                       also=[markers for _name, markers in _MARKERS])
_LITERALS = _PHRASE_RUNS.index
assert _LITERALS is not None and _LITERALS is _SENDER_RUNS.index is _IDENTIFIER_RUNS.index
_MARKER_SLOT = 3
# no marker starts with a character of the "<status> " that _reason's literals are found in
# front of the diagnostic: so those literals give the diagnostic's markers exactly
assert all(m[:1] not in "0123456789. " for _name, markers in _MARKERS for m in markers)
_FINAL_EXPIRY = re.compile("|".join(f"(?:{p})" for p, _note in FINAL_EXPIRY_ROWS))
_LEAD_IN = tuple((reason, re.compile(p)) for reason, p, _note in LEAD_IN_ROWS)
_RANK: dict[str, int] = {}
for _i, (_reason, _p, _n) in enumerate(PHRASE_ROWS):
    _RANK.setdefault(_reason, _i)
_LAST = len(PHRASE_ROWS)

_STATUS: dict[str, tuple[str, str]] = {}
_STATUS_RANGES: list[tuple[str, int, int, tuple[str, str]]] = []  # (subject, low, high, verdict)
for _code, _reason, _strength, _note in STATUS_ROWS:
    _cls, _subject, _detail = _code.split(".")
    if "-" in _detail:  # "X.7.606-649"
        _low, _high = _detail.split("-")
        _STATUS_RANGES.append((_subject, int(_low), int(_high), (_reason, _strength)))
    else:
        _STATUS[_code] = (_reason, _strength)

_STAGES: dict[str, tuple[frozenset[str], str]] = {cmd: (src, dst) for cmd, src, dst, _note in STAGE_ROWS}

_REPLY: dict[str, tuple[str, str]] = {code: (reason, strength) for code, reason, strength, _note in REPLY_ROWS}

_RECEIVER_RUNS: dict[str, _Table] = {}
for _name, *_rest in RECEIVERS:
    _RECEIVER_RUNS[_name] = _runs(tuple((r, p, n) for rn, r, p, n in RECEIVER_ROWS if rn == _name))
_HOST_SUFFIXES: dict[str, str] = {}
_RECIPIENT_DOMAINS: dict[str, str] = {}
for _name, _hosts, _domains, _markers, _note in RECEIVERS:
    for _host in _hosts:
        _HOST_SUFFIXES.setdefault(_host, _name)
    for _domain in _domains:
        _RECIPIENT_DOMAINS.setdefault(_domain, _name)


# --- status ---------------------------------------------------------------------------------------

_FIELD_GIVES_WAY = ("4.4.7", "4.7.0", "5.1.1")
_SUBJECT_GIVES_WAY = (".5.1", ".5.2", ".5.4", ".5.5")


_EXIM_GAVE_UP = "retry timeout exceeded"

# a diagnostic that is a remote's reply with no enhanced code after its reply code
_BARE_REPLY = re.compile(r"\s*[45]\d\d[ -](?!\s*#?[245]\.\d{1,3}\.\d{1,3})")


def normalize_status(status: str | None, diagnostic: str = "", reply_code: str | None = None) -> str | None:
    """The enhanced status code to report: the Status field's code, or the diagnostic's.

    The field wins unless it is missing, or says less than the remote server's own code in the
    diagnostic: a class-only or subject-only code (5.0.0, 5.2.0), a catch-all an MTA writes for
    any remote refusal (4.4.7 "delivery time expired" over the real last error, 4.7.0, 5.3.X,
    the X.5.1/2/4/5 protocol codes, Sendmail's 5.1.1 over a remote 5.7.1), or when the classes
    differ and the reply code sides with the diagnostic's. "5.0.0 (comment)" -> "5.0.0".
    """
    field = smtp.find_status(status) if status else None
    inmesg = smtp.first_failure_status(diagnostic) if diagnostic else None
    if inmesg is None or inmesg == field:
        return field
    if field is None:
        return inmesg
    if field[0] != inmesg[0]:
        first = (reply_code or "").strip()[:1]
        return inmesg if first == inmesg[0] else field
    if field.endswith(".0.0"):
        return field if inmesg.endswith(".0.0") else inmesg
    if _BARE_REPLY.match(diagnostic):
        # the reply opens without an enhanced code, so the field is the reporting MTA's guess from
        # the reply code (Sendmail's 5.1.3 for a 553 at RCPT), and the code the remote wrote later
        # in its reply (qmail's "553 Stray linefeeds in message (#5.6.2)") is its own
        return inmesg
    if ".0" in field and ".0" not in inmesg:
        return inmesg
    if inmesg.endswith(".0.0"):
        return field
    # a guessed 5.1.1 stays over a remote's vague 5.5.X, but not over X.5.1 "invalid command"
    # (RFC 3463 3.6), which no mailbox answer carries (qmail-smtpd "502 unimplemented (#5.5.1)")
    if field == "5.1.1" and (".0" in inmesg or (inmesg.startswith("5.5.") and inmesg != "5.5.1")):
        return field
    if field in _FIELD_GIVES_WAY or field.startswith("5.3.") or field[1:5] in _SUBJECT_GIVES_WAY:
        return inmesg
    return field


def _status_reason(code: str | None) -> tuple[str, str] | None:
    """Look a code up exactly, then as X.subject.detail, then in the detail ranges (X.7.606-649)."""
    if not code:
        return None
    hit = _STATUS.get(code)
    if hit is None:
        _cls, subject, detail = code.split(".")
        hit = _STATUS.get(f"X.{subject}.{detail}")
        if hit is None:
            number = int(detail)
            for range_subject, low, high, verdict in _STATUS_RANGES:
                if subject == range_subject and low <= number <= high:
                    return verdict
    return hit


# --- phrases and receivers ------------------------------------------------------------------------

_MAX_DIAGNOSTIC = 16_384  # what a reply plus a provider's explanation needs; bounds the hot path


def _normalize_text(text: str) -> str:
    text = text[:_MAX_DIAGNOSTIC]
    if "\x1b$" in text:  # 7-bit ISO-2022-JP passed through undecoded (Japanese MTAs' DSN fields)
        try:
            text = text.encode("ascii").decode("iso2022_jp")
        except (UnicodeError, LookupError):
            pass
    # str.split() splits at exactly the characters re's \s matches; a multi-line reply's repeated
    # "550-5.1.1" prefixes go, so a phrase broken across its lines reads whole, and so does a
    # Sendmail transcript's own closing summary, which is not the remote's words
    return smtp.drop_transcript_summary(smtp.join_reply_lines(" ".join(text.split()).lower()))


def match_phrase(text: str, literals: list[str] | None = None) -> tuple[int, str] | None:
    """(row index, reason) of the first phrase row matching ``"<status> <diagnostic>"`` (lower-cased).

    The index is that of the first row of the matching run; tests use :func:`_row_for` to get the
    exact row.
    """
    return _first_run(_PHRASE_RUNS, text, literals)


def _host_receiver(host: str) -> str | None:
    """Match the host and each parent domain of it ("a.b.google.com", "b.google.com", ...)."""
    labels = host.split(".")
    for start in range(len(labels) - 1):
        name = _HOST_SUFFIXES.get(".".join(labels[start:]))
        if name is not None:
            return name
    return None


def pick_receiver(remote_mta: str | None, recipient: str | None, diagnostic: str,
                  literals: list[str] | None = None) -> str | None:
    """The provider whose table applies: by remote MTA host, then recipient domain, then markers.

    ``literals``: the shared index's :meth:`~LiteralIndex.literals_in` of ``diagnostic`` or of
    ``"<status> " + diagnostic``, when known (one pass serves the markers and the phrases)."""
    if remote_mta:
        tokens = remote_mta.lower().split(";", 1)[-1].split()
        host = tokens[0].strip("[]<>()").rstrip(".") if tokens else ""
        if host:
            name = _host_receiver(host)
            if name:
                return name
    if recipient and "@" in recipient:
        name = _RECIPIENT_DOMAINS.get(recipient.rsplit("@", 1)[1].strip().strip(">").lower())
        if name:
            return name
    # which receivers' markers the diagnostic holds, in one pass instead of a test per marker
    marked = _LITERALS.groups_in(diagnostic, _MARKER_SLOT, literals)
    return _MARKERS[min(marked)][0] if marked else None  # the first receiver with a marker in it


def match_receiver(name: str, status: str | None, diagnostic: str) -> str | None:
    """The reason a receiver's rows give for ``"<status> <diagnostic>"``, or None."""
    hit = _first_run(_RECEIVER_RUNS.get(name, _NO_RUNS), f"{status or ''} {diagnostic}")
    return hit[1] if hit else None


# --- the decision ---------------------------------------------------------------------------------

def _reason(found: Found, diagnostic: str, status: str | None, action: str) -> str:
    # the recipient's address is not the remote's words: "spam-trap@", "dmarc@", "unsolicited-x@"
    # (OpenSMTPD prefixes every diagnostic with it) must not match a phrase, nor "mimecast-fan@" or
    # "gsmtp@" a provider's marker
    rcpt = (found.recipient or "").lower()
    diagnostic = diagnostic.replace(rcpt, " ") if rcpt and rcpt in diagnostic else diagnostic
    # the general tables read the reply's words; a URL's path is a help page's file name
    # ("/blocklist-faq"), so only its host stays (receivers and identifiers may key on their URLs)
    words = smtp.url_hosts(diagnostic)
    # the phrase, sender and identifier tables' literals, found once in the text the phrases are
    # matched against: it ends with the words, so they include those of the words themselves (and
    # of the diagnostic, which the identifiers and the markers read, when no URL path was taken
    # out of it)
    literals = _LITERALS.literals_in(f"{status or ''} {words}") if words else None
    of_diagnostic = literals if words == diagnostic else None
    receiver = pick_receiver(found.remote_mta, found.recipient, diagnostic, of_diagnostic)
    said = match_receiver(receiver, status, diagnostic) if receiver is not None else None
    if said in SENDER_SIDE:
        return said
    identified = _first_run(_IDENTIFIER_RUNS, diagnostic, of_diagnostic) if diagnostic else None
    if identified is not None and identified[1] in SENDER_SIDE:
        return identified[1]
    sender = _first_run(_SENDER_RUNS, words, literals) if words else None
    if sender is not None:
        return sender[1]
    if said is not None:
        return said
    if identified is not None:
        return identified[1]
    return _at_stage(_generic_reason(found, words, status, action, literals), found, status)


def _guessed(diagnostic: str) -> bool:
    """True when the status is the reporting MTA's guess: the remote's reply in the diagnostic
    has a reply code but no enhanced code of its own (Sendmail writes 5.1.1 for any bare 550 at
    RCPT, OpenSMTPD 5.0.0 for everything), so the remote's words decide before that status."""
    return smtp.first_failure_status(diagnostic) is None and smtp.find_failure_reply(diagnostic) is not None


def _generic_reason(found: Found, diagnostic: str, status: str | None, action: str,
                    literals: list[str] | None = None) -> str:
    """Steps 6-8: wording against status codes, then the reply code, then the defaults."""
    phrase = match_phrase(f"{status or ''} {diagnostic}", literals) if diagnostic else None
    reply = (found.reply_code or "").strip()
    # a status the reporting MTA derived from the reply code and the command tells only the class:
    # Sendmail's 5.1.1 for a bare 550 at RCPT says no more than "550" (usersmtp.c), so the reply
    # code and the remote's words decide as under OpenSMTPD's class-only 5.0.0
    # (an X.0.0 is class-only already: no need to ask)
    coded = _status_reason(f"{status[0]}.0.0" if status and not status.endswith(".0.0") and _guessed(diagnostic)
                           else status)
    if (coded is None or coded[1] != STRONG) and _REPLY.get(reply, ("", ""))[1] == STRONG and (
            phrase is None or phrase[1] not in SENDER_SIDE):
        coded = _REPLY[reply]
    if coded is not None and coded[1] == STRONG:
        if phrase is None or _RANK.get(coded[0], _LAST) <= phrase[0]:
            return coded[0]
        if (status or "")[1:] in _SENDER_SUBJECTS and phrase[1] in _ADDRESS_REASONS | _HARD_REASONS:
            return coded[0]  # the address the words call unknown is the sender's (RFC 3463 X.1.7/8)
        return phrase[1]
    if phrase is not None:
        return phrase[1]
    if coded is not None:
        return coded[0]
    if reply in _REPLY:
        return _REPLY[reply][0]
    if diagnostic and coded is None and not reply and smtp.find_failure_reply(diagnostic) is None:
        for reason, rx in _LEAD_IN:
            if rx.search(diagnostic):
                return reason
    if action == "delayed":
        return "expired"
    return "undefined"


def _at_stage(reason: str, found: Found, status: str | None) -> str:
    """Correct a vague reason by the SMTP command it answered (:mod:`.stages`), when known."""
    command = found.command  # set by formats that see the SMTP transcript or "(in reply to X command)"
    if not command or (status or "")[1:4] == ".1.":
        return reason
    stage = _STAGES.get(str(command).strip().upper())
    if stage is not None and reason in stage[0]:
        return stage[1]
    return reason


_ADDRESS_REASONS = frozenset({"user_unknown", "host_unknown", "not_accept"})
_SENDER_SUBJECTS = frozenset({".1.7", ".1.8"})  # RFC 3463 3.2: the sender's address or system


def _names_the_sender(reason: str, recipient: str | None, diagnostic: str, senders: frozenset[str]) -> bool:
    """True when an address-level failure is about our envelope sender, not the recipient.

    A server refusing MAIL FROM, or checking the sender after DATA, answers "553 <our domain>
    does not exist" or "550 <our address>... User unknown" (RFC 5321 3.3: the reverse-path is
    verified too; RFC 3463 X.1.7/X.1.8). When the diagnostic names a sender address, or for a
    domain-level failure a sender domain, and not the recipient's, it is the sender refused.
    """
    rcpt = (recipient or "").lower()
    rcpt_domain = rcpt.rpartition("@")[2]
    # the reporting MTA's own framing names the recipient ("after RCPT TO:<a@b>:", Exim
    # deliver.c): that is which command was refused, not whose address the reply is about
    diagnostic = diagnostic.replace(f"rcpt to:<{rcpt}>", " ") if rcpt else diagnostic
    if rcpt and rcpt in diagnostic:
        return False
    if any(s in diagnostic for s in senders):
        return True
    if reason == "user_unknown" or (rcpt_domain and _mentions(diagnostic, rcpt_domain)):
        return False
    return any(_mentions(diagnostic, d) for d in {s.rpartition("@")[2] for s in senders} if d and d != rcpt_domain)


def _mentions(text: str, domain: str) -> bool:
    """``domain`` as a whole name in ``text`` (not the tail of a longer host name)."""
    at = text.find(domain)
    while at >= 0:
        end = at + len(domain)
        if (at == 0 or not (text[at - 1].isalnum() or text[at - 1] in ".-")) and (
                end == len(text) or not (text[end].isalnum() or text[end] == "-")):
            return True
        at = text.find(domain, end)
    return False


def _kind(reason: str, action: str, status: str | None, reply: str | None) -> Kind:
    default = DEFAULT_KINDS[reason]
    if default in (Kind.COMPLAINT, Kind.AUTO_REPLY, Kind.DELIVERED):
        return default
    if action == "delayed":
        return Kind.DELAY
    if reason in _HARD_REASONS:
        return Kind.HARD
    if reason == "not_accept":
        return Kind.SOFT if (status or reply or "5")[:1] == "4" else Kind.HARD
    return default


def classify(found: Found, fmt: str, senders: frozenset[str] = frozenset()) -> Classification:
    """Classify one recipient of a message in format ``fmt``.

    Pure and cheap (precompiled tables, no I/O); ``fmt`` is accepted so a format can be given its
    own defaults without changing the call. ``senders`` are the envelope sender and the
    original's From (lower-case addresses), when known: see :func:`_names_the_sender`.
    """
    action = (found.action or "").strip().lower().partition(" ")[0]  # "failed (permanent)" -> "failed"
    diagnostic = _normalize_text(found.diagnostic or "")
    if action == "delayed" and diagnostic and _FINAL_EXPIRY.search(diagnostic):
        action = "failed"  # the queue lifetime ran out: final, whatever the Action says
    status = normalize_status(found.status, diagnostic, found.reply_code)
    gave_up = diagnostic.endswith(_EXIM_GAVE_UP) and smtp.find_failure_reply(diagnostic) is not None
    if gave_up:
        # Exim's own words when it gives up ("421 4.7.1 Intrusion prevention active for [IP]: retry
        # timeout exceeded", deliver.c; bench/mta_probe.py): the remote's reply says why, and only
        # when it says nothing is the reason that the retries ran out
        diagnostic = diagnostic[:-len(_EXIM_GAVE_UP)].rstrip(": ")
    if found.reason == "feedback" and found.feedback_type:
        reason, kind = FEEDBACK.get(found.feedback_type, FEEDBACK["other"])
        return Classification(reason=reason, kind=kind, status=status)
    if found.reason in DEFAULT_KINDS:
        reason = found.reason
    elif action in _DELIVERED_ACTIONS or (status or "").startswith("2."):
        reason = "delivered"
    else:
        reason = _reason(found, diagnostic, status, action)
        if gave_up and reason == "undefined":
            reason = "expired"
        if reason in _ADDRESS_REASONS and senders and _names_the_sender(reason, found.recipient, diagnostic, senders):
            reason = "rejected"
    reply = (found.reply_code or "").strip() or None
    kind = _kind(reason, action, status, reply)
    if status is None and reply is not None and _CLASS_REPLY.fullmatch(reply):
        status = f"{reply[0]}.0.0"  # RFC 3463 3.1: X.0.0 when only the class is known
    return Classification(reason=reason, kind=kind, status=status)
