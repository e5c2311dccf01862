#!/usr/bin/env python3
"""Find regexes of the bounced package whose cost grows faster than the text they scan.

A backtracking engine turns ``<[^>]*>`` into O(n^2) work over n ``<`` with no ``>`` (every start
position scans to the end of the text), and nested quantifiers into O(2^n). A message is attacker
controlled, so every pattern is tried on hostile strings built from its own literals.

Patterns: every ``re.Pattern`` reachable from the package's modules (module constants, tuples,
dicts and dataclasses of rule tables, class attributes), plus those compiled at run time (a
hook on ``re._compile`` records the patterns the package's own code compiles while it parses
the given sample messages).

Inputs, per pattern: a run of each literal character of the pattern (and of ``' ', '<', '-',
'@', '.', 'a', '0', '\\n', ':'``), each run also behind each literal word of the pattern (so a
quantifier after ``Diagnostic-Code:`` is reached), and runs of two-character pairs (``"a "``,
``"<a"``, ``"a@"``...). Each is scanned with ``finditer`` (what search, findall and sub do).

The criterion is growth, not time: the scan of a string of ``BIG`` characters must cost less
than ``LIMIT`` times the scan of one of ``SMALL`` characters (the size ratio is 16: linear work
grows about 16x, quadratic 256x). Each measure is the thread's CPU time (time spent preempted does
not count), best of several runs, and a pattern is reported only when two confirmation rounds
agree, so a busy machine does not fail a linear pattern.

Usage: python -m bench.redos [--json] [--sample FILE ...]
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from re import _constants as C  # noqa: PLC2701 - the parser's opcodes: the only way to read a pattern's parts
from re import _parser  # noqa: PLC2701
from typing import Any

SMALL, BIG = 256, 4096
LONG_REPEAT = 64  # repeats bounded below this cannot make one start position cost much
LIMIT = 64  # linear: about 16x; quadratic: about 256x
REPEATS = 5
EXTRA_CHARS = " <-@.a0\n:>()[]\"'=;,/_\t"
PAIRS = ("a ", "<a", "a@", "a.", "- ", "a-", "0 ", "a:", ". ", "@.", " <", "a\n", "a=", "=\n", "--", "0.")


@dataclass(frozen=True)
class Finding:
    """A pattern whose scan grew ``ratio`` times when its input grew BIG/SMALL times."""

    where: str
    pattern: str
    family: str
    ratio: float
    seconds_big: float


# -- collecting the patterns -----------------------------------------------------------------

def package_modules(package: str = "bounced") -> list[Any]:
    pkg = importlib.import_module(package)
    mods = [pkg]
    for info in pkgutil.walk_packages(pkg.__path__, package + "."):
        if info.name.endswith(".__main__"):
            continue
        try:
            mods.append(importlib.import_module(info.name))
        except Exception:  # noqa: BLE001,S112 - an optional module that cannot import holds no live pattern
            continue
    return mods


def _reachable(obj: Any, depth: int, seen: set[int]) -> Iterator[re.Pattern]:
    if id(obj) in seen or depth > 6:
        return
    seen.add(id(obj))
    if isinstance(obj, re.Pattern):
        yield obj
    elif isinstance(obj, (str, bytes, int, float, type(None))):
        return
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _reachable(k, depth + 1, seen)
            yield from _reachable(v, depth + 1, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _reachable(v, depth + 1, seen)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _reachable(getattr(obj, f.name, None), depth + 1, seen)
    elif isinstance(obj, type):
        for v in vars(obj).values():
            yield from _reachable(v, depth + 1, seen)
    elif type(obj).__module__.startswith("bounced"):  # the package's own objects (a literal index...)
        names = list(getattr(obj, "__dict__", {})) + [n for c in type(obj).__mro__ for n in getattr(c, "__slots__", ())]
        for name in names:
            yield from _reachable(getattr(obj, name, None), depth + 1, seen)


def module_patterns(mods: Iterable[Any]) -> dict[tuple[Any, int], str]:
    """Every compiled pattern the modules hold, keyed by (pattern, flags), with where it was seen."""
    out: dict[tuple[Any, int], str] = {}
    for mod in mods:
        seen: set[int] = set()
        for name, value in vars(mod).items():
            if inspect.ismodule(value) or (callable(value) and not isinstance(value, type)):
                continue
            if isinstance(value, type) and value.__module__ != mod.__name__:
                continue
            for p in _reachable(value, 0, seen):
                out.setdefault((p.pattern, p.flags), f"{mod.__name__}.{name}")
    return out


_RE_FUNCS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}


def literal_patterns(mods: Iterable[Any]) -> dict[tuple[Any, int], str]:
    """Patterns written as literals in ``re.<func>("...")`` calls inside functions, which the
    module walk cannot see (they live in re's cache only)."""
    out: dict[tuple[Any, int], str] = {}
    for mod in mods:
        try:
            src = inspect.getsource(mod)
        except (OSError, TypeError):
            continue
        for node in ast.walk(ast.parse(src)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.func.attr in _RE_FUNCS and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            flags = _flags(node)
            try:
                p = re.compile(node.args[0].value, flags)
            except (re.error, TypeError):
                continue
            out.setdefault((p.pattern, p.flags), f"{mod.__name__}:{node.lineno} re.{node.func.attr}")
    return out


def _flags(call: ast.Call) -> int:
    exprs = [k.value for k in call.keywords if k.arg == "flags"]
    pos = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3,
           "sub": 4, "subn": 4}[call.func.attr]  # type: ignore[attr-defined]
    if len(call.args) > pos:
        exprs.append(call.args[pos])
    flags = 0
    for e in exprs:
        for n in ast.walk(e):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "re":
                flags |= int(getattr(re, n.attr, 0))
    return flags


_ANCHORED = {"match", "fullmatch"}
_SCANNING = {"search", "findall", "finditer", "sub", "subn", "split"}


def pattern_uses(mods: Iterable[Any]) -> dict[tuple[str, str], set[str]]:
    """How each named pattern is called: ``{(module, NAME): {"match", "search", ...}}``. A name
    used through another module (``_text.ADDR_RE.search``) is recorded under module ``"*"``."""
    uses: dict[tuple[str, str], set[str]] = {}
    for mod in mods:
        try:
            tree = ast.parse(inspect.getsource(mod))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr in _ANCHORED | _SCANNING):
                continue
            target = node.value
            if isinstance(target, ast.Name):
                uses.setdefault((mod.__name__, target.id), set()).add(node.attr)
            elif isinstance(target, ast.Attribute):
                uses.setdefault(("*", target.attr), set()).add(node.attr)
    return uses


def anchored_only(where: str, uses: dict[tuple[str, str], set[str]]) -> bool:
    """Is the pattern found at ``where`` only ever used with match/fullmatch (so it is tried at one
    position, and a scan over every start position is not what it costs)?"""
    if " re." in where:
        return where.rsplit(" re.", 1)[1] in _ANCHORED
    mod, _, name = where.partition(" ")[0].rpartition(".")
    methods = uses.get((mod, name), set()) | uses.get(("*", name), set())
    return bool(methods) and methods <= _ANCHORED


def runtime_patterns(samples: Iterable[bytes], package: str = "bounced") -> dict[tuple[Any, int], str]:
    """Patterns the package's own code compiles while parsing ``samples`` (built from data at run
    time, e.g. a phrase table joined into one alternation)."""
    from bounced.parse import parse_message

    out: dict[tuple[Any, int], str] = {}
    original = re._compile  # type: ignore[attr-defined]

    def recording(pattern: Any, flags: int) -> Any:
        compiled = original(pattern, flags)
        caller = sys._getframe(1)
        while caller is not None and caller.f_globals.get("__name__", "") in ("re", __name__):
            caller = caller.f_back
        name = caller.f_globals.get("__name__", "") if caller is not None else ""
        if name == package or name.startswith(package + "."):
            out.setdefault((compiled.pattern, compiled.flags), f"{name}:{caller.f_lineno} (run time)")
        return compiled

    re._compile = recording  # type: ignore[attr-defined]
    try:
        for raw in samples:
            parse_message(raw)
    finally:
        re._compile = original  # type: ignore[attr-defined]
    return out


def all_patterns(samples: Iterable[bytes] = ()) -> dict[tuple[Any, int], str]:
    mods = package_modules()
    found = literal_patterns(mods)
    found.update(module_patterns(mods))
    for key, where in runtime_patterns(samples).items():
        found.setdefault(key, where)
    return found


# -- hostile inputs ------------------------------------------------------------------------------

def _literals(parsed: Any, chars: set[str], words: list[str]) -> None:
    """Characters and literal words of a parsed pattern (recursing into groups and repeats)."""
    word: list[str] = []

    def flush() -> None:
        if len(word) > 1:
            words.append("".join(word))
        word.clear()

    for op, av in parsed:
        if op is C.LITERAL:
            chars.add(chr(av))
            word.append(chr(av))
            continue
        flush()
        if op is C.NOT_LITERAL:
            chars.add("a" if chr(av) != "a" else "b")
        elif op is C.IN:
            for iop, iav in av:
                if iop is C.LITERAL:
                    chars.add(chr(iav))
                elif iop is C.RANGE:
                    chars.update((chr(iav[0]), chr(iav[1])))
                elif iop is C.CATEGORY:
                    chars.update({C.CATEGORY_DIGIT: "0", C.CATEGORY_SPACE: " ", C.CATEGORY_WORD: "a",
                                  C.CATEGORY_NOT_DIGIT: "a", C.CATEGORY_NOT_SPACE: "a",
                                  C.CATEGORY_NOT_WORD: " "}.get(iav, ""))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            _literals(av[2], chars, words)
        elif op is C.SUBPATTERN:
            _literals(av[-1], chars, words)
        elif op in (C.ATOMIC_GROUP,):
            _literals(av, chars, words)
        elif op is C.BRANCH:
            for alt in av[1]:
                _literals(alt, chars, words)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            _literals(av[1], chars, words)
        elif op is C.GROUPREF_EXISTS:
            for alt in av[1:]:
                if alt is not None:
                    _literals(alt, chars, words)
    flush()


def _has_long_repeat(parsed: Any) -> bool:
    """Does the pattern hold a repeat that can take more than LONG_REPEAT characters? Without one
    the work per start position is bounded by the pattern's own length: linear overall."""
    for op, av in parsed:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if av[1] > LONG_REPEAT or _has_long_repeat(av[2]):
                return True
        elif op is C.SUBPATTERN and _has_long_repeat(av[-1]):
            return True
        elif op is C.ATOMIC_GROUP and _has_long_repeat(av):
            return True
        elif op is C.BRANCH and any(_has_long_repeat(alt) for alt in av[1]):
            return True
        elif op in (C.ASSERT, C.ASSERT_NOT) and _has_long_repeat(av[1]):
            return True
        elif op is C.GROUPREF_EXISTS and any(_has_long_repeat(a) for a in av[1:] if a is not None):
            return True
    return False


def may_grow(pattern: str | bytes, flags: int) -> bool:
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    try:
        return _has_long_repeat(_parser.parse(text, flags & ~re.ASCII & ~re.LOCALE))
    except Exception:  # noqa: BLE001 - unreadable by the private parser: check it anyway
        return True


def families(pattern: str | bytes, flags: int) -> list[tuple[str, str, str]]:
    """(name, prefix, unit) triples: the hostile input is ``prefix + unit * k``."""
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    chars: set[str] = set(EXTRA_CHARS)
    words: list[str] = []
    try:
        _literals(_parser.parse(text, flags & ~re.ASCII & ~re.LOCALE), chars, words)
    except Exception:  # noqa: BLE001 - a pattern the private parser reads differently: default alphabet
        pass
    chars = {c for c in chars if c and ord(c) < 256}
    if flags & re.IGNORECASE:
        chars |= {c.upper() for c in chars if c.isalpha() and ord(c.upper()) < 256}
    words = sorted(set(words), key=lambda w: (len(w), w))[:12]
    out = [(f"{c!r}*n", "", c) for c in sorted(chars)]
    out += [(f"{p!r}*n", "", p) for p in PAIRS]
    out += [(f"{w!r}+{c!r}*n", w, c) for w in words for c in sorted(chars)]
    out += [(f"{w!r}*n", "", w) for w in words]
    return out


def _subject(prefix: str, unit: str, size: int, as_bytes: bool) -> Any:
    s = prefix + unit * max(1, size // len(unit))
    return s.encode("latin-1") if as_bytes else s


def _cost(p: re.Pattern, subject: Any, repeats: int, anchored: bool) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.thread_time()  # CPU time of this thread: time spent preempted on a busy machine does not count
        if anchored:
            p.match(subject)
        else:
            for _m in p.finditer(subject):
                pass
        best = min(best, time.thread_time() - t0)
    return best


def check_pattern(p: re.Pattern, where: str, small: int = SMALL, big: int = BIG,
                  limit: float = LIMIT, anchored: bool = False) -> list[Finding]:
    """The families on which ``p`` grows more than ``limit`` times for a ``big/small`` longer input.

    One quick run per size screens; a family that grows more than half the limit is measured
    again, best of REPEATS, twice, and reported only if both rounds exceed the limit."""
    as_bytes = isinstance(p.pattern, bytes)
    out: list[Finding] = []
    for name, prefix, unit in families(p.pattern, p.flags):
        small_s, big_s = _subject(prefix, unit, small, as_bytes), _subject(prefix, unit, big, as_bytes)
        ratio, t_big = _ratio(p, small_s, big_s, 1, anchored)
        for _ in range(2):
            if ratio <= limit / 2:
                break
            again, t_big = _ratio(p, small_s, big_s, REPEATS, anchored)
            ratio = min(ratio, again) if ratio > limit else again
        if ratio > limit:
            out.append(Finding(where, str(p.pattern), name, round(ratio, 1), t_big))
    return out


def _ratio(p: re.Pattern, small: Any, big: Any, repeats: int, anchored: bool) -> tuple[float, float]:
    t_small = _cost(p, small, repeats, anchored)
    t_big = _cost(p, big, repeats, anchored)
    # below ~2 us the timer and call overhead dominate; count it as that floor
    return t_big / max(t_small, 2e-6), t_big


def check_all(samples: Iterable[bytes] = (), progress: Any = None) -> list[Finding]:
    out: list[Finding] = []
    uses = pattern_uses(package_modules())
    for (pattern, flags), where in sorted(all_patterns(samples).items(), key=lambda kv: kv[1]):
        if not may_grow(pattern, flags):
            continue
        if progress is not None:
            progress(where, pattern)
        out += check_pattern(re.compile(pattern, flags), where, anchored=anchored_only(where, uses))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="One JSON object per finding.")
    ap.add_argument("--sample", nargs="*", default=[], help="Messages to parse to record run-time patterns.")
    ap.add_argument("--verbose", action="store_true", help="Name each pattern before checking it (a hang names it).")
    args = ap.parse_args(argv)
    samples = [Path(f).read_bytes() for f in args.sample]

    def progress(where: str, pattern: Any) -> None:
        print(f"checking {where}: {pattern!r:.120}", file=sys.stderr, flush=True)

    findings = check_all(samples, progress if args.verbose else None)
    for f in findings:
        if args.json:
            print(json.dumps(dataclasses.asdict(f)))
        else:
            print(f"{f.where}: {f.pattern[:100]!r} on {f.family}: x{f.ratio} ({f.seconds_big * 1000:.1f} ms at {BIG})")
    if not args.json:
        print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
