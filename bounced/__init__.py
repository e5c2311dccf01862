"""bounced: inbound bounce processing into a suppression list."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["SuppressionList", "parse_message", "__version__"]


def __getattr__(name: str):  # lazy, so `import bounced` stays cheap for the mailer
    if name == "SuppressionList":
        from bounced.reader import SuppressionList

        return SuppressionList
    if name == "parse_message":
        from bounced.parse import parse_message

        return parse_message
    raise AttributeError(name)
