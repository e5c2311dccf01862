"""The HTTP API under ``/api/v1``: thin handlers over the store, with the CLI's rules and audit trail.

Every handler checks the token first (``auth.require``), validates its input into typed values
(errors as RFC 9457 problems naming the offending input), then makes one store call. Addresses go
through ``bounced.addresses.normalize``, the function the reader, the store and the CLI use.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timezone
from json.encoder import encode_basestring
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bounced import keyfiles, signing
from bounced.addresses import InvalidAddress
from bounced.model import ActiveSuppression, Kind
from bounced.reasons import REASONS
from bounced.store import Store, UnknownEvent
from bounced.web import openapi
from bounced.web.access import StoreAccess
from bounced.web.auth import Authenticator, require
from bounced.web.problems import Problem

MANUAL_KINDS = (Kind.HARD.value, Kind.SOFT.value, Kind.COMPLAINT.value)
_ACTIVITY_TYPE = re.compile(r"[a-z][a-z0-9_.-]{0,31}")
MAX_REASON = 500


# ------------------------------------------------------------------------------------ input
def _key(store: Store, address: str, where: str = "address") -> str:
    try:
        return store.key(address)
    except InvalidAddress as exc:
        raise Problem(400, f"{where}: {exc}", invalid_address=address) from None


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise Problem(400, f"{where}: expected an ISO-8601 time such as 2026-01-31T12:00:00Z, got {value!r}")
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Problem(400, f"{where}: not an ISO-8601 time: {value!r} (e.g. 2026-01-31T12:00:00Z)") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _opt_time(request: Request, name: str) -> datetime | None:
    v = request.query_params.get(name)
    return None if v is None else _time(v, name)


def _limit(request: Request) -> int:
    page = request.app.state.config.web.page_size
    raw = request.query_params.get("limit")
    if raw is None:
        return page
    if not raw.isdigit() or not 1 <= int(raw) <= page:
        raise Problem(400, f"limit: expected a whole number from 1 to {page}, got {raw!r}")
    return int(raw)


async def _json(request: Request) -> Any:
    """The request body as JSON, refused when over ``web.max_body_bytes`` before it is all read."""
    limit = request.app.state.config.web.max_body_bytes
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise Problem(415, f"expected Content-Type application/json, got {ctype!r}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"request body of {declared} bytes is over the limit of {limit} (web.max_body_bytes)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"request body is over the limit of {limit} bytes (web.max_body_bytes)")
        chunks.append(chunk)
    if not size:
        raise Problem(400, "the request body is empty; expected JSON")
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the request body is not valid JSON: {exc}") from None


def _batch(request: Request, items: Any, name: str) -> list[Any]:
    limit = request.app.state.config.web.max_batch
    if not isinstance(items, list):
        raise Problem(400, f"{name}: expected a JSON array, got {type(items).__name__}")
    if len(items) > limit:
        raise Problem(413, f"{name}: {len(items)} items is over the limit of {limit} per call (web.max_batch); "
                           "split the batch")
    return items


def _cursor_out(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _cursor_in(raw: str) -> str:
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(400, f"cursor: {raw!r} is not a cursor this API returned") from None


# ------------------------------------------------------------------------------------ output
def _answer(address: str, key: str, found: ActiveSuppression | None) -> dict[str, Any]:
    if found is None:
        return {"address": address, "normalized": key, "suppressed": False}
    return {"address": address, "normalized": key, "suppressed": True, "kind": found.kind,
            "reason": found.reason, "source": found.source, "since": found.suppressed_at,
            "expires_at": found.expires_at,
            "last_event": {"at": found.last_event_at, "status": found.last_status,
                           "reply_code": found.last_reply_code, "diagnostic": found.last_diagnostic}}


def answer_json(address: str, key: str, found: ActiveSuppression | None) -> bytes:
    """``json.dumps(_answer(...), ensure_ascii=False, separators=(",", ":"))``, byte for byte, written
    out directly: a fifth of the cost of building the dicts and an encoder per call, on the
    endpoint mailers call before every send. tests/test_web_api_units.py holds the two equal."""
    a, k = encode_basestring(address), encode_basestring(key)  # what json.dumps(ensure_ascii=False) writes a str with
    if found is None:
        return f'{{"address":{a},"normalized":{k},"suppressed":false}}'.encode()
    kind, reason, source, since, expires, at, status, code, diagnostic = [
        encode_basestring(v) if v.__class__ is str else "null" if v is None else json.dumps(v, ensure_ascii=False)
        for v in found]
    return (f'{{"address":{a},"normalized":{k},"suppressed":true,"kind":{kind},"reason":{reason},'
            f'"source":{source},"since":{since},"expires_at":{expires},"last_event":{{"at":{at},'
            f'"status":{status},"reply_code":{code},"diagnostic":{diagnostic}}}}}').encode()


# ------------------------------------------------------------------------------------ endpoints
async def get_suppression(request: Request) -> Response:
    require(request, "read")
    address = request.path_params["address"]
    store = request.app.state.access.here()
    key = _key(store, address)
    return JSONResponse(_answer(address, key, store.lookup_one(key)))


_LOOKUP_PREFIX = "/api/v1/suppressions/"


class FastLookup:
    """``GET /api/v1/suppressions/{address}`` answered before Starlette's middleware, routing and
    request objects, which cost more than the lookup itself (bench/http.py). Only the successful
    answer is produced here, as the response body; for anything else (another endpoint, no or bad
    token, too small a scope, a malformed address) it returns None and Starlette routes the request
    to :func:`get_suppression`, so errors have one implementation."""

    __slots__ = ("authenticate", "access")

    def __init__(self, authenticate: Authenticator, access: StoreAccess) -> None:
        self.authenticate, self.access = authenticate, access

    def __call__(self, scope: dict[str, Any]) -> bytes | None:
        path = scope["path"]
        if (scope["method"] != "GET" or not path.startswith(_LOOKUP_PREFIX)
                or len(path) == len(_LOOKUP_PREFIX)):
            return None
        for name, value in scope["headers"]:
            if name == b"authorization":
                break
        else:
            return None
        who = self.authenticate(value.decode("latin-1"))
        if who is None or not who.allows("read"):
            return None
        address = path[len(_LOOKUP_PREFIX):]
        store = self.access.here()
        try:
            key = store.key(address)
        except InvalidAddress:
            return None
        return answer_json(address, key, store.lookup_one(key))


async def check(request: Request) -> Response:
    require(request, "read")
    body = await _json(request)
    addresses = _batch(request, body.get("addresses") if isinstance(body, dict) else None, "addresses")

    def run(store: Store) -> dict[str, Any]:
        keyed, invalid = [], []
        for i, a in enumerate(addresses):
            try:
                keyed.append((a, store.key(a)))
            except InvalidAddress as exc:
                invalid.append({"index": i, "address": a, "error": exc.why})
        found = store.lookup(list(dict.fromkeys(k for _, k in keyed)))
        hits = [{"address": a, "normalized": k, "kind": f[0], "reason": f[1], "source": f[2], "since": f[3],
                 "expires_at": f[4]} for a, k in keyed if (f := found.get(k)) is not None]
        return {"checked": len(addresses), "suppressed_count": len(hits), "suppressed": hits, "invalid": invalid}

    return JSONResponse(await request.app.state.access.run(run))


_STATES = {"active": True, "lifted": False, "all": None}


async def list_suppressions(request: Request) -> Response:
    require(request, "read")
    q = request.query_params
    kind, reason, state = q.get("kind"), q.get("reason"), q.get("state", "active")
    if kind is not None and kind not in MANUAL_KINDS:
        raise Problem(400, f"kind: unknown kind {kind!r}; one of {', '.join(MANUAL_KINDS)}")
    if reason is not None and reason not in REASONS:
        raise Problem(400, f"reason: unknown reason {reason!r}; see GET /api/v1/openapi.json for the list")
    if state not in _STATES:
        raise Problem(400, f"state: expected active, lifted or all, got {state!r}")
    after = _cursor_in(q["cursor"]) if "cursor" in q else None
    limit = _limit(request)
    rows = await request.app.state.access.run(lambda s: s.suppression_page(
        kind=kind, reason=reason, domain=q.get("domain"), since=_opt_time(request, "since"),
        until=_opt_time(request, "until"), active=_STATES[state], after=after, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        r["active"] = bool(r["active"])
    return JSONResponse({"items": rows, "next_cursor": _cursor_out(rows[-1]["address"]) if more else None})


async def put_suppression(request: Request) -> Response:
    who = require(request, "write")
    address = request.path_params["address"]
    body = await _json(request)
    if not isinstance(body, dict):
        raise Problem(400, "expected a JSON object like {\"reason\": \"...\", \"kind\": \"hard\"}")
    reason, kind = body.get("reason"), body.get("kind", "hard")
    if not isinstance(reason, str) or not reason.strip():
        raise Problem(400, "reason: required, a non-empty string saying why (it goes into the audit trail)")
    if len(reason) > MAX_REASON:
        raise Problem(400, f"reason: longer than {MAX_REASON} characters")
    if kind not in MANUAL_KINDS:
        raise Problem(400, f"kind: unknown kind {kind!r}; one of {', '.join(MANUAL_KINDS)}")
    key = _key(request.app.state.access.here(), address)
    found = await request.app.state.access.run(
        lambda s: (s.suppress(key, reason.strip(), kind=kind, by=who.name), s.lookup_one(key))[1])
    return JSONResponse(_answer(address, key, found))


async def delete_suppression(request: Request) -> Response:
    who = require(request, "write")
    address = request.path_params["address"]
    reason = request.query_params.get("reason")
    if reason is None and request.headers.get("content-length", "0") != "0":
        body = await _json(request)
        reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise Problem(400, "reason: required to lift a suppression (?reason=... or {\"reason\": \"...\"})")
    if len(reason) > MAX_REASON:
        raise Problem(400, f"reason: longer than {MAX_REASON} characters")
    key = _key(request.app.state.access.here(), address)
    try:
        await request.app.state.access.run(lambda s: s.unsuppress(key, reason.strip(), by=who.name))
    except LookupError:
        raise Problem(404, f"{key} is not suppressed; nothing to lift") from None
    return JSONResponse({"address": address, "normalized": key, "suppressed": False, "lifted_by": who.name,
                         "reason": reason.strip()})


async def get_address(request: Request) -> Response:
    require(request, "read")
    address = request.path_params["address"]
    key = _key(request.app.state.access.here(), address)
    rep = await request.app.state.access.run(lambda s: s.address_report(key))
    audit = [{**a, "detail": json.loads(a["detail"]) if a.get("detail") else None} for a in rep.audit]
    state = dict(rep.state) if rep.state else None
    if state:
        state["active"] = bool(state["active"])
    return JSONResponse({"address": address, "normalized": rep.address, "suppressed": rep.active_now, "state": state,
                         "events": rep.events, "audit": audit, "activity": rep.activity})


async def post_activity(request: Request) -> Response:
    who = require(request, "activity")
    body = await _json(request)
    items = _batch(request, body.get("activity") if isinstance(body, dict) else body, "activity")
    store = request.app.state.access.here()
    parsed: list[tuple[str, datetime, str]] = []
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise Problem(400, f"activity[{i}]: expected an object {{address, at, type}}, got {it!r}")
        key = _key(store, it.get("address"), f"activity[{i}].address")  # type: ignore[arg-type]
        at = _time(it["at"], f"activity[{i}].at") if "at" in it else datetime.now(timezone.utc)
        typ = it.get("type", "activity")
        if not isinstance(typ, str) or not _ACTIVITY_TYPE.fullmatch(typ):
            raise Problem(400, f"activity[{i}].type: expected a lower-case word such as open, click, delivery "
                               f"or login (up to 32 characters), got {typ!r}")
        parsed.append((key, at, typ))
    n = await request.app.state.access.run(lambda s: s.record_activities(parsed, source=f"api:{who.name}"))
    return JSONResponse({"recorded": n})


async def get_changes(request: Request) -> Response:
    require(request, "read")
    raw = request.query_params.get("after", "0")
    if not raw.isdigit():
        raise Problem(400, f"after: expected a cursor from a previous answer (a whole number), got {raw!r}")
    limit = _limit(request)
    rows = await request.app.state.access.run(lambda s: s.changes_after(int(raw), limit))
    for r in rows:
        r["id"] = str(r["id"])
    return JSONResponse({"changes": rows, "next_cursor": rows[-1]["id"] if rows else raw,
                         "more": len(rows) == limit})


def _message_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise Problem(400, f"id: expected a message number, got {raw!r}")
    return int(raw)


async def _stored_message(request: Request) -> tuple[int, dict[str, Any]]:
    """The admin-only stored message the path names, or a 400/404 problem."""
    require(request, "admin")
    mid = _message_id(request)
    row = await request.app.state.access.run(lambda s: s.message(mid))
    if row is None:
        raise Problem(404, f"no message {mid}")
    return mid, row


async def get_message(request: Request) -> Response:
    _, row = await _stored_message(request)
    raw = row.pop("raw")
    row["rcpt_tos"] = json.loads(row["rcpt_tos"] or "[]")
    row["raw_available"] = raw is not None
    return JSONResponse(row)


async def get_message_raw(request: Request) -> Response:
    mid, row = await _stored_message(request)
    if row["raw"] is None:
        raise Problem(404, f"message {mid}: its raw bytes were pruned at {row['raw_pruned_at']}")
    return Response(row["raw"], media_type="message/rfc822")


async def get_stats(request: Request) -> Response:
    require(request, "read")
    since = _opt_time(request, "since")

    def run(store: Store) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for by in ("reason", "kind", "domain", "day"):
            st = store.stats(since=since, by=by)
            out[f"by_{by}"] = st["groups"]
        out["sender_side"], out["totals"] = st["sender_side"], st["totals"][0]
        return out

    return JSONResponse(await request.app.state.access.run(run))


# ------------------------------------------------------------------------------------ trust (issue 15)
_MESSAGE_ID = re.compile(r"<?[^\s<>]{1,900}>?")


def _reason(body: Any) -> str:
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise Problem(400, "reason: required, a non-empty string saying why (it goes into the audit trail)")
    if len(reason) > MAX_REASON:
        raise Problem(400, f"reason: longer than {MAX_REASON} characters")
    return reason.strip()


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Problem(400, f"{where}: expected an address as a string, got {value!r}")
    return value


def _message_id_in(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _MESSAGE_ID.fullmatch(value.strip()) or not value.strip("<> \t"):
        raise Problem(400, f"{where}: expected a Message-ID such as <123@mailer.example.org>, got {value!r}")
    return value.strip()


async def post_sent(request: Request) -> Response:
    """Register what the mailer sent (Message-ID and recipients), for ``trust = "bound"`` without signing.
    All or nothing: every item is checked before anything is stored."""
    require(request, "activity")
    body = await _json(request)
    items = _batch(request, body.get("sent") if isinstance(body, dict) and "sent" in body else
                   [body] if isinstance(body, dict) else body, "sent")
    store = request.app.state.access.here()
    parsed: list[tuple[str, list[str]]] = []
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise Problem(400, f"sent[{i}]: expected an object {{message_id, recipients}}, got {it!r}")
        mid = _message_id_in(it.get("message_id"), f"sent[{i}].message_id")
        rcpts = _batch(request, it.get("recipients"), f"sent[{i}].recipients")
        if not rcpts:
            raise Problem(400, f"sent[{i}].recipients: at least one recipient is needed")
        parsed.append((mid, [_key(store, _text(r, f"sent[{i}].recipients[{j}]"), f"sent[{i}].recipients[{j}]")
                             for j, r in enumerate(rcpts)]))

    def run(s: Store) -> int:
        return sum(s.register_sent(mid, keys) for mid, keys in parsed)

    try:
        n = await request.app.state.access.run(run)
    except ValueError as exc:
        raise Problem(400, str(exc)) from None
    return JSONResponse({"messages": len(parsed), "recipients": n,
                         "kept_days": request.app.state.config.bounce.sent_keep_days})


def _keyring(request: Request) -> signing.Keyring:
    try:
        return keyfiles.load(request.app.state.config, request.app.state.access.here().path)
    except keyfiles.KeyFileError as exc:
        raise Problem(500, f"the VERP secret cannot be used: {exc}") from None


def _sign(request: Request, address: str, domain: str, message_id: str | None, where: str,
          keyring: signing.Keyring) -> dict[str, Any]:
    b = request.app.state.config.bounce
    key = _key(request.app.state.access.here(), address, where)
    try:
        out: dict[str, Any] = {"address": address, "normalized": key,
                               "return_path": signing.encode(key, keyring, local_part=b.local_parts[0], domain=domain,
                                                             delimiter=b.verp_delimiter)}
    except signing.SigningError as exc:
        raise Problem(400, f"{where}: {exc}", invalid_address=address) from None
    if message_id is not None:
        out["message_id"] = message_id
        out[signing.SIG_HEADER] = signing.header_sig(keyring.keys[0], message_id, key,
                                                     signing.day_number(datetime.now(timezone.utc)))
    return out


def _bounce_domain(request: Request, value: Any) -> str:
    domains = request.app.state.config.bounce.domains
    if value is None:
        return domains[0] if domains else "localhost"
    if not isinstance(value, str) or (domains and value.lower() not in domains):
        raise Problem(400, f"domain: {value!r} is not one of the bounce domains ({', '.join(domains)})")
    return value.lower()


async def get_verp(request: Request) -> Response:
    """The signed return path for one recipient; the secret stays on the server."""
    require(request, "activity")
    q = request.query_params
    mid = _message_id_in(q["message_id"], "message_id") if "message_id" in q else None
    return JSONResponse(_sign(request, request.path_params["address"], _bounce_domain(request, q.get("domain")), mid,
                              "address", _keyring(request)))


async def post_verp(request: Request) -> Response:
    """Signed return paths for a batch of recipients (and X-Bounced-Sig values with a message_id)."""
    require(request, "activity")
    body = await _json(request)
    if not isinstance(body, dict):
        raise Problem(400, "expected a JSON object like {\"addresses\": [\"jane@example.com\"]}")
    addresses = _batch(request, body.get("addresses"), "addresses")
    domain = _bounce_domain(request, body.get("domain"))
    mid = _message_id_in(body["message_id"], "message_id") if body.get("message_id") is not None else None
    keyring = _keyring(request)
    out = [_sign(request, _text(a, f"addresses[{i}]"), domain, mid, f"addresses[{i}]", keyring)
           for i, a in enumerate(addresses)]
    return JSONResponse({"return_paths": out})


_HELD_STATUS = {"pending": "pending", "released": "released", "discarded": "discarded", "all": None}


async def get_held(request: Request) -> Response:
    require(request, "read")
    q = request.query_params
    status = q.get("status", "pending")
    if status not in _HELD_STATUS:
        raise Problem(400, f"status: expected one of {', '.join(_HELD_STATUS)}, got {status!r}")
    limit = _limit(request)
    rows = await request.app.state.access.run(lambda s: s.held(status=_HELD_STATUS[status], domain=q.get("domain"),
                                                               limit=limit))
    return JSONResponse({"items": rows})


async def _decide(request: Request, release: bool) -> Response:
    who = require(request, "write")
    body = await _json(request)
    reason = _reason(body)
    ids, domain = body.get("event_ids"), body.get("domain")
    if (ids is None) == (domain is None):
        raise Problem(400, "give either event_ids (a list of held event numbers) or domain, not both")
    if ids is not None:
        ids = _batch(request, ids, "event_ids")
        bad = [i for i in ids if not isinstance(i, int) or isinstance(i, bool) or i < 1]
        if bad or not ids:
            raise Problem(400, f"event_ids: expected a non-empty list of event numbers, got {bad or ids!r}")
    elif not isinstance(domain, str) or not domain.strip():
        raise Problem(400, f"domain: expected a recipient domain, got {domain!r}")
    try:
        n = await request.app.state.access.run(
            lambda s: s.decide_held(ids, release, reason, domain=domain, by=who.name))
    except LookupError as exc:
        raise Problem(409, str(exc)) from None
    except ValueError as exc:
        raise Problem(400, str(exc)) from None
    return JSONResponse({"released" if release else "discarded": n, "by": who.name, "reason": reason})


async def release_held(request: Request) -> Response:
    return await _decide(request, True)


async def discard_held(request: Request) -> Response:
    return await _decide(request, False)


async def promote_event(request: Request) -> Response:
    """Let an untrusted event count after all, as ``bounced promote`` does, audited under the token's name."""
    who = require(request, "write")
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise Problem(400, f"id: expected an event number, got {raw!r}")
    event_id = int(raw)
    reason = _reason(await _json(request))
    try:
        state = await request.app.state.access.run(lambda s: s.promote(event_id, reason, by=who.name))
    except UnknownEvent as exc:
        raise Problem(404, str(exc)) from None
    except LookupError as exc:
        raise Problem(409, str(exc)) from None
    except ValueError as exc:
        raise Problem(400, str(exc)) from None
    return JSONResponse({"event_id": event_id, "promoted_by": who.name, "reason": reason,
                         "suppressed": state is not None and state.active})


def routes() -> list[BaseRoute]:
    return [
        Route("/openapi.json", openapi.document, methods=["GET"]),
        Route("/docs", openapi.docs, methods=["GET"]),
        Route("/suppressions/check", check, methods=["POST"]),
        Route("/suppressions", list_suppressions, methods=["GET"]),
        Route("/suppressions/{address:path}", get_suppression, methods=["GET"]),
        Route("/suppressions/{address:path}", put_suppression, methods=["PUT"]),
        Route("/suppressions/{address:path}", delete_suppression, methods=["DELETE"]),
        Route("/addresses/{address:path}", get_address, methods=["GET"]),
        Route("/activity", post_activity, methods=["POST"]),
        Route("/changes", get_changes, methods=["GET"]),
        Route("/messages/{id}", get_message, methods=["GET"]),
        Route("/messages/{id}/raw", get_message_raw, methods=["GET"]),
        Route("/stats", get_stats, methods=["GET"]),
        Route("/sent", post_sent, methods=["POST"]),
        Route("/verp", post_verp, methods=["POST"]),
        Route("/verp/{address:path}", get_verp, methods=["GET"]),
        Route("/held", get_held, methods=["GET"]),
        Route("/held/release", release_held, methods=["POST"]),
        Route("/held/discard", discard_held, methods=["POST"]),
        Route("/events/{id}/promote", promote_event, methods=["POST"]),
    ]
