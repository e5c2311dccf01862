"""The support page: sign in, find an address, read why mail to it stopped, lift it with a reason.

Server-rendered (Jinja2, autoescaped) and usable with JavaScript off; the Content-Security-Policy
allows no script at all. Every form carries a CSRF token checked against the session; every
permission is checked here, on the server, by role. All reads and writes go through the store.
"""
from __future__ import annotations

import hmac
import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from bounced.accounts import ROLE_NAMES, Passwords, Role, check_name, new_token, token_hash
from bounced.addresses import InvalidAddress
from bounced.config import Config, WebPagesConfig
from bounced.explain import N_, explain, facts_from_report, render
from bounced.model import Kind
from bounced.reasons import REASONS
from bounced.store import Store, StoreError
from bounced.timeutil import from_text, parse_when, utcnow
from bounced.web.pages import chart, i18n
from bounced.web.access import StoreAccess
from bounced.web.auth import SCOPES, check_scope
from bounced.web.auth import hash_token as hash_api_token
from bounced.web.auth import new_token as new_api_token
from bounced.web.pages.auth import LoginLimiter, same_token, trusted
from bounced.web.pages.search import parse_query

HERE = Path(__file__).parent
SESSION_COOKIE = "bounced_session"
LOGIN_COOKIE = "bounced_login"  # double-submit CSRF token for the sign-in form (no session yet)
LANG_COOKIE = "bounced_lang"
PAGE_SIZE = 50
MAX_FORM_BYTES = 16 * 1024  # the largest form here is a 500-character reason and a few tokens
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds the CSP and friends to every response of the pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in SECURITY_HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True, slots=True)
class Who:
    name: str
    role: Role
    csrf: str
    via: str  # session | proxy


class Pages:
    """The support page's state for one process: store connections per thread, the sign-in limiter,
    the templates and catalogs. Build with :func:`pages_app`."""

    def __init__(self, config: Config, access: StoreAccess) -> None:
        self.config, self.settings, self.access = config, config.web.pages, access
        settings = self.settings
        self.passwords = Passwords()
        self.limiter = LoginLimiter(settings.login_attempts, settings.login_window_seconds)
        self.languages = i18n.load_languages()
        self.proxy_secret = secrets.token_bytes(32)  # CSRF tokens of proxy-authenticated users
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    # ------------------------------------------------------------------ plumbing
    async def db(self, fn: Callable[[Store], Any]) -> Any:
        return await self.access.run(fn)

    def lang(self, request: Request) -> i18n.Language:
        return self.languages[i18n.choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))]

    def page(self, request: Request, who: Who | None, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = self.lang(request)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        html = self.env.get_template(template).render(
            _=lang.gettext, lang=lang.code, languages=i18n.LANGUAGES, who=who, here=here, quote=quote,
            fmt_date=lambda s: lang.date(from_text(s)) if s else "", fmt_dt=lambda s: lang.datetime(from_text(s)) if s else "",
            can=lambda role: who is not None and who.role >= ROLE_NAMES[role], **ctx)
        return HTMLResponse(html, status_code=status)

    def refused(self, request: Request, who: Who | None, msgid: str) -> HTMLResponse:
        """A 403 page saying why, in the reader's language."""
        return self.page(request, who, "error.html", 403, message=self.lang(request).gettext(msgid))

    def secure(self, request: Request) -> bool:
        proto = request.headers.get("x-forwarded-proto") if self._from_proxy(request) else None
        return request.url.scheme == "https" or proto == "https"

    def client_address(self, request: Request) -> str:
        """Who is signing in, for the throttle: behind a trusted proxy, the address it forwarded (the
        right-most X-Forwarded-For entry, the one the proxy itself added); else the TCP peer."""
        if self._from_proxy(request):
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            if forwarded:
                return forwarded
        return request.client.host if request.client else "?"

    def _from_proxy(self, request: Request) -> bool:
        return trusted(request.client.host if request.client else None, self.settings.trusted_proxies)

    async def who(self, request: Request) -> Who | None:
        """The signed-in user: a trusted proxy's header first, else the session cookie."""
        if self._from_proxy(request):
            name = request.headers.get(self.settings.proxy_user_header)
            if name:
                user = await self.db(lambda s: s.user(name))
                if user is None:
                    return None
                csrf = hmac.new(self.proxy_secret, name.encode(), hashlib.sha256).hexdigest()
                return Who(name, ROLE_NAMES[user["role"]], csrf, "proxy")
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        row = await self.db(lambda s: s.session(token_hash(token)))
        return Who(row["user"], ROLE_NAMES[row["role"]], row["csrf"], "session") if row else None

    def to_login(self, request: Request) -> Response:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": nxt}), status_code=303)

    async def require(self, request: Request, role: Role) -> Who | Response:
        who = await self.who(request)
        if who is None:
            return self.to_login(request)
        if who.role < role:
            return self.refused(request, who, N_("Your role does not allow this. Ask an administrator."))
        return who

    async def support_form(self, request: Request) -> tuple[Who, dict[str, str], Any] | Response:
        """A change by hand: the signed-in support user, their CSRF-checked form and language; or the
        refusal page (sign-in, role, CSRF) to answer with."""
        who = await self.require(request, Role.SUPPORT)
        if isinstance(who, Response):
            return who
        form = await self.form(request, who)
        if isinstance(form, Response):
            return form
        return who, form, self.lang(request)

    async def form(self, request: Request, who: Who) -> dict[str, str] | Response:
        """The posted form, once its CSRF token matched the session's; else a 403 page."""
        form = await _read_form(request)
        if form is None:
            return PlainTextResponse(f"form larger than {MAX_FORM_BYTES} bytes", 413)
        if not same_token(who.csrf, form.get("csrf")):
            return self.refused(request, who, _STALE_FORM)
        return form

    # ------------------------------------------------------------------ sign-in
    async def login(self, request: Request) -> Response:
        nxt = _safe_next(request.query_params.get("next"))
        if request.method == "GET":
            token = new_token()
            resp = self.page(request, None, "login.html", login_csrf=token, next=nxt, error=None, name="")
            resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=self.secure(request),
                            path="/login", max_age=3600)
            return resp
        form = await _read_form(request)
        if form is None:
            return PlainTextResponse(f"form larger than {MAX_FORM_BYTES} bytes", 413)
        lang = self.lang(request)
        nxt = _safe_next(form.get("next"))
        name = form.get("name", "").strip()[:64]
        if not same_token(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            return self.refused(request, None, _STALE_FORM)
        keys = (f"user:{name.lower()}", f"ip:{self.client_address(request)}")
        wait = self.limiter.blocked(*keys)
        if wait > 0:
            resp = self.page(request, None, "login.html", 429, login_csrf=form.get("csrf"), next=nxt, name=name,
                             error=lang.gettext("Too many failed sign-ins. Try again in {minutes} minutes.")
                             .format(minutes=math.ceil(wait / 60)))
            resp.headers["retry-after"] = str(math.ceil(wait))
            return resp
        user = await self.db(lambda s: s.user(name)) if name else None
        ok = await run_in_threadpool(self.passwords.verify, user["password_hash"] if user else None,
                                     form.get("password", ""))
        if not ok:
            self.limiter.failed(*keys)
            return self.page(request, None, "login.html", 401, login_csrf=form.get("csrf"), next=nxt, name=name,
                             error=lang.gettext("Wrong user name or password."))
        self.limiter.succeeded(*keys)
        return await self._start_session(request, name, nxt)

    async def _start_session(self, request: Request, name: str, nxt: str) -> Response:
        token, csrf = new_token(), new_token()
        expires = utcnow() + timedelta(hours=self.settings.session_hours)
        await self.db(lambda s: s.create_session(token_hash(token), name, csrf, "session", expires))
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=self.secure(request),
                        path="/", max_age=int(self.settings.session_hours * 3600))
        resp.delete_cookie(LOGIN_COOKIE, path="/login")
        return resp

    async def signin_link(self, request: Request) -> Response:
        """A one-time link printed by the first start: used once, it becomes a normal session."""
        token = request.query_params.get("token", "")
        row = await self.db(lambda s: s.take_signin(token_hash(token))) if token else None
        if row is None:
            return self.refused(request, None, N_("This sign-in link is not valid (used already, or expired)."))
        return await self._start_session(request, row["user"], "/")

    async def logout(self, request: Request) -> Response:
        who = await self.require(request, Role.VIEWER)
        if isinstance(who, Response):
            return who
        form = await self.form(request, who)
        if isinstance(form, Response):
            return form
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await self.db(lambda s: s.end_session(token_hash(token)))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    async def set_language(self, request: Request) -> Response:
        code = request.path_params["code"]
        resp = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        if code in i18n.LANGUAGES:
            resp.set_cookie(LANG_COOKIE, code, samesite="strict", secure=self.secure(request), path="/",
                            max_age=365 * 86400)
        return resp

    # ------------------------------------------------------------------ search and one address
    async def home(self, request: Request) -> Response:
        who = await self.require(request, Role.VIEWER)
        if isinstance(who, Response):
            return who
        q = request.query_params.get("q")
        if q is None:
            return self.page(request, who, "search.html", q="", error=None)
        lang = self.lang(request)
        try:
            query = parse_query(q, case_sensitive=await self.db(lambda s: s.case_sensitive))
        except InvalidAddress as exc:
            msg = lang.gettext("“{text}” is not an address or a domain ({why}).").format(text=q.strip(), why=exc.why)
            return self.page(request, who, "search.html", 400, q=q, error=msg)
        if query.kind == "domain":
            return RedirectResponse("/suppressions?" + urlencode({"domain": query.key, "state": "any"}), 303)
        return RedirectResponse("/address?" + urlencode({"a": query.key}), 303)

    async def address(self, request: Request) -> Response:
        who = await self.require(request, Role.VIEWER)
        if isinstance(who, Response):
            return who
        lang = self.lang(request)
        try:
            report = await self.db(lambda s: s.address_report(request.query_params.get("a", "")))
        except InvalidAddress as exc:
            return self.page(request, who, "search.html", 400, q=request.query_params.get("a", ""),
                             error=lang.gettext("“{text}” is not an address or a domain ({why}).")
                             .format(text=exc.address, why=exc.why))
        return self._address_page(request, who, report, done=request.query_params.get("done"))

    def _address_page(self, request: Request, who: Who, report: Any, status: int = 200, done: str | None = None,
                      error: str | None = None, reason_text: str = "") -> HTMLResponse:
        """The plain-words state first, then the history; the lift or suppress form by role."""
        lang, pol = self.lang(request), self.config.policy
        facts = facts_from_report(report, pol.soft_threshold, pol.soft_window_days, tuple(pol.sender_side), utcnow())
        return self.page(request, who, "address.html", status, report=report, kinds=_MANUAL_KINDS, done=done,
                         words=render(explain(facts), lang.gettext, lang.date), error=error, reason_text=reason_text)

    async def change(self, request: Request) -> Response:
        """Lift or suppress by hand: support role, CSRF token, a reason and a ticked confirmation."""
        posted = await self.support_form(request)
        if isinstance(posted, Response):
            return posted
        who, form, lang = posted
        action = request.path_params["action"]
        address, reason = form.get("address", ""), form.get("reason", "").strip()[:500]
        error = _why_not(lang, reason, form)
        if error is None:
            try:
                if action == "lift":
                    await self.db(lambda s: s.unsuppress(address, reason, by=who.name))
                else:
                    kind = form.get("kind", "hard")
                    if kind not in _MANUAL_KINDS:
                        raise ValueError(f"unknown kind {kind!r}")
                    await self.db(lambda s: s.suppress(address, reason, kind=kind, by=who.name))
                return RedirectResponse("/address?" + urlencode({"a": address, "done": action}) + "#audit", 303)
            except LookupError:
                error = lang.gettext("This address is not suppressed (any more); nothing to lift.")
            except (InvalidAddress, ValueError) as exc:
                error = str(exc)
        try:
            report = await self.db(lambda s: s.address_report(address))
        except InvalidAddress as exc:
            return self.page(request, who, "search.html", 400, q=address, error=str(exc))
        return self._address_page(request, who, report, 400, error=error, reason_text=reason)

    async def promote(self, request: Request) -> Response:
        """Let an untrusted report count after all: support role, CSRF token, a reason and a ticked confirmation."""
        posted = await self.support_form(request)
        if isinstance(posted, Response):
            return posted
        who, form, lang = posted
        address, reason, event = form.get("address", ""), form.get("reason", "").strip()[:500], form.get("event", "")
        error = _why_not(lang, reason, form)
        if error is None and not event.isdigit():
            error = lang.gettext("Choose a report that did not count.")
        if error is None:
            try:
                await self.db(lambda s: s.promote(int(event), reason, by=who.name))
                return RedirectResponse("/address?" + urlencode({"a": address, "done": "promote"}) + "#audit", 303)
            except LookupError:
                error = lang.gettext("This report counts already, or no longer exists; nothing to promote.")
        try:
            report = await self.db(lambda s: s.address_report(address))
        except InvalidAddress as exc:
            return self.page(request, who, "search.html", 400, q=address, error=str(exc))
        return self._address_page(request, who, report, 400, error=error, reason_text=reason)

    # ------------------------------------------------------------------ held suppressions (issue 15)
    async def held(self, request: Request) -> Response:
        """Suppressions held by the brake on bursts or the per-message cap, by domain, and the newest
        reports that did not count; support staff release or discard the held ones."""
        who = await self.require(request, Role.VIEWER)
        if isinstance(who, Response):
            return who
        return await self._held_page(request, who, done=request.query_params.get("done"))

    async def _held_page(self, request: Request, who: Who, status: int = 200, done: str | None = None,
                         error: str | None = None, reason_text: str = "") -> HTMLResponse:
        domain = request.query_params.get("domain", "").strip().lower() or None
        rows, untrusted = await self.db(lambda s: (s.held(status="pending", domain=domain, limit=HELD_ROWS),
                                                   s.events(untrusted=True, limit=PAGE_SIZE)))
        by_domain: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_domain.setdefault(r["domain"], []).append(r)
        return self.page(request, who, "held.html", status, by_domain=by_domain, domain=domain or "",
                         untrusted=untrusted, done=done, error=error, reason_text=reason_text,
                         truncated=len(rows) == HELD_ROWS)

    async def decide_held(self, request: Request) -> Response:
        """Release or discard held suppressions of one domain (all, or one chosen event)."""
        posted = await self.support_form(request)
        if isinstance(posted, Response):
            return posted
        who, form, lang = posted
        action = request.path_params["action"]
        domain, which, reason = form.get("domain", "").strip(), form.get("which", "all"), form.get("reason", "").strip()[:500]
        error = _why_not(lang, reason, form)
        if error is None and which != "all" and not which.isdigit():
            error = lang.gettext("Choose which held suppressions to decide on.")
        if error is None:
            ids = None if which == "all" else [int(which)]
            try:
                n = await self.db(lambda s: s.decide_held(ids, action == "release", reason, domain=domain or None,
                                                          by=who.name))
                return RedirectResponse("/held?" + urlencode({"done": f"{action}:{n}"}), 303)
            except LookupError:
                error = lang.gettext("Someone decided on these already; nothing changed.")
            except ValueError as exc:
                error = str(exc)
        return await self._held_page(request, who, 400, error=error, reason_text=reason)

    async def raw(self, request: Request) -> Response:
        who = await self.require(request, Role.ADMIN)
        if isinstance(who, Response):
            return who
        try:
            mid = int(request.path_params["mid"])
        except ValueError:
            return PlainTextResponse("not a message id", 404)
        msg = await self.db(lambda s: s.message(mid))
        if msg is None or msg["raw"] is None:
            return PlainTextResponse(f"message {mid}: not stored (or its raw bytes were pruned)", 404)
        return Response(msg["raw"], media_type="text/plain; charset=utf-8",
                        headers={"content-disposition": f'inline; filename="bounce-{mid}.eml"'})

    # ------------------------------------------------------------------ API tokens (admin)
    async def tokens(self, request: Request) -> Response:
        """List, create and revoke API tokens; a new token is shown once, in the answer to the POST."""
        who = await self.require(request, Role.ADMIN)
        if isinstance(who, Response):
            return who
        lang = self.lang(request)
        created, error, status = None, None, 200
        if request.method == "POST":
            form = await self.form(request, who)
            if isinstance(form, Response):
                return form
            name, action = form.get("name", "").strip(), request.path_params.get("action")
            try:
                if action == "create":
                    scope = form.get("scope", "")
                    check_scope(scope)
                    token = new_api_token()
                    await self.db(lambda s: s.create_token(check_name(name), scope, hash_api_token(token), by=who.name))
                    created = {"name": name, "scope": scope, "token": token}
                elif action == "revoke":
                    if form.get("confirm") != "yes":
                        raise ValueError(lang.gettext("Tick the confirmation box to go ahead."))
                    await self.db(lambda s: s.revoke_token(name, by=who.name))
                    return RedirectResponse("/tokens", 303)
                else:
                    return PlainTextResponse("not found", 404)
            except (ValueError, LookupError) as exc:
                error, status = str(exc), 400
        rows = await self.db(lambda s: s.tokens())
        return self.page(request, who, "tokens.html", status, rows=rows, created=created, error=error, scopes=SCOPES)

    # ------------------------------------------------------------------ lists and stats
    async def suppressions(self, request: Request) -> Response:
        who = await self.require(request, Role.VIEWER)
        if isinstance(who, Response):
            return who
        lang = self.lang(request)
        p = request.query_params
        f = {k: p.get(k, "").strip() for k in ("state", "kind", "reason", "domain", "since", "until")}
        f["state"] = f["state"] if f["state"] in ("active", "lifted", "any") else "active"
        try:
            page = max(int(p.get("page", "1")), 1)
        except ValueError:
            page = 1
        error = None
        args: dict[str, Any] = {"active": {"active": True, "lifted": False, "any": None}[f["state"]]}
        try:
            for k in ("since", "until"):
                args[k] = parse_when(f[k]) if f[k] else None
            if f["kind"] and f["kind"] not in {k.value for k in Kind}:
                raise ValueError(f"unknown kind {f['kind']!r}")
            if f["reason"] and f["reason"] not in REASONS:
                raise ValueError(f"unknown reason {f['reason']!r}")
        except ValueError as exc:
            error, rows = str(exc), []
        if error is None:
            rows = await self.db(lambda s: s.recent_suppressions(
                kind=f["kind"] or None, reason=f["reason"] or None, domain=f["domain"] or None,
                offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1, **args))
        more = len(rows) > PAGE_SIZE
        base = {k: v for k, v in f.items() if v}
        return self.page(request, who, "suppressions.html", 400 if error else 200, rows=rows[:PAGE_SIZE], f=f,
                         page=page, error=error, reasons=sorted(REASONS), kinds=[k.value for k in Kind],
                         prev_url="/suppressions?" + urlencode({**base, "page": page - 1}) if page > 1 else None,
                         next_url="/suppressions?" + urlencode({**base, "page": page + 1}) if more else None,
                         title=lang.gettext("Suppressions and lifts"))

    async def stats(self, request: Request) -> Response:
        who = await self.require(request, Role.VIEWER)
        if isinstance(who, Response):
            return who
        lang = self.lang(request)
        try:
            days = min(max(int(request.query_params.get("days", "30")), 1), 365)
        except ValueError:
            days = 30
        now = utcnow()
        since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        by_day, by_reason, by_domain = await self.db(lambda s: (s.stats(since=since, by="day"), s.stats(since=since, by="reason"),
                                                                s.stats(since=since, by="domain")))
        series = chart.fill_days(by_day["groups"], since.date().isoformat(), now.date().isoformat())
        labels = {"hard": lang.gettext("hard"), "soft": lang.gettext("soft"), "complaint": lang.gettext("complaint")}
        svg = chart.bar_chart(series, labels, lang.gettext("Bounces and complaints per day, last {days} days").format(days=days))
        return self.page(request, who, "stats.html", svg=svg, days=days, reasons=by_reason["groups"][:15],
                         domains=by_domain["groups"][:15], sender=by_reason["sender_side"][:30],
                         totals=by_reason["totals"][0] if by_reason["totals"] else {}, labels=labels,
                         colours=chart.COLOURS)


def _why_not(lang: i18n.Language, reason: str, form: dict[str, str]) -> str | None:
    """Every decision here needs a reason and a ticked confirmation; the error to show, or None."""
    if not reason:
        return lang.gettext("Write down why: the reason goes into the audit trail.")
    if form.get("confirm") != "yes":
        return lang.gettext("Tick the confirmation box to go ahead.")
    return None


HELD_ROWS = 1000  # pending held suppressions shown at once; `bounced held list` shows them all
_STALE_FORM = N_("This form has expired or did not come from this page. Reload the page and try again.")
_MANUAL_KINDS = (Kind.HARD.value, Kind.SOFT.value, Kind.COMPLAINT.value)
# words the templates translate from data (kinds, audit actions, roles), listed for the catalogs
_DATA_WORDS = (N_("hard"), N_("soft"), N_("complaint"), N_("auto_reply"), N_("delay"), N_("delivered"),
               N_("unknown"), N_("suppress"), N_("unsuppress"), N_("import"), N_("viewer"), N_("support"),
               N_("admin"), N_("promote"), N_("release"), N_("discard"))


async def _read_form(request: Request) -> dict[str, str] | None:
    """A small url-encoded form (no file uploads here); None when it is too large to be one of ours.
    Read with a cap: Starlette's parser would take a body of any size."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50))
    except ValueError:  # more fields than any of our forms has
        return None


def _safe_next(nxt: str | None) -> str:
    """Only a path on this site (no scheme, no //host): an open redirect would help phishing."""
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt or "\n" in nxt or "\r" in nxt:
        return "/"
    return nxt


def pages_routes(pages: Pages) -> list:
    """The routes to mount at the site's root, after the API's."""
    return [
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/signin", pages.signin_link, methods=["GET"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/lang/{code}", pages.set_language, methods=["GET"]),
        Route("/", pages.home, methods=["GET"]),
        Route("/address", pages.address, methods=["GET"]),
        Route("/address/promote", pages.promote, methods=["POST"]),
        Route("/address/{action:str}", _only(("lift", "suppress"), pages.change), methods=["POST"]),
        Route("/held", pages.held, methods=["GET"]),
        Route("/held/{action:str}", _only(("release", "discard"), pages.decide_held), methods=["POST"]),
        Route("/messages/{mid}/raw", pages.raw, methods=["GET"]),
        Route("/suppressions", pages.suppressions, methods=["GET"]),
        Route("/stats", pages.stats, methods=["GET"]),
        Route("/tokens", pages.tokens, methods=["GET"]),
        Route("/tokens/{action:str}", pages.tokens, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


def _only(actions: tuple[str, ...], endpoint: Callable) -> Callable:
    async def run(request: Request) -> Response:
        if request.path_params["action"] not in actions:
            return PlainTextResponse("not found", 404)
        return await endpoint(request)

    return run


def pages_app(config: Config, access: StoreAccess) -> ASGIApp:
    """The support page as an ASGI app with its security headers; mounted at "/" after the API."""
    async def unavailable(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"The database cannot be used right now; try again in a minute.\n({exc})\n", 503,
                                 headers={"retry-after": "30"})

    return SecurityHeaders(Starlette(routes=pages_routes(Pages(config, access)),
                                     exception_handlers={StoreError: unavailable}))


def first_start(store: Store, base_url: str, settings: WebPagesConfig) -> str | None:
    """With no user yet, create ``admin`` (no password) and return a one-time sign-in link for it."""
    if store.users():
        return None
    store.add_user("admin", "admin", None)
    token = new_token()
    store.create_session(token_hash(token), "admin", new_token(), "signin",
                         utcnow() + timedelta(minutes=settings.signin_link_minutes))
    return f"{base_url.rstrip('/')}/signin?token={token}"
