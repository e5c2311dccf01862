"""A tiny authoritative DNS responder for tests (UDP on 127.0.0.1), answering from a dict.

zone: name -> {"MX": [(pref, host)], "A": [ip], "AAAA": [ip]} or one of the strings
"NXDOMAIN", "SERVFAIL", "SLOW" (never answers). Names not in the zone are NXDOMAIN.
"""
from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DnsServer:
    def __init__(self, zone: dict) -> None:
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "DnsServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            reply = self._answer(dns.message.from_wire(data))
            if reply is not None:
                self.sock.sendto(reply.to_wire(), peer)

    def _answer(self, q: dns.message.Message) -> dns.message.Message | None:
        question = q.question[0]
        name = question.name.to_text().lower().rstrip(".")
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        entry = self.zone.get(name, "NXDOMAIN")
        if entry == "SLOW":
            return None
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        if entry == "NXDOMAIN":
            r.set_rcode(dns.rcode.NXDOMAIN)
        elif entry == "SERVFAIL":
            r.set_rcode(dns.rcode.SERVFAIL)
        else:
            records = entry.get(rdtype, [])
            if records:
                texts = [f"{p} {h}" for p, h in records] if rdtype == "MX" else list(records)
                r.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", rdtype, texts))
        return r
