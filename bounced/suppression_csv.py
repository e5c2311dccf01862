"""Suppression lists as CSV: bounced's own export, and other providers' exports to import.

Pure functions over text (the CLI reads the file and writes the result). Column names are matched
after folding case and dropping everything but letters and digits, so ``E-Mail``, ``email_address``
and ``EmailAddress`` are the same column. Which column means what, and which provider values mean
which kind, are the data tables below, one row per name with where that name is documented.

Import rules a careful operator expects: the delimiter is detected (``,`` ``;`` tab ``|``); the
encoding is taken from ``--encoding``, a byte-order mark, or UTF-8, else Windows-1252 with a note;
each row keeps its own dates (ISO 8601, RFC 2822, Unix seconds or milliseconds, ``YYYY-MM-DD
HH:MM:SS``), bounded to 1996..now; a temporary failure (4xx reply or 4.x.x status) is never
imported as hard; every skipped row is reported with its line number and why.

Export rule: a cell that a spreadsheet would run as a formula (starting with ``=`` ``+`` ``-``
``@``, tab or carriage return) is written with a leading ``'`` (OWASP "CSV Injection"); the import
removes that quote again, so export then import round-trips every column.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bounced.classify import classify
from bounced.model import Found, Kind, SuppressionRow
from bounced.reasons import REASONS

EARLIEST = datetime(1996, 1, 1, tzinfo=timezone.utc)  # RFC 1894; nothing older is a real bounce date
MAX_FIELD = 128 * 1024  # the csv module's own default limit, named so the error can say it
MAX_REASON = 1000

_SES_API = "docs.aws.amazon.com/ses/latest/APIReference-V2/API_SuppressedDestinationSummary.html"
_SES_BULK = ("docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html (bulk add, CreateImportJob: "
             "CSV lines 'address,BOUNCE' or 'address, COMPLAINT', no header)")
_POSTMARK = "postmarkapp.com/developer/api/suppressions-api (suppression dump)"
_MAILGUN = "documentation.mailgun.com bounces API, POST /v3/{domain}/bounces/import"
_SENDGRID = "twilio.com/docs/sendgrid/api-reference/bounces-api (BounceResponse)"
_SENDGRID_SPAM = "twilio.com/docs/sendgrid/api-reference/spam-reports-api"

# (field, column name as written by the provider, provider, source). Matched after folding.
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("address", "email", "bounced, SendGrid", "bounced export-suppressions; " + _SENDGRID),
    ("address", "EmailAddress", "Amazon SES, Postmark", _SES_API + "; " + _POSTMARK),
    ("address", "address", "Mailgun", _MAILGUN),
    ("address", "email_address", "common exports", "bounced before 0.2"),
    ("address", "E-Mail", "common exports (German spreadsheets)", "issue 17"),
    ("address", "mail", "common exports", "bounced check"),
    ("address", "recipient", "SparkPost", "developers.sparkpost.com/api/suppression-list"),
    ("kind", "kind", "bounced", "bounced export-suppressions"),
    ("kind", "SuppressionReason", "Postmark", _POSTMARK),
    ("reason", "reason", "bounced, Amazon SES, SendGrid", "bounced export-suppressions; " + _SES_API + "; " + _SENDGRID),
    ("reason", "error", "Mailgun", _MAILGUN),
    ("reason", "description", "SparkPost", "developers.sparkpost.com/api/suppression-list"),
    ("status", "status", "SendGrid", _SENDGRID),
    ("status", "code", "Mailgun", _MAILGUN),
    ("created", "created_at", "bounced, Postmark (CreatedAt), Mailgun", "bounced export-suppressions; " + _POSTMARK + "; " + _MAILGUN),
    ("created", "created", "SendGrid, SparkPost", _SENDGRID + "; " + _SENDGRID_SPAM),
    ("created", "LastUpdateTime", "Amazon SES", _SES_API),
    ("created", "date", "common exports", "issue 17"),
    ("expires", "expires_at", "bounced", "bounced export-suppressions"),
    ("source", "source", "bounced", "bounced export-suppressions"),
)

# provider values (in a kind or reason column) that name a kind: (value, kind, provider, source)
KIND_VALUES: tuple[tuple[str, str, str, str], ...] = (
    ("hard", Kind.HARD, "bounced", "bounced export-suppressions"),
    ("soft", Kind.SOFT, "bounced", "bounced export-suppressions"),
    ("complaint", Kind.COMPLAINT, "bounced, Amazon SES (COMPLAINT)", "bounced; " + _SES_API + "; " + _SES_BULK),
    ("BOUNCE", Kind.HARD, "Amazon SES", _SES_API + " (added on a hard bounce); " + _SES_BULK),
    ("HardBounce", Kind.HARD, "Postmark", _POSTMARK),
    ("SpamComplaint", Kind.COMPLAINT, "Postmark", _POSTMARK),
    ("ManualSuppression", Kind.HARD, "Postmark", _POSTMARK + " (suppressed by the customer: until lifted)"),
)

SOURCES = ("policy", "manual", "import")  # bounced's own; any other value imports as "import"
EXPORT_COLUMNS = ("email", "kind", "reason", "created_at", "expires_at", "source")


def fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_FIELD_OF = {fold(col): fld for fld, col, _, _ in COLUMNS}
_KIND_OF = {fold(v): k for v, k, _, _ in KIND_VALUES}
ADDRESS_COLUMNS = tuple(col for fld, col, _, _ in COLUMNS if fld == "address")


def address_column(header: list[str]) -> int | None:
    """The index of the address column in a header row (shared with ``bounced check``)."""
    return next((i for i, c in enumerate(header) if _FIELD_OF.get(fold(c)) == "address"), None)


# ------------------------------------------------------------------------------------- reading
def decode(data: bytes, encoding: str | None = None) -> tuple[str, str | None]:
    """(text, note): ``encoding`` when given, else by byte-order mark, else UTF-8, else Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding), None
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"not {encoding}: byte {exc.start} ({data[exc.start:exc.start + 1]!r}) cannot be decoded") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), None
    head = data[:2000]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return data.decode("utf-16-le", "replace"), "read as UTF-16 (little-endian, no byte-order mark)"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0:
        return data.decode("utf-16-be", "replace"), "read as UTF-16 (big-endian, no byte-order mark)"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "not UTF-8: read as Windows-1252 (give --encoding if that is wrong)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "not UTF-8: read as Latin-1 (give --encoding if that is wrong)"


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:20000].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line number, cells, problem) for every record; a bad record is reported, not fatal."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            why = f"a field is larger than {MAX_FIELD // 1024} KiB" if "field larger" in str(exc) else f"bad CSV: {exc}"
            yield line, None, why
            if line == last:
                return
            last = line
            continue
        last = reader.line_num
        if any("\x00" in c for c in cells):
            yield reader.line_num, None, "contains a NUL byte"
            continue
        yield reader.line_num, cells, None


# ------------------------------------------------------------------------------------- values
def parse_date(text: str, now: datetime | None = None) -> datetime:
    """A date as providers write them; raises ValueError naming the value when unreadable or absurd."""
    from bounced.reporttime import rfc5322_date

    s = text.strip()
    dt: datetime | None = None
    if re.fullmatch(r"\d{9,11}(\.\d+)?", s):
        dt = datetime.fromtimestamp(float(s), timezone.utc)
    elif re.fullmatch(r"\d{12,14}", s):  # milliseconds
        dt = datetime.fromtimestamp(int(s) / 1000, timezone.utc)
    else:
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            dt = rfc5322_date(s)
    if dt is None:
        raise ValueError(f"unreadable date {text!r} (ISO 8601, RFC 2822 or Unix seconds)")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    if dt < EARLIEST:
        raise ValueError(f"date {text!r} is before {EARLIEST:%Y}: not a real suppression date")
    if dt > now + timedelta(days=1):
        raise ValueError(f"date {text!r} is in the future")
    return dt


def _unquote(cell: str) -> str:
    """Undo the export's formula guard (a ``'`` before a formula character)."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r" else cell


def neutralize(value: object) -> str:
    """A cell a spreadsheet will not execute (OWASP CSV injection guidance)."""
    s = "" if value is None else str(value)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


# ------------------------------------------------------------------------------------- import
@dataclass
class ImportPlan:
    rows: list[tuple[int, SuppressionRow]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "line N: why"
    notes: list[str] = field(default_factory=list)
    layout: str = ""


def _is_temporary(status: str, reason: str) -> bool:
    code = status.strip() or reason.strip()
    return bool(re.match(r"4(\.\d{1,3}\.\d{1,3}|\d\d)\b", code))


def plan_import(text: str, default_kind: str = Kind.HARD, soft_expiry: timedelta = timedelta(days=14),
                now: datetime | None = None) -> ImportPlan:
    """Read a suppression CSV into rows to import and lines that say what was skipped and why.

    A soft suppression without an expiry gets the policy's (``soft_expiry`` after its date), as a
    soft bounce suppressed by the policy would."""
    now = now or datetime.now(timezone.utc)
    plan = ImportPlan()
    delimiter = sniff_delimiter(text)
    recs = records(text, delimiter)
    first = next(recs, None)
    while first is not None and first[1] is not None and not any(c.strip() for c in first[1]):
        first = next(recs, None)
    if first is None:
        raise ValueError("no rows")
    if first[1] is None:
        raise ValueError(f"line {first[0]}: {first[2]}")
    header = first[1]
    fields = {_FIELD_OF.get(fold(c)): i for i, c in reversed(list(enumerate(header))) if _FIELD_OF.get(fold(c))}
    pending: list[tuple[int, list[str] | None, str | None]] = []
    if "address" not in fields:
        if any("@" in c for c in header):  # no header: Amazon SES's bulk file (address,reason) and plain lists
            fields = {"address": next(i for i, c in enumerate(header) if "@" in c)}
            if len(header) > 1:
                other = 1 if fields["address"] == 0 else 0
                fields["reason"] = other
            pending.append(first)
            plan.layout = "no header: address[,reason]"
        else:
            raise ValueError(f"no address column in the header {header!r}; one of: {', '.join(ADDRESS_COLUMNS)}")
    else:
        plan.layout = "columns " + ", ".join(f"{f}={header[i]}" for f, i in sorted(fields.items(), key=lambda x: x[1]))
    plan.layout += f"; delimiter {delimiter!r}"

    def cell(cells: list[str], name: str) -> str:
        i = fields.get(name)
        return _unquote(cells[i].strip()) if i is not None and i < len(cells) else ""

    def rows() -> Iterator[tuple[int, list[str] | None, str | None]]:
        yield from pending
        yield from recs

    for line, cells, problem in rows():
        if cells is None:
            plan.skipped.append(f"line {line}: {problem}")
            continue
        if not any(c.strip() for c in cells):
            continue
        address = cell(cells, "address")
        if not address:
            plan.skipped.append(f"line {line}: no address")
            continue
        status, reason_text, kind_text = cell(cells, "status"), cell(cells, "reason"), cell(cells, "kind")
        kind = _KIND_OF.get(fold(kind_text)) if kind_text else None
        if kind_text and kind is None:
            plan.skipped.append(f"line {line}: unknown kind {kind_text!r}")
            continue
        if kind is None and fold(reason_text) in _KIND_OF:  # SES: the reason column is BOUNCE or COMPLAINT
            kind, reason_text = _KIND_OF[fold(reason_text)], ""
        reason = reason_text[:MAX_REASON]
        # a row that states its kind (bounced's own export) keeps its reason word for word; a provider's
        # diagnostic text and status are classified like a bounce's
        if reason not in REASONS and (status or reason) and not kind_text:
            c = classify(Found(recipient=address, status=status or None, diagnostic=reason_text,
                               action="failed", reply_code=status if status.isdigit() else None), "import")
            if c.reason != "undefined":
                reason = c.reason
                kind = kind or (c.kind if c.kind in (Kind.HARD, Kind.SOFT, Kind.COMPLAINT) else None)
        kind = kind or default_kind
        if not reason:
            reason = "feedback" if kind == Kind.COMPLAINT else "imported"
        if kind == Kind.HARD and _is_temporary(status, reason_text):
            kind = Kind.SOFT
            plan.notes.append(f"line {line}: {status or reason_text[:20]} is a temporary failure: imported as soft, not hard")
        try:
            created = parse_date(cell(cells, "created"), now) if cell(cells, "created") else None
            expires = parse_date(cell(cells, "expires"), now + timedelta(days=3650)) if cell(cells, "expires") else None
        except ValueError as exc:
            plan.skipped.append(f"line {line}: {exc}")
            continue
        if kind == Kind.SOFT and expires is None:
            expires = (created or now) + soft_expiry
        source = cell(cells, "source")
        plan.rows.append((line, SuppressionRow(address, str(kind), reason, created, expires,
                                               source if source in SOURCES else "import")))
    return plan


def export_row(r: dict) -> dict[str, str]:
    """One active suppression as bounced's export columns, formula-safe."""
    values = {"email": r["address"], "kind": r["kind"], "reason": r["reason"], "created_at": r["suppressed_at"],
              "expires_at": r["expires_at"], "source": r["source"]}
    return {k: neutralize(v) for k, v in values.items()}
