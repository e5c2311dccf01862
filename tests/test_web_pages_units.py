"""The support page's pure parts: the sign-in limiter, the proxy address check, the SVG chart."""
from __future__ import annotations

import pytest

from bounced.web.pages.auth import LoginLimiter, same_token, trusted
from bounced.web.pages.chart import DayCounts, bar_chart, fill_days


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_limiter_blocks_after_attempts_and_forgets_after_the_window() -> None:
    clock = Clock()
    lim = LoginLimiter(3, 60, clock)
    for _ in range(3):
        assert lim.blocked("user:a", "ip:1") == 0
        lim.failed("user:a", "ip:1")
        clock.t += 1
    assert lim.blocked("user:a") == pytest.approx(57)
    assert lim.blocked("ip:1", "user:b") > 0 and lim.blocked("user:b", "ip:2") == 0
    clock.t += 58
    assert lim.blocked("user:a", "ip:1") == 0


def test_limiter_success_clears() -> None:
    lim = LoginLimiter(2, 60, Clock())
    lim.failed("user:a")
    lim.succeeded("user:a")
    lim.failed("user:a")
    assert lim.blocked("user:a") == 0


@pytest.mark.parametrize("host, proxies, expected", [
    ("127.0.0.1", ("127.0.0.1",), True),
    ("10.0.0.7", ("10.0.0.0/24",), True),
    ("10.0.1.7", ("10.0.0.0/24",), False),
    ("::1", ("::1",), True),
    ("127.0.0.1", (), False),
    (None, ("127.0.0.1",), False),
    ("not-an-ip", ("127.0.0.1",), False),
])
def test_trusted(host, proxies, expected) -> None:
    assert trusted(host, proxies) is expected


@pytest.mark.parametrize("a, b, expected", [("x", "x", True), ("x", "y", False), ("", "", False), (None, "x", False)])
def test_same_token(a, b, expected) -> None:
    assert same_token(a, b) is expected


def test_chart_stacks_kinds_scales_to_the_peak_and_escapes_labels() -> None:
    days = fill_days([{"day": "2026-12-01", "hard": 2, "soft": 3, "complaint": 0},
                      {"day": "2026-12-03", "hard": 0, "soft": 0, "complaint": 1}], "2026-12-01", "2026-12-03")
    assert days == [DayCounts("2026-12-01", 2, 3, 0), DayCounts("2026-12-02"), DayCounts("2026-12-03", 0, 0, 1)]
    svg = bar_chart(days, {"hard": "<b>hart</b>", "soft": "weich", "complaint": "Beschwerde"}, 'Title "x"')
    assert svg.count("<rect") == 3  # two stacked on day 1, one on day 3, none on the empty day
    assert "<b>" not in svg and "&lt;b&gt;hart&lt;/b&gt;" in svg and "&quot;x&quot;" in svg
    assert ">5<" in svg  # the axis top is the peak, 5
    assert "2026-12-02: &lt;b&gt;hart&lt;/b&gt; 0, weich 0, Beschwerde 0" in svg
