"""The support page's catalogs: complete, with the same placeholders, compiled .mo files in step with
their .po sources, and the language choice from cookie and Accept-Language."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bounced.web.pages import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "bounced" / "web" / "pages" / "locale"
OTHERS = [c for c in i18n.LANGUAGES if c != i18n.DEFAULT]


def _ids(catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


def test_the_template_holds_every_string_in_the_sources(tmp_path: Path) -> None:
    out = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_", "-k", "N_",
                    "--no-location", "--omit-header", "-o", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    fresh = _ids(read_po(out.open("rb")))
    committed = _ids(read_po((LOCALE / "messages.pot").open("rb")))
    assert fresh == committed, "run `make catalogs`"
    assert len(fresh) > 100


@pytest.mark.parametrize("lang", OTHERS)
def test_every_string_is_translated_with_its_placeholders(lang: str) -> None:
    pot = _ids(read_po((LOCALE / "messages.pot").open("rb")))
    po = read_po((LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb"))
    assert _ids(po) >= pot
    for m in po:
        if not m.id:
            continue
        assert m.string and not m.fuzzy, m.id
        assert set(re.findall(r"\{\w+\}", m.string)) == set(re.findall(r"\{\w+\}", m.id)), (lang, m.id)


@pytest.mark.parametrize("lang", OTHERS)
def test_compiled_catalog_matches_its_source(lang: str) -> None:
    d = LOCALE / lang / "LC_MESSAGES"
    po = {m.id: m.string for m in read_po((d / "messages.po").open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo((d / "messages.mo").open("rb")) if m.id}
    assert po == mo, "run `make catalogs`"


CHOICES = [
    ("nothing", None, None, "en"),
    ("german-browser", None, "de-DE,de;q=0.9,en;q=0.8", "de"),
    ("polish-first-by-quality", None, "en;q=0.5, pl;q=0.9", "pl"),
    ("unsupported-then-italian", None, "fr-FR, it;q=0.7", "it"),
    ("cookie-wins", "pl", "de-DE", "pl"),
    ("bad-cookie-ignored", "xx", "it", "it"),
    ("malformed-header", None, ";;;q=abc,de;q=x", "en"),
    ("q-zero-refused", None, "de;q=0, it", "it"),
]


@pytest.mark.parametrize("cookie, header, expected", [c[1:] for c in CHOICES], ids=[c[0] for c in CHOICES])
def test_choose(cookie, header, expected) -> None:
    assert i18n.choose(cookie, header) == expected


def test_dates_in_the_readers_locale() -> None:
    from datetime import datetime, timezone

    langs = i18n.load_languages()
    d = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
    assert langs["de"].date(d) == "3. Dezember 2026"
    assert langs["pl"].date(d) == "3 grudnia 2026"
    assert langs["it"].date(d) == "3 dicembre 2026"
    assert langs["en"].date(d) == "3 December 2026"
