"""The API's OpenAPI 3.1 document, written as data next to the handlers it describes, and a
rendered page of it at ``/api/v1/docs`` (server-side HTML, no scripts from elsewhere: the API is
on loopback and its docs must work offline). Both need no token: they describe, they hold no data."""
from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bounced import __version__
from bounced.config import CHANGE_TYPES
from bounced.reasons import REASONS

_ADDR = {"name": "address", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "Any spelling of the address: case, IDN/Unicode domain, <brackets> and spaces are normalized."}
_PROBLEM = {"description": "Problem details (RFC 9457) naming the offending input",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS = {"400": _PROBLEM, "401": _PROBLEM, "403": _PROBLEM}


def _q(name: str, desc: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"}, "description": desc}


def _op(summary: str, scope: str, ok: str, *, params: list | None = None, body: dict | None = None,
        extra: dict | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "description": f"Token scope: `{scope}` or higher.",
                          "security": [{"bearer": []}], "parameters": params or [],
                          "responses": {"200": {"description": ok}, **_ERRORS, **(extra or {})}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


_SUPPRESSION = {"type": "object", "properties": {
    "address": {"type": "string"}, "normalized": {"type": "string"}, "suppressed": {"type": "boolean"},
    "kind": {"type": "string"}, "reason": {"type": "string"}, "source": {"type": "string"},
    "since": {"type": "string", "format": "date-time"}, "expires_at": {"type": ["string", "null"]},
    "last_event": {"type": "object"}}}

_DECIDE = {"type": "object", "required": ["reason"], "properties": {
    "event_ids": {"type": "array", "items": {"type": "integer"}}, "domain": {"type": "string"},
    "reason": {"type": "string", "description": "why (required; the audit trail keeps it)"}}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "bounced API", "version": __version__,
             "description": "Check addresses against the suppression list, report activity, follow changes. "
                            "Every endpoint needs `Authorization: Bearer <token>` (`bounced token create`)."},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                        "status": {"type": "integer"}, "detail": {"type": "string"}, "instance": {"type": "string"}}},
            "Suppression": _SUPPRESSION,
            "Reason": {"type": "string", "enum": sorted(REASONS)},
            "Change": {"type": "object", "properties": {
                "id": {"type": "string", "description": "the cursor of this change"}, "at": {"type": "string"},
                "address": {"type": "string"}, "change": {"type": "string", "enum": list(CHANGE_TYPES)},
                "kind": {"type": "string"}, "reason": {"type": "string"}, "source": {"type": "string"},
                "actor": {"type": "string"}, "expires_at": {"type": ["string", "null"]}}},
        },
    },
    "paths": {
        "/suppressions/{address}": {
            "get": _op("Is this address suppressed, and why", "read", "The answer",
                       params=[_ADDR]),
            "put": _op("Suppress an address by hand (audited under the token's name)", "write", "The new state",
                       params=[_ADDR], body={"type": "object", "required": ["reason"], "properties": {
                           "reason": {"type": "string"}, "kind": {"type": "string", "enum": ["hard", "soft", "complaint"]}}}),
            "delete": _op("Lift a suppression (audited under the token's name)", "write", "Lifted",
                          params=[_ADDR, _q("reason", "Why (required here or as {\"reason\": ...} in the body)")],
                          extra={"404": _PROBLEM}),
        },
        "/suppressions/check": {"post": _op(
            "Check up to web.max_batch (10,000) addresses in one call", "read",
            "The suppressed ones with why, and the malformed ones with what is wrong",
            body={"type": "object", "required": ["addresses"],
                  "properties": {"addresses": {"type": "array", "items": {"type": "string"}}}},
            extra={"413": _PROBLEM})},
        "/suppressions": {"get": _op(
            "List suppressions in address order; next_cursor is set while more remain", "read", "One page",
            params=[_q("kind", "hard, soft or complaint"), _q("reason", "a reason of the vocabulary"),
                    _q("domain", "ASCII (IDNA) domain"), _q("since", "suppressed at or after (ISO-8601)"),
                    _q("until", "suppressed before (ISO-8601)"), _q("state", "active (default), lifted or all"),
                    _q("cursor", "next_cursor of the previous page"), _q("limit", "page size (web.page_size at most)")])},
        "/addresses/{address}": {"get": _op("An address's full history: state, events, audit trail, activity",
                                            "read", "The history", params=[_ADDR])},
        "/activity": {"post": _op(
            "Record activity (open, click, delivery, login, ...): each restarts the soft-bounce count; "
            "all or nothing", "activity", "How many were recorded",
            body={"type": "object", "properties": {"activity": {"type": "array", "items": {
                "type": "object", "required": ["address"], "properties": {
                    "address": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "type": {"type": "string"}}}}}}, extra={"413": _PROBLEM})},
        "/changes": {"get": _op(
            "The ordered feed of suppression changes after a cursor (0 = from the start)", "read",
            "Changes and the cursor to ask with next", params=[_q("after", "a cursor (next_cursor of the last call)"),
                                                             _q("limit", "most changes returned")])},
        "/messages/{id}": {"get": _op("A stored returned message and its events (personal data)", "admin",
                                      "The message", params=[{"name": "id", "in": "path", "required": True,
                                                              "schema": {"type": "integer"}}], extra={"404": _PROBLEM})},
        "/messages/{id}/raw": {"get": _op("The raw bytes of a stored returned message (message/rfc822)", "admin",
                                          "The raw message", params=[{"name": "id", "in": "path", "required": True,
                                                                      "schema": {"type": "integer"}}],
                                          extra={"404": _PROBLEM})},
        "/sent": {"post": _op(
            "Register what was sent (Message-ID and recipients) so its bounces count under trust = \"bound\" "
            "when the mailer cannot sign; kept bounce.sent_keep_days; all or nothing", "activity",
            "How many messages and recipients were registered",
            body={"type": "object", "required": ["sent"], "properties": {"sent": {"type": "array", "items": {
                "type": "object", "required": ["message_id", "recipients"], "properties": {
                    "message_id": {"type": "string"}, "recipients": {"type": "array", "items": {"type": "string"}}}}}}},
            extra={"413": _PROBLEM})},
        "/verp": {"post": _op(
            "Signed VERP return paths for recipients (and X-Bounced-Sig values when message_id is given); "
            "the secret never leaves the server", "activity", "One return path per address",
            body={"type": "object", "required": ["addresses"], "properties": {
                "addresses": {"type": "array", "items": {"type": "string"}},
                "domain": {"type": "string", "description": "a bounce domain (default: the first of bounce.domains)"},
                "message_id": {"type": "string"}}}, extra={"413": _PROBLEM})},
        "/verp/{address}": {"get": _op(
            "The signed VERP return path for one recipient", "activity", "The return path",
            params=[_ADDR, _q("domain", "a bounce domain (default: the first of bounce.domains)"),
                    _q("message_id", "also answer the X-Bounced-Sig value for this message")])},
        "/held": {"get": _op(
            "Suppressions held by the breaker or the per-message cap, newest first", "read", "Held suppressions",
            params=[_q("status", "pending (default), released, discarded or all"), _q("domain", "recipient domain"),
                    _q("limit", "most rows (web.page_size at most)")])},
        "/held/release": {"post": _op(
            "Release (apply) held suppressions: the given events or all pending of a domain; audited under the "
            "token's name", "write", "How many were released", body=_DECIDE, extra={"409": _PROBLEM})},
        "/held/discard": {"post": _op(
            "Discard held suppressions: they never apply; audited under the token's name", "write",
            "How many were discarded", body=_DECIDE, extra={"409": _PROBLEM})},
        "/events/{id}/promote": {"post": _op(
            "Promote an untrusted event so it counts after all (as `bounced promote`); audited under the "
            "token's name", "write", "Promoted; whether the address is now suppressed",
            params=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            body={"type": "object", "required": ["reason"], "properties": {
                "reason": {"type": "string", "description": "why it should count (required; the audit trail keeps it)"}}},
            extra={"404": _PROBLEM, "409": _PROBLEM})},
        "/stats": {"get": _op("Events by reason, kind, domain and day; sender-side problems apart", "read",
                              "The counts", params=[_q("since", "only events since (ISO-8601)")])},
    },
}


async def document(request: Request) -> Response:
    return JSONResponse(DOCUMENT)


async def docs(request: Request) -> Response:
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>bounced API {__version__}</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}code{background:#eee}"
           "h3{margin-bottom:.2em}</style></head><body>",
           f"<h1>bounced API v1</h1><p>{html.escape(DOCUMENT['info']['description'])}</p>",
           "<p>Machine-readable: <a href='openapi.json'>openapi.json</a>. Errors are "
           "<code>application/problem+json</code> (RFC 9457).</p>"]
    for path, ops in DOCUMENT["paths"].items():
        for method, op in ops.items():
            out.append(f"<h3><code>{method.upper()} /api/v1{html.escape(path)}</code></h3>"
                       f"<p>{html.escape(op['summary'])}. {html.escape(op['description'])}</p>")
            if op["parameters"]:
                out.append("<ul>" + "".join(f"<li><code>{html.escape(p['name'])}</code> ({p['in']}): "
                                            f"{html.escape(p.get('description', ''))}</li>" for p in op["parameters"]) + "</ul>")
    out.append("</body></html>")
    return HTMLResponse("".join(out))
