"""Property tests: whatever bytes arrive, parse_message answers with a ParseResult.

Random bytes, truncated and mangled versions of real DSNs (the project's fixtures and, when
present, the shared corpus), deeply nested multiparts, 10 MB bodies and 100 kB header lines.
No timings are asserted; the examples are kept few so the file runs in well under a minute.
"""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bounced.model import ParseResult, RecipientResult
from bounced.parse import parse_message

DATA = Path(__file__).parent / "data" / "parse"
CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus" / "sisimai"


def _samples() -> list[bytes]:
    files = sorted(DATA.glob("*.eml"))
    if CORPUS.is_dir():
        files += sorted(CORPUS.glob("*.eml"))[::7]  # a spread of formats, not all 286
    return [p.read_bytes() for p in files]


SAMPLES = _samples()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(result: object) -> None:
    assert isinstance(result, ParseResult)
    assert isinstance(result.format, str) and result.format
    for r in result.recipients:
        assert isinstance(r, RecipientResult)
        assert r.recipient
    result.to_dict()  # serialisable as the CLI prints it


@SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes(raw: bytes) -> None:
    check(parse_message(raw))


@SETTINGS
@given(st.sampled_from(SAMPLES), st.floats(min_value=0.0, max_value=1.0))
def test_truncated_real_dsns(raw: bytes, frac: float) -> None:
    check(parse_message(raw[: int(len(raw) * frac)]))


@SETTINGS
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.floats(0.0, 1.0), st.binary(min_size=0, max_size=8)),
                                          min_size=1, max_size=20))
def test_mangled_real_dsns(raw: bytes, edits: list[tuple[float, bytes]]) -> None:
    buf = bytearray(raw)
    for where, junk in edits:
        i = int(len(buf) * where)
        buf[i:i + len(junk)] = junk
    check(parse_message(bytes(buf)))


@SETTINGS
@given(st.sampled_from(SAMPLES), st.sampled_from([b"\r\n", b"\r", b"\n\n", b"\n "]))
def test_line_endings_rewritten(raw: bytes, ending: bytes) -> None:
    check(parse_message(raw.replace(b"\n", ending)))


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=2000), st.sampled_from(["multipart/mixed", "multipart/report", "message/rfc822"]))
def test_deeply_nested(depth: int, ctype: str) -> None:
    head = b"From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n"
    if ctype == "message/rfc822":
        body = b"Content-Type: message/rfc822\n\n" * depth + b"Subject: x\n\nbody\n"
    else:
        body = b"".join(b"Content-Type: %s; boundary=b%d\n\n--b%d\n" % (ctype.encode(), i, i) for i in range(depth))
        body += b"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n"
    check(parse_message(head + body))


@settings(max_examples=4, deadline=None)
@given(st.sampled_from([b"a", b"550 5.1.1 <user@example.com> unknown\n", b"=?utf-8?b?", b"\r", b"--b1\n"]))
def test_ten_megabyte_body(chunk: bytes) -> None:
    head = (b"From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail Returned to Sender\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b1\n\n--b1\n\n")
    check(parse_message(head + chunk * (10_000_000 // len(chunk))))


@settings(max_examples=6, deadline=None)
@given(st.sampled_from(["Subject", "From", "To", "Content-Type", "Message-ID", "Auto-Submitted"]),
       st.sampled_from([b"x", b"=?utf-8?q?a?= ", b"a@b.example, ", b"\xff"]))
def test_hundred_kilobyte_header_line(name: str, chunk: bytes) -> None:
    value = chunk * (100_000 // len(chunk))
    raw = b"%s: %s\nFrom: MAILER-DAEMON@mx.example\nSubject: failure notice\n\nbody\n" % (name.encode(), value)
    check(parse_message(raw))


_HOSTILE_UNITS = list(" <>-@.a0\n:()[]\"',;=/_\t#*|") + ["<a", "a@", "- ", " \n", "<a@", "=\n", ">>> ", "exceeded ", "ofr"]
_HOSTILE_PARTS = ["text/plain", "text/html", "message/delivery-status", "text/rfc822-headers"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(_HOSTILE_UNITS), st.integers(min_value=1000, max_value=200_000),
       st.sampled_from(_HOSTILE_PARTS), st.sampled_from(["", "Diagnostic-Code: smtp; 550 ", "Transcript of session follows "]))
def test_hostile_runs(unit: str, size: int, ctype: str, lead: str) -> None:
    """A long run of one of the characters (or pairs) the patterns are built from, in any part of
    a bounce, still parses, to the same result twice. (The run sizes are what made quadratic
    patterns take seconds; bench/redos.py checks each pattern's growth, bench/hostile.py times.)"""
    run = (lead + unit * (size // len(unit))).encode()
    raw = (b"From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail Returned to Sender\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=b1\n\n"
           b"--b1\nContent-Type: %s\n\n%s\n--b1\nContent-Type: message/delivery-status\n\n"
           b"Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n\n--b1--\n") % (ctype.encode(), run)
    result = parse_message(raw)
    check(result)
    assert result == parse_message(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="<>a \n", max_size=60), st.one_of(st.none(), st.integers(min_value=0, max_value=8)))
def test_strip_tags_is_the_regex_it_replaces(text: str, limit: int | None) -> None:
    """fields.strip_tags (linear) gives what re.sub(<[^>]*>) (quadratic on a run of '<') gave."""
    import re

    from bounced.parse.fields import strip_tags

    pattern = r"<[^>]*>" if limit is None else r"<[^>]{0,%d}>" % limit
    assert strip_tags(text, "#", limit) == re.sub(pattern, "#", text)
