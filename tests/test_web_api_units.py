"""The single lookup's answer, written out by hand for speed (``api.answer_json``), is byte for byte
what JSON encoding of the answer's dict gives (``json.dumps`` with the API's settings, and
Starlette's JSONResponse, which the other endpoints and the error path use)."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from bounced.model import ActiveSuppression
from bounced.web.api import _answer, answer_json

# every kind of character JSON escapes or passes through: quotes, backslashes, control
# characters, non-ASCII, astral-plane characters
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(st.none(), texts, st.integers(-10**6, 10**6))
found = st.one_of(st.none(), st.builds(ActiveSuppression, *[values] * len(ActiveSuppression._fields)))


@settings(max_examples=2000, deadline=None)
@given(texts, texts, found)
def test_answer_json_is_the_json_encoding_of_the_answer(address: str, key: str,
                                                        row: ActiveSuppression | None) -> None:
    expected = json.dumps(_answer(address, key, row), ensure_ascii=False, separators=(",", ":")).encode()
    assert answer_json(address, key, row) == expected
    assert answer_json(address, key, row) == JSONResponse(_answer(address, key, row)).body
    assert json.loads(answer_json(address, key, row)) == _answer(address, key, row)


def test_a_stored_answer_with_every_field_set() -> None:
    row = ActiveSuppression("hard", "user_unknown", "bounce", "2026-01-02T03:04:05.000Z", None,
                            "2026-01-02T03:04:05.000Z", "5.1.1", "550", 'said "no\\such" user\n\tÜ')
    body = answer_json("<Jane@Example.com>", "jane@example.com", row)
    assert json.loads(body)["last_event"] == {"at": "2026-01-02T03:04:05.000Z", "status": "5.1.1",
                                              "reply_code": "550", "diagnostic": 'said "no\\such" user\n\tÜ'}
    assert body == json.dumps(_answer("<Jane@Example.com>", "jane@example.com", row), ensure_ascii=False,
                              separators=(",", ":")).encode()
