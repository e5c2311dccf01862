"""bounced.mime: decoding that never raises, and bounded work on hostile input."""
from __future__ import annotations

import base64

import pytest

from bounced import mime


@pytest.mark.parametrize(("raw", "subject"), [
    pytest.param(b"Subject: plain\n\nx", "plain", id="ascii"),
    pytest.param(b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\nx", "Grüße", id="rfc2047-q"),
    pytest.param(b"Subject: =?iso-8859-1?b?" + base64.b64encode("Grüße".encode("latin-1")) + b"?=\n\nx", "Grüße", id="rfc2047-b"),
    pytest.param("Subject: Grüße\n\nx".encode(), "Grüße", id="raw-utf8"),
    pytest.param(b"Subject: =?no-such-charset?q?abc?=\n\nx", "abc", id="unknown-charset"),
    pytest.param(b"Subject: folded\n  over\n\tlines\n\nx", "folded over lines", id="folded"),
    pytest.param(b"Subject: crlf\r\n\r\nx", "crlf", id="crlf"),
    pytest.param(b"Subject: bare-cr\rFrom: a@b\r\rx", "bare-cr", id="bare-cr"),
    pytest.param(b"From MAILER-DAEMON Mon Mar 2 2026\nSubject: mbox\n\nx", "mbox", id="mbox-from-line"),
])
def test_header_decoding(raw: bytes, subject: str) -> None:
    assert mime.header(mime.load(raw), "Subject") == subject


@pytest.mark.parametrize(("headers", "body", "text"), [
    pytest.param(b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
                 base64.b64encode("Empfänger".encode()), "Empfänger", id="base64-utf8"),
    pytest.param(b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
                 b"RW1wZsOk!!bmdlcg==", "Empfänger", id="base64-with-junk"),
    pytest.param(b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
                 b"RW1wZsOkbmdlc", "Empfänge", id="base64-truncated"),
    pytest.param(b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n",
                 b"Empf=E4nger=\n unbekannt", "Empfänger unbekannt", id="qp-latin1-soft-break"),
    pytest.param(b"Content-Type: text/plain; charset=us-ascii\n", "Empfänger".encode(), "Empfänger", id="wrong-charset-utf8"),
    pytest.param(b"Content-Type: text/plain\n", "Empfänger".encode("latin-1"), "Empfänger", id="undeclared-latin1"),
    pytest.param(b"Content-Type: text/plain; charset=\"bogus\x00\"\n", b"text", "text", id="nul-in-charset"),
    pytest.param(b"Content-Type: text/plain; charset=x-unknown\n", b"text", "text", id="unknown-charset"),
    pytest.param(b"Content-Transfer-Encoding: x-weird\n", b"as is", "as is", id="unknown-encoding"),
])
def test_part_text(headers: bytes, body: bytes, text: str) -> None:
    msg = mime.load(headers + b"\n" + body)
    assert mime.part_text(msg).strip() == text


def test_delivery_status_part_rebuilt_as_text() -> None:
    raw = (b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
           b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\n"
           b"Final-Recipient: rfc822; x@y.example\nStatus: 5.1.1\n--b--\n")
    part = mime.load(raw).get_payload()[0]
    text = mime.part_text(part)
    assert "Reporting-MTA: dns; a.example" in text
    assert "Final-Recipient: rfc822; x@y.example" in text


def test_walk_is_bounded() -> None:
    raw = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(40))
    parts = list(mime.walk(mime.load(raw), max_depth=5))
    assert max(d for _p, d in parts) <= 5


def test_deep_nesting_keeps_headers() -> None:
    raw = b"Subject: deep\n" + b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(3000))
    msg = mime.load(raw)
    assert mime.header(msg, "Subject") == "deep"


def test_input_beyond_cap_is_cut() -> None:
    msg = mime.load(b"Subject: big\n\n" + b"a" * (3 * mime.MAX_BYTES))
    assert len(mime.part_text(msg)) <= mime.MAX_TEXT


@pytest.mark.parametrize(("value", "expected"), [
    ("j\\x{00FC}rgen@example.de", "jürgen@example.de"),
    ("user+2Bx@example.com", "user+x@example.com"),
    ("\\x{110000}@example.com", "\\x{110000}@example.com"),
])
def test_decode_unitext(value: str, expected: str) -> None:
    assert mime.decode_unitext(value) == expected


# ---- mimetree: the same tree as the standard parser, built faster --------------------------
import email  # noqa: E402
import email.policy  # noqa: E402
from pathlib import Path  # noqa: E402

from bounced import mimetree  # noqa: E402

_HERE = Path(__file__).parent
_CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"


_STATUS = ("message/delivery-status", "message/global-delivery-status")
_ENCODED = ("base64", "quoted-printable")


def _shape(m, depth=0):  # noqa: ANN001, ANN202 - test helper
    out = [(depth, m.get_content_type(), tuple(m._headers))]
    if m.get_content_type() in _STATUS and m.get("Content-Transfer-Encoding", "").strip().lower() in _ENCODED:
        # mimetree undoes the encoding before splitting the report into blocks (a soft line break
        # must not end a field), the standard parser splits the encoded text: compare the text
        out.append(("report", " ".join(mime.part_raw_text(m).split())))
        return out
    payload = m._payload
    if isinstance(payload, list):
        for sub in payload:
            if not sub._headers and not (sub._payload or "").strip():
                continue  # the standard parser keeps empty delivery-status blocks; nothing is lost
            out += _shape(sub, depth + 1)
    else:
        out.append(("payload", (payload or "").strip()))
    return out


def _same_as_stdlib(raw: bytes) -> None:
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if raw.startswith(b"From "):
        raw = raw[raw.find(b"\n") + 1:]
    std = email.message_from_bytes(raw, policy=email.policy.compat32)
    new = mimetree.build(raw.decode("ascii", "surrogateescape"), 32, 400)
    assert _shape(new) == _shape(std)


@pytest.mark.parametrize("path", sorted((_HERE / "data" / "parse").glob("*.eml")), ids=lambda p: p.name)
def test_mimetree_matches_stdlib_on_fixtures(path: Path) -> None:
    _same_as_stdlib(path.read_bytes())


@pytest.mark.parametrize("raw", [
    pytest.param(b"Subject: x\n\nbody", id="plain"),
    pytest.param(b"Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo\n--b--\nepi\n", id="multipart"),
    pytest.param(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nunterminated", id="no-close-delimiter"),
    pytest.param(b"Content-Type: multipart/mixed; boundary=b\n\nno delimiter at all\n", id="no-open-delimiter"),
    pytest.param(b"Content-Type: multipart/mixed\n\n--b\n\nx\n", id="no-boundary-param"),
    pytest.param(b"Content-Type: message/rfc822\n\nSubject: inner\n\nbody\n", id="message-rfc822"),
    pytest.param(b"Content-Type: message/delivery-status\n\nA: 1\n\n\nB: 2\n \nC: 3\n\n", id="status-blocks"),
    pytest.param(b" leading continuation\nSubject: x\n\nb", id="leading-continuation"),
    pytest.param(b"Subject: x\nnot a header line\nTo: y\n\nb", id="missing-separator"),
    pytest.param(b": empty name\nSubject: x\n\nb", id="empty-field-name"),
    pytest.param(b"From: a@b\n", id="headers-only"),
])
def test_mimetree_matches_stdlib_on_edge_cases(raw: bytes) -> None:
    _same_as_stdlib(raw)


def test_mimetree_matches_stdlib_on_corpus() -> None:
    if not _CORPUS.is_dir():
        pytest.skip("corpus not available")
    for path in sorted(_CORPUS.rglob("*")):
        if path.is_file() and path.suffix in (".eml", ".txt"):
            _same_as_stdlib(path.read_bytes())


def test_mimetree_bounds_depth_and_parts() -> None:
    deep = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(100))
    msg = mimetree.build(deep, 10, 1000)
    assert max(d for _p, d in mime.walk(msg, max_depth=1000, max_parts=1000)) <= 10
    many = "Content-Type: multipart/mixed; boundary=b\n\n" + "--b\n\nx\n" * 5000
    assert len(mimetree.build(many, 10, 50).get_payload()) < 50


@pytest.mark.parametrize("value", [
    'text/plain; charset="us-ascii"', "text/plain;charset=ISO-2022-JP", "multipart/report; report-type=delivery-status;\n\tboundary=\"a;b=c\"",
    'multipart/mixed; boundary="=_x"; x="unclosed;y=z', "text/plain; ; charset", "text/plain; name=<a.txt>; Q=\"\"",
    "TEXT/HTML; CHARSET = utf-8 ;", 'text/plain; a="b"c"; d=e', "text/plain; title*=us-ascii'en'x%20y",
    'text/plain; name="a\\"b"', "Text/Plain", "", ";", "a=b=c; =d",
], ids=repr)
def test_mimetree_params_match_stdlib(value: str) -> None:
    """The fast parameter reading of plain values answers what the standard Message does."""
    std, part = email.message.Message(), mimetree.Part(email.policy.compat32)
    std["Content-Type"] = value
    part._headers.append(("Content-Type", value))
    assert part._get_params_preserve(None, "content-type") == std._get_params_preserve(None, "content-type")
    assert (part.get_content_type(), part.get_content_charset(), part.get_boundary(), part.get_param("name")) == \
        (std.get_content_type(), std.get_content_charset(), std.get_boundary(), std.get_param("name"))


def test_mimetree_part_caches_follow_header_changes() -> None:
    msg = mimetree.build("Content-Type: text/html\nSubject: a\n\nx", 5, 10)
    assert (msg.get_content_type(), msg["subject"]) == ("text/html", "a")
    msg.replace_header("Subject", "b")
    del msg["Content-Type"]
    msg["Content-Type"] = "text/plain"
    assert (msg.get_content_type(), msg.get("SUBJECT")) == ("text/plain", "b")
    assert msg.get("X-Missing", "fallback") == "fallback"


@pytest.mark.parametrize("headers", [b"Content-Type: text/plain\n", b"Content-Type: text/plain; charset=us-ascii\n"])
def test_iso_2022_jp_escapes_decoded(headers: bytes) -> None:
    body = "ユーザーは見つかりません".encode("iso-2022-jp")
    assert mime.part_text(mime.load(headers + b"\n" + body)).strip() == "ユーザーは見つかりません"


def test_ascii_safe_codecs_read_ascii_unchanged() -> None:
    import codecs

    ascii_bytes = bytes(range(128))
    for name in mime._ASCII_SAFE:  # noqa: SLF001
        assert codecs.lookup(name).name == name
        assert ascii_bytes.decode(name) == ascii_bytes.decode("ascii"), name


@pytest.mark.parametrize("headers", [
    b"", b"Content-Type: text/plain; charset=us-ascii\n", b"Content-Type: text/plain; charset=\"Windows-1252\"\n",
    b"Content-Type: text/plain; charset=utf-16\n", b"Content-Type: text/plain; charset=bogus\n",
    b"Content-Type: text/plain; charset=\n", b"Content-Type: text/plain; charset=iso-2022-jp\n",
    b"Content-Type: text/plain; charset=utf-7\n", b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n", b"Content-Type: text/plain; charset=shift_jis\n",
], ids=repr)
def test_ascii_shortcut_equals_general_decoding(headers: bytes) -> None:
    for body in (b"plain text +AGE- =41 \\ ~ aGVsbG8=\n", b"esc \x1b$B here\n", b"x" * 10):
        part = mime.load(headers + b"\n" + body)
        general = mime._decode_bytes(mime.part_bytes(part), mime.charset(part))[:mime.MAX_TEXT]  # noqa: SLF001
        assert mime.part_text(part) == general
