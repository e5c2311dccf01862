"""The support page's languages: the reader's choice from a cookie, else Accept-Language, else English.

English, Polish, Italian and German: the languages the platform's help pages are written in.
Catalogs are Babel/gettext files under ``locale/`` (compiled .mo files are committed beside their
.po sources and checked by a test, so an installed wheel needs no build step).
"""
from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations

LANGUAGES: dict[str, str] = {"en": "English", "pl": "Polski", "it": "Italiano", "de": "Deutsch"}
DEFAULT = "en"
# English dates as "3 December 2026" (day first, 24-hour clock): the support desk's customers are
# mostly European; the other languages use their own conventions.
DATE_LOCALES = {"en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "locale"


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags by preference (RFC 9110 12.5.4 quality values); malformed items are skipped."""
    items: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or len(tag) > 35:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q > 0:
            items.append((-q, i, tag))
    return [tag for _, _, tag in sorted(items)]


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language to answer in: a valid cookie wins, then the first supported Accept-Language tag."""
    if cookie in LANGUAGES:
        return str(cookie)
    for tag in parse_accept_language(accept_language):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
        if tag == "*":
            break
    return DEFAULT


@dataclass(frozen=True)
class Language:
    """One language's translations and date formats."""

    code: str
    translations: NullTranslations
    locale: Locale

    def gettext(self, msgid: str) -> str:
        return self.translations.gettext(msgid)

    def date(self, when: dt.datetime) -> str:
        return format_date(when.astimezone(dt.timezone.utc), format="long", locale=self.locale)

    def datetime(self, when: dt.datetime) -> str:
        return format_datetime(when, format="medium", tzinfo=dt.timezone.utc, locale=self.locale) + " UTC"


def load_languages(locale_dir: Path = LOCALE_DIR) -> dict[str, Language]:
    out = {}
    for code in LANGUAGES:
        tr: NullTranslations = (NullTranslations() if code == DEFAULT
                                else Translations.load(str(locale_dir), [code], domain="messages"))
        if code != DEFAULT and not isinstance(tr, Translations):
            raise RuntimeError(f"{locale_dir}/{code}/LC_MESSAGES/messages.mo is missing; run `make catalogs`")
        out[code] = Language(code, tr, Locale.parse(DATE_LOCALES.get(code, code)))
    return out
