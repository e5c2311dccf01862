"""The protocol every format module implements.

    def extract(msg: email.message.Message) -> list[Found] | None

``None`` means "not my format"; ``[]`` means "my format, but no recipient found". A module never
does I/O and may raise: the dispatcher catches, records the error and moves on.
Each module also sets ``FORMAT``: the name reported in the result's ``format`` field
(``rfc3464``, ``arf``, ``rfc3834``, ``postfix``, ``exim``, ...).
"""
from __future__ import annotations

from collections.abc import Callable
from email.message import Message

from bounced.model import Found

Extractor = Callable[[Message], "list[Found] | None"]
