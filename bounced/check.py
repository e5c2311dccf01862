"""Checks for an address list before it is imported: the problems that would bounce or hurt.

The verdict for one address is a pure function (:func:`verdict`) of the address, what DNS said
about its domain, whether it was seen before and whether it is suppressed; DNS lookups happen in
:func:`lookup_domains` (asyncio, bounded concurrency, each domain once per run).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from bounced.addresses import InvalidAddress, domain_of, validate
from bounced.typos import suggest


class Problem(StrEnum):
    """Statuses, most severe first: a row shows the most severe; ``detail`` lists them all."""

    INVALID = "invalid"
    NULL_MX = "null_mx"
    NO_MAIL_DOMAIN = "no_mail_domain"
    SUPPRESSED = "suppressed"
    TYPO = "typo"
    DUPLICATE = "duplicate"
    ROLE = "role"
    DNS_UNKNOWN = "dns_unknown"
    OK = "ok"


SEVERITY = list(Problem)


class DnsAnswer(StrEnum):
    MAIL = "mail"  # MX, or A/AAAA as the implicit MX (RFC 5321 5.1)
    NULL_MX = "null_mx"  # RFC 7505: "MX 0 ." - the domain accepts no mail
    NONE = "none"  # NXDOMAIN, or no MX/A/AAAA
    UNKNOWN = "unknown"  # SERVFAIL, timeout: says nothing about the address


# local parts that reach a function or a group, not a person (RFC 2142 and common practice)
ROLE_LOCAL_PARTS: frozenset[str] = frozenset({
    "abuse", "admin", "administrator", "billing", "contact", "postmaster", "hostmaster", "webmaster",
    "info", "help", "helpdesk", "support", "sales", "marketing", "noc", "security", "root", "office",
    "noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "team", "hello", "jobs", "careers",
    "press", "privacy", "legal", "list", "newsletter",
})


@dataclass(frozen=True, slots=True)
class Parsed:
    original: str
    key: str | None  # normalized address, None when invalid
    domain: str | None  # ASCII domain
    error: str | None


def parse(address: str) -> Parsed:
    """Syntax and normalization for duplicate detection: the same validator as ``bounced suppress``
    and ``import-suppressions`` (:func:`bounced.addresses.validate`), so they never disagree."""
    a = address.strip()
    if "@" not in a:
        return Parsed(address, None, None, "missing '@'")
    try:
        key = validate(a)
    except InvalidAddress as exc:
        return Parsed(address, None, None, exc.why)
    return Parsed(address, key, domain_of(key), None)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Problem
    problems: tuple[Problem, ...]
    detail: str
    suggestion: str | None


def verdict(p: Parsed, dns_answer: DnsAnswer | None, *, duplicate: bool, suppressed: str | None) -> Verdict:
    """Everything wrong with one address; ``dns_answer`` None means DNS was not consulted."""
    if p.key is None:
        return Verdict(Problem.INVALID, (Problem.INVALID,), p.error or "invalid", None)
    found: list[tuple[Problem, str]] = []
    if dns_answer == DnsAnswer.NULL_MX:
        found.append((Problem.NULL_MX, f"{p.domain} publishes a null MX: it accepts no mail"))
    elif dns_answer == DnsAnswer.NONE:
        found.append((Problem.NO_MAIL_DOMAIN, f"{p.domain} has no MX, A or AAAA record"))
    elif dns_answer == DnsAnswer.UNKNOWN:
        found.append((Problem.DNS_UNKNOWN, f"DNS for {p.domain} did not answer (timeout or server failure)"))
    if suppressed:
        found.append((Problem.SUPPRESSED, f"suppressed: {suppressed}"))
    typo = suggest(p.domain or "")
    if typo:
        found.append((Problem.TYPO, f"{p.domain} looks like a typo of {typo}"))
    if duplicate:
        found.append((Problem.DUPLICATE, "appears earlier in the list"))
    local = p.key.rpartition("@")[0]
    if local in ROLE_LOCAL_PARTS:
        found.append((Problem.ROLE, f"{local}@ is a role address, not a person"))
    if not found:
        return Verdict(Problem.OK, (), "", None)
    found.sort(key=lambda f: SEVERITY.index(f[0]))
    suggestion = f"{local}@{typo}" if typo else None
    return Verdict(found[0][0], tuple(f[0] for f in found), "; ".join(f[1] for f in found), suggestion)


def make_resolver(nameservers: Iterable[str], port: int, timeout: float) -> dns.asyncresolver.Resolver:
    ns = list(nameservers)
    r = dns.asyncresolver.Resolver(configure=not ns)
    if ns:
        r.nameservers = ns
    r.port = port
    r.timeout = timeout
    r.lifetime = timeout
    return r


async def _query(resolver: dns.asyncresolver.Resolver, domain: str, rdtype: str) -> list | None:
    """Records of one type; [] for no data; None for NXDOMAIN. Other failures raise."""
    try:
        answer = await resolver.resolve(domain, rdtype, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return None
    return list(answer.rrset) if answer.rrset is not None else []


async def lookup_domain(resolver: dns.asyncresolver.Resolver, domain: str) -> DnsAnswer:
    try:
        mx = await _query(resolver, domain, "MX")
        if mx is None:
            return DnsAnswer.NONE
        if mx:
            if len(mx) == 1 and mx[0].preference == 0 and str(mx[0].exchange) == ".":
                return DnsAnswer.NULL_MX
            return DnsAnswer.MAIL
        for rdtype in ("A", "AAAA"):  # no MX: the domain itself is the implicit MX
            if await _query(resolver, domain, rdtype):
                return DnsAnswer.MAIL
        return DnsAnswer.NONE
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.YXDOMAIN, dns.exception.DNSException,
            OSError):
        return DnsAnswer.UNKNOWN


async def lookup_domains(domains: Iterable[str], resolver: dns.asyncresolver.Resolver, concurrency: int,
                         progress: Callable[[int], None] | None = None) -> dict[str, DnsAnswer]:
    """Each distinct domain once, at most ``concurrency`` queries in flight; ``progress(1)`` per answer."""
    sem = asyncio.Semaphore(concurrency)
    unique = sorted(set(domains))

    async def one(d: str) -> DnsAnswer:
        async with sem:
            answer = await lookup_domain(resolver, d)
        if progress:
            progress(1)
        return answer

    answers = await asyncio.gather(*(one(d) for d in unique))
    return dict(zip(unique, answers))
