"""The README's address-key functions for PHP and Node (examples/normalize.php, .mjs, included in the
README verbatim) give the key Python's ``normalize`` gives, and that key finds the row through the
``active_suppressions`` view on SQLite and on PostgreSQL, read by PHP's PDO as a mailer would.

Two tables: the spellings of tests/test_web_api.py plus the cases where a language's own functions
differ from Python's (the capital sharp s, the final sigma, which blanks are stripped), each with its
key written out; and every combination of a set of local parts, domains and wrappings, where the
three languages only have to agree."""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bounced.addresses import InvalidAddress, normalize
from bounced.reader import SuppressionList
from bounced.store import Store
from tests.storehelp import OPEN
from tests.test_web_api import NORMALIZATION

ROOT = Path(__file__).resolve().parent.parent
PHP_KEY, NODE_KEY = ROOT / "examples" / "normalize.php", ROOT / "examples" / "normalize.mjs"

# where PHP's or Node's standard functions alone would give another key than Python (see the README)
DIFFERENCES = [
    ("Straße@Faß.DE", "straße@xn--fa-hia.de"),  # IDNA 2008 keeps ß; IDNA 2003 and PHP's default (transitional) give fass.de
    ("jane@faẞ.de", "jane@xn--fa-hia.de"),  # capital sharp s: ß since Unicode 15.1; Node's and ICU 72's tables say ss
    ("jane@XN--FA-HIA.DE", "jane@xn--fa-hia.de"),  # the A-label spelling of faß.de
    ("x@a\u200db.example", None),  # a zero-width joiner between Latin letters: refused (IDNA 2003 dropped it)
    ("x@نامه\u200cای.ir", "x@xn--mgba3gch31f060k.ir"),  # a non-joiner where Persian needs one: kept (2003 dropped it)
    ("x@क्\u200dष.in", "x@xn--11b2ezcw70k.in"),  # a joiner after a virama: kept
    ("x@ὀδυσσεύς.gr", "x@xn--pxac3bcak3d8526a.gr"),  # final sigma kept in the domain (IDNA 2003 made it σ)
    ("x@ὈΔΥΣΣΕΎΣ.gr", "x@xn--pxac5babi3d8526a.gr"),  # ... but a capital Σ maps to σ, unlike lower-casing the local part
    ("ΟΔΟΣ@example.gr", "οδος@example.gr"),  # final sigma: PHP 8.2's mb_strtolower gives σ
    ("ὈΔΥΣΣΕΎΣ@example.gr", "ὀδυσσεύς@example.gr"),
    ("İstanbul@example.tr", "i̇stanbul@example.tr"),  # U+0130 lower-cases to i + U+0307 everywhere
    ("\u00a0jane@bücher.de\u3000", "jane@xn--bcher-kva.de"),  # Python strips these blanks; PHP's trim() does not
    ("\x1cjane@bücher.de\x85", "jane@xn--bcher-kva.de"),  # ... nor these, nor Node's trim()
    ("\ufeffjane@bücher.de", "\ufeffjane@xn--bcher-kva.de"),  # a byte-order mark is no blank to Python (Node's trim() drops it)
    ("rfc822; <Jane@Bücher.de>", "jane@xn--bcher-kva.de"),
    ("RFC822;jane@bücher.de", "jane@xn--bcher-kva.de"),
    ("jane@ｂüｃｈｅｒ.de", "jane@xn--bcher-kva.de"),  # full-width letters map to ASCII in the domain
    ("jane@bücher。de", "jane@xn--bcher-kva.de"),  # the ideographic full stop separates labels
    ("ｊａｎｅ@bücher.de", "ｊａｎｅ@xn--bcher-kva.de"),  # ... but not in the local part
    ("Jörg@Bücher.de", "jörg@xn--bcher-kva.de"),
    ("jane@☃.net", "jane@xn--n3h.net"),  # a symbol: not IDNA 2008, but UTS 46 (and IDNA 2003) convert it
    ("jane@☃ß.net", "jane@xn--zca921q.net"),  # ... keeping ß in the same name
    ("jane@mail_relay.faß.de", "jane@mail_relay.xn--fa-hia.de"),  # an underscore label beside an IDN
    ("jane@ab--c.bücher.de", "jane@ab--c.xn--bcher-kva.de"),  # hyphens in the 3rd and 4th place: allowed, as in Node
    ("jane@[192.0.2.1]", "jane@[192.0.2.1]"),
    ("jane@bücher..de", None),
]
TABLE = [*NORMALIZATION, *DIFFERENCES]

LOCALS = ["jane", "Jane.Doe+news", "JÖRG", "ΟΔΟΣ", "İlkay", "o'neil", "straße", "a..b", ""]
DOMAINS = ["example.com", "EXAMPLE.COM.", "Bücher.DE", "faß.de", "FAẞ.DE", "xn--fa-hia.de", "ΟΔΟΣ.gr", "οδος.gr",
           "xn--bcher-kva.de", "bücher。de", "a\u200cb.example", "نامه\u200cای.ir", "ＥＸＡＭＰＬＥ.com", "☃.net",
           "☃ß.net", "[192.0.2.1]", "", "exa mple.com"]
WRAPS = ["{}", " {} ", "<{}>", " < {} > ", "\u00a0{}\u2003", "rfc822;{}", "Utf-8; <{}>", "<<{}>>"]
COMBINATIONS = [w.format(f"{lp}@{d}") for lp, d, w in itertools.product(LOCALS, DOMAINS, WRAPS)]


def python_key(raw: str) -> str | None:
    try:
        return normalize(raw)
    except InvalidAddress:
        return None


def needs(binary: str, php_extensions: tuple[str, ...] = ()) -> str:
    found = shutil.which(binary)
    missing = [] if found is None else [e for e in php_extensions if not _php_has(found, e)]
    if found is None or missing:
        what = f"{binary} is not installed" if found is None else f"php lacks {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} (.ci/run installs it)")
        pytest.skip(what)
    return found


def _php_has(php: str, extension: str) -> bool:
    r = subprocess.run([php, "-r", f"exit(extension_loaded('{extension}') ? 0 : 1);"], capture_output=True)
    return r.returncode == 0


def node_keys(raws: list[str]) -> list[str | None]:
    node = needs("node")
    script = (f"import {{ bouncedKey }} from {json.dumps(str(NODE_KEY))}; import fs from 'node:fs';\n"
              "console.log(JSON.stringify(JSON.parse(fs.readFileSync(0, 'utf8')).map(bouncedKey)));")
    r = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(raws), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# PHP as a mailer: compute the key (or take one given), look it up in the view with PDO
_PHP_LOOKUP = """
require %s;
$in = json_decode(stream_get_contents(STDIN), true);
$db = new PDO($in['dsn'], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
if ($in['schema'] !== null) { $db->exec('SET search_path TO "' . $in['schema'] . '"'); }
$q = $db->prepare('SELECT kind FROM active_suppressions WHERE address = ?');
$out = [];
foreach ($in['addresses'] as $a) {
    $key = $in['given'] ? $a : ($a === null ? null : bounced_key($a));
    $found = null;
    if ($key !== null) { $q->execute([$key]); $found = $q->fetchColumn(); $q->closeCursor(); }
    $out[] = [$key, $found === false ? null : $found];
}
echo json_encode($out, JSON_UNESCAPED_UNICODE);
"""


def php_lookup(location: str, addresses: list, *, given: bool = False) -> list[list]:
    """[key, kind or None] for each address, from PHP: ``bounced_key`` then the view (``given``: the keys)."""
    php = needs("php", ("intl", "mbstring", "pdo_sqlite", "pdo_pgsql"))
    if location.startswith("postgresql://"):
        u = urlsplit(location)
        q = parse_qs(u.query)
        dsn = f"pgsql:host={q['host'][0]};port={q['port'][0]};dbname={u.path.lstrip('/')};user={u.username}"
        schema = q["options"][0].split("search_path=", 1)[1] if "options" in q else None
    else:
        dsn, schema = f"sqlite:{location}", None
    payload = {"dsn": dsn, "schema": schema, "addresses": addresses, "given": given}
    r = subprocess.run([php, "-r", _PHP_LOOKUP % json.dumps(str(PHP_KEY))], input=json.dumps(payload),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(r.stdout)


@pytest.fixture
def suppressed(store_location: str) -> str:
    """Every key of the table suppressed, but other@example.com, on either engine."""
    with Store.open(store_location, OPEN) as s:
        for key in {k for _, k in TABLE if k is not None} - {"other@example.com"}:
            s.suppress(key, "asked by phone")
    return store_location


def test_the_tables_keys_are_pythons() -> None:
    assert [python_key(raw) for raw, _ in TABLE] == [key for _, key in TABLE]


def test_node_gives_pythons_keys_for_the_table_and_every_combination() -> None:
    raws = [raw for raw, _ in TABLE] + COMBINATIONS
    got = node_keys(raws)
    assert [(r, k) for r, k in zip(raws, got, strict=True) if k != python_key(r)] == []
    assert sum(k is not None for k in got) > len(got) / 2  # the combinations are mostly valid addresses


def test_php_gives_pythons_keys_for_every_combination(tmp_path) -> None:
    Store.open(tmp_path / "empty.db", OPEN).close()
    got = [key for key, _ in php_lookup(str(tmp_path / "empty.db"), COMBINATIONS)]
    assert [(r, k) for r, k in zip(COMBINATIONS, got, strict=True) if k != python_key(r)] == []


def test_php_key_finds_what_the_python_reader_finds_through_the_view(suppressed: str) -> None:
    raws = [raw for raw, _ in TABLE]
    got = php_lookup(suppressed, raws)
    with SuppressionList(suppressed) as reader:
        expected = [[key, "hard" if key is not None and reader.is_suppressed(raw) else None]
                    for raw, key in TABLE]
    assert got == expected
    assert sum(kind is not None for _, kind in got) > 20  # most of the table is on the list


def test_node_key_finds_the_row_through_the_view(suppressed: str) -> None:
    keys = node_keys([raw for raw, _ in TABLE])
    found = php_lookup(suppressed, keys, given=True)
    assert [kind is not None for _, kind in found] == [k is not None and k != "other@example.com" for _, k in TABLE]


@pytest.mark.parametrize("example", [PHP_KEY, NODE_KEY], ids=["php", "node"])
def test_readme_shows_the_tested_functions_verbatim(example: Path) -> None:
    assert example.read_text() in (ROOT / "README.md").read_text()
