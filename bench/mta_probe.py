"""Ad hoc probe: every documented reply text the tests hold, through the four real MTAs of the matrix.

Rows: tests/test_provider_texts.py CASES (expected decision from the row) and the classify, receiver
and matrix rows test_wording_invariance gathers (expected decision from the plain synthetic DSN of the
same reply, i.e. what the parser already gives the reply when no MTA stands in between); rows whose
text does not start with a reply code are MTA-side wordings, not a remote's reply, and are skipped.

Each row is one message from bounces+p<N>@bounce.test to p<N>@remote.test (the row's own address in
the text is replaced by that one); the scripted MX answers it at RCPT or, for end-of-data wordings,
at DATA; a reply written "NNN-X.Y.Z ..." (a joined multi-line reply) is sent as a real multi-line
reply. 4xx replies run until the MTA gives up (each instance is configured to give up at once, as in
the matrix; OpenSMTPD's expiry notice drops the text). Run as root:

    .venv/bin/python -m bench.mta_probe [postfix exim opensmtpd sendmail] [--dump DIR]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from bounced.parse import parse_message
from bounced.reasons import SENDER_SIDE
from tests import mta_instances, test_provider_texts
from tests.postfix_instance import PostfixInstance, free_port
from tests.test_mta_matrix import Capture, on_the_wire
from tests.test_wording_invariance import ROWS, Row, dsn, plain

_CODE = re.compile(r"^([245]\d\d)([ -])(?:(#?[245]\.\d{1,3}\.\d{1,3}) )?")
# wordings a server gives after the message's content is seen (end of DATA), the rest at RCPT
_DATA = re.compile(r"spam|virus|malware|content|dmarc|dkim|\bspf\b|delivery error: dd|storedrv|message size|size limit"
                   r"|too (big|large)|header|line limit|not accepted -- invalid mailbox|local policy|message rejected"
                   r"|rejected as|attachment|unauthenticated email|sendas|exceeded storage allocation|disk quota|filtered"
                   r"|blocked (by|because)|message (content|refused|blocked)", re.I)
# refusals of the client, the sender or the address, which servers give before any content
_RCPT = re.compile(r"recipient address rejected|client host|connections will not be accepted|your ip|sending ip", re.I)
_BY_ID = {c[0]: c[4] for c in test_provider_texts.CASES}


def decision(reason: str, kind: str) -> str:
    if kind in ("hard", "complaint"):
        return "NOW"
    if kind == "soft" and reason not in SENDER_SIDE:
        return "COUNT"
    return "IGNORE"


@dataclass(frozen=True)
class Probe:
    tag: str
    row: Row
    text: str  # the reply as sent, the row's address replaced by the probe's
    stage: str
    expected: str  # NOW / COUNT / IGNORE
    control: str | None  # the synthetic plain DSN's decision for the probe's own address and no host

    @property
    def rcpt(self) -> str:
        return f"{self.tag}@remote.test"

    def reply(self) -> str:
        """The reply on the wire: a joined multi-line reply split again into lines of ~70 columns."""
        m = _CODE.match(self.text)
        assert m
        if m.group(2) != "-":
            return self.text
        code, enh = m.group(1), m.group(3)
        if re.search(rf" {code}[ -]", self.text):  # written joined with its repeated prefixes, as Postfix reports it
            return on_the_wire(self.text)
        words, lines, line = self.text[m.end():].split(), [], ""
        for w in words:
            if line and len(line) + 1 + len(w) > 60:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines.append(line)
        head = f"{enh} " if enh else ""
        return "\r\n".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{head}{line}" for i, line in enumerate(lines))


def probes() -> tuple[list[Probe], int]:
    out, skipped = [], 0
    for i, row in enumerate(ROWS):
        if not _CODE.match(row.text):
            skipped += 1
            continue
        tag = f"p{i:03d}"
        text = re.sub(re.escape(row.recipient), f"{tag}@remote.test", row.text, flags=re.I)
        cid = row.id.removeprefix("provider:")
        if row.id.startswith("provider:"):
            expected = _BY_ID[cid]
        else:
            got = plain(row)
            if got is None:
                skipped += 1
                continue
            expected = decision(*got)
        stage = "DATA" if _DATA.search(text) and not _RCPT.search(text) else "RCPT"
        ctrl_row = Row(row.id, f"{tag}@remote.test", "127.0.0.1", False, text, row.status)
        raw = dsn(ctrl_row, text)
        ctrl = None
        if raw is not None:
            for r in parse_message(raw).recipients:
                if r.recipient.lower() == ctrl_row.recipient:
                    ctrl = decision(r.reason, r.kind)
        out.append(Probe(tag, row, text, stage, expected, ctrl))
    return out, skipped


class MX:
    def __init__(self, by_tag: dict[str, Probe]) -> None:
        self.by_tag = by_tag

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        p = self.by_tag.get(address.partition("@")[0])
        if p is not None and p.stage == "RCPT":
            return p.reply()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            p = self.by_tag.get(address.partition("@")[0])
            if p is not None and p.stage == "DATA":
                return p.reply()
        return "250 2.0.0 OK"


@contextmanager
def remote(by_tag: dict[str, Probe]):
    mx_port, capture_port = free_port(), free_port()
    capture = Capture()
    mx = Controller(MX(by_tag), hostname="127.0.0.1", port=mx_port, enable_SMTPUTF8=True)
    sink = Controller(capture, hostname="127.0.0.1", port=capture_port, enable_SMTPUTF8=True)
    mx.start()
    sink.start()
    try:
        yield {"remote.test": mx_port, "bounce.test": capture_port}, capture
    finally:
        sink.stop()
        mx.stop()


def messages(ps: list[Probe]) -> list[tuple[str, list[str], bytes]]:
    return [(f"bounces+{p.tag}@bounce.test", [p.rcpt], mta_instances.message(p.tag, p.rcpt)) for p in ps]


def submit(port: int, ps: list[Probe]) -> None:
    """Fifty messages a session (OpenSMTPD refuses more MAIL commands in one session)."""
    import smtplib
    items = messages(ps)
    for start in range(0, len(items), 50):
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
            for sender, rcpts, data in items[start:start + 50]:
                s.ehlo("mailer.sender.test")
                s.mail(sender)
                for r in rcpts:
                    s.rcpt(r)
                s.data(data)


def wait(capture: Capture, ps: list[Probe], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    want = {p.tag for p in ps}
    while time.monotonic() < deadline and not want <= set(capture.dsns):
        time.sleep(0.5)


def run(mta: str, ps: list[Probe], seconds: float) -> dict[str, bytes]:
    by_tag = {p.tag: p for p in ps}
    with remote(by_tag) as (routes, capture):
        if mta == "postfix":
            inst = PostfixInstance(transport={d: f"smtp:[127.0.0.1]:{port}" for d, port in routes.items()},
                                   settings={"maximal_queue_lifetime": "0", "bounce_queue_lifetime": "0",
                                             "smtp_destination_concurrency_limit": "20",
                                             "default_destination_concurrency_limit": "20"}).start()
            try:
                submit(inst.port, ps)
                wait(capture, ps, seconds)
            finally:
                inst.stop()
        elif mta == "opensmtpd":
            # a 5xx is final at once; the queue ttl only bounds how long a 4xx is retried, and must
            # outlast the time OpenSMTPD takes to try several hundred queued messages
            ttl = "8s" if all(p.text.startswith("4") for p in ps) else "900s"
            inst = type("OpenSMTPD", (mta_instances.OpenSMTPD,), {"TTL": ttl})(routes).start()
            try:
                submit(inst.port, ps)
                wait(capture, ps, seconds)
            finally:
                inst.stop()
        else:
            inst = (mta_instances.Exim if mta == "exim" else mta_instances.Sendmail)(routes)
            try:
                inst.send(messages(ps))
                wait(capture, ps, seconds)
            finally:
                inst.stop()
        return dict(capture.dsns)


def judge(p: Probe, raw: bytes | None) -> tuple[bool, str]:
    if raw is None:
        return False, "no DSN"
    recs = parse_message(raw).recipients
    mine = [r for r in recs if r.recipient.lower() == p.rcpt]
    if len(mine) != 1:
        return False, f"recipients {[r.recipient for r in recs]}"
    r = mine[0]
    got = decision(r.reason, r.kind)
    return got == p.expected, f"{got} ({r.status} {r.reason} {r.kind}) want {p.expected}; diag={r.diagnostic!r}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mtas", nargs="*", default=["postfix", "exim", "opensmtpd", "sendmail"])
    ap.add_argument("--dump", help="directory to keep the DSNs in")
    ap.add_argument("--only", help="regex on the row id")
    ap.add_argument("--seconds", type=float, default=240)
    args = ap.parse_args()
    ps, skipped = probes()
    if args.only:
        ps = [p for p in ps if re.search(args.only, p.row.id)]
    print(f"{len(ps)} texts ({skipped} skipped: no reply code); stages {Counter(p.stage for p in ps)}")
    total = Counter()
    for mta in args.mtas:
        t0 = time.monotonic()
        if mta == "opensmtpd":  # 4xx replies with a short queue ttl, the rest with a long one
            dsns = {**run(mta, [p for p in ps if p.text.startswith("4")], args.seconds),
                    **run(mta, [p for p in ps if not p.text.startswith("4")], args.seconds)}
        else:
            dsns = run(mta, ps, args.seconds)
        if args.dump:
            os.makedirs(args.dump, exist_ok=True)
            for tag, raw in dsns.items():
                with open(os.path.join(args.dump, f"{mta}-{tag}.eml"), "wb") as f:
                    f.write(raw)
        fails = []
        for p in ps:
            ok, why = judge(p, dsns.get(p.tag))
            if not ok:
                four = p.text.startswith("4")
                named = "" if p.control == p.expected else f" [control {p.control}: needs names]"
                fails.append(f"  {p.tag} {p.row.id} {p.stage}{' 4xx' if four else ''}: {why}{named}\n      text={p.text!r}")
        total[mta] = len(fails)
        print(f"== {mta}: {len(fails)} failures of {len(ps)} ({len(dsns)} DSNs, {time.monotonic() - t0:.0f}s)")
        print("\n".join(fails))
        sys.stdout.flush()
    print("summary:", dict(total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
