"""Every corpus file parses to exactly the output in tests/data/parse-snapshot.json (issue 18).

A parser refactor must leave this passing; a deliberate output change regenerates the snapshot
(``python -m tests.snapshot`` or ``BOUNCED_UPDATE_SNAPSHOT=1``) in a commit that says which
outputs changed and why.
"""
from __future__ import annotations

import os

import pytest

from tests import snapshot


def test_every_corpus_output_matches_the_snapshot() -> None:
    if not snapshot.CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside the clone ({snapshot.CORPUS} is absent)")
    files = snapshot.sources()
    assert len(files) > 400, "corpus and tests/data/parse hold far fewer files than expected"
    new = snapshot.outputs(files)
    if os.environ.get("BOUNCED_UPDATE_SNAPSHOT"):
        snapshot.SNAPSHOT.write_text(snapshot.dump(new), encoding="utf-8")
    old = snapshot.load()
    changed = snapshot.report(old, new)
    assert not changed, (f"{len(changed)} file(s) parse differently from {snapshot.SNAPSHOT.name} "
                         "(regenerate with `python -m tests.snapshot` only for a deliberate change):\n"
                         + "\n".join(changed))


def test_report_names_the_file_and_field_that_changed() -> None:
    old = {"corpus/a.eml": {"recipients": [{"reason": "user_unknown", "status": "5.1.1"}]}, "parse/b.eml": {}}
    new = {"corpus/a.eml": {"recipients": [{"reason": "filtered", "status": "5.1.1"}]}, "parse/c.eml": {}}
    lines = snapshot.report(old, new)
    assert lines[0] == 'corpus/a.eml:\n    recipients[0].reason: "user_unknown" -> "filtered"'
    assert "parse/b.eml: in the snapshot but no longer found" in lines
    assert "parse/c.eml: new file, not in the snapshot" in lines


def test_dump_is_deterministic_and_one_line_per_file() -> None:
    results = {"parse/b.eml": {"z": 1, "a": [2]}, "corpus/a.eml": {"format": "x"}}
    text = snapshot.dump(results)
    assert text == snapshot.dump(dict(reversed(results.items())))
    assert text.splitlines()[1:3] == ['"corpus/a.eml": {"format":"x"},', '"parse/b.eml": {"a":[2],"z":1}']
