"""The brake on bursts: a pure decision whether a domain's hard bounces are out of line.

A provider answering 5.1.1 for every mailbox during an outage, or a misclassification, would
otherwise hard-suppress a whole domain's list in minutes. The store counts the domain's trusted
hard bounces in the current window and over the preceding baseline; this module says whether
the window is more than ``multiple`` times the usual rate (and above ``min_hard``, so a quiet
domain does not trip on its second bounce). While tripped, new hard suppressions for the domain
are held for an operator instead of applied.
"""
from __future__ import annotations

from dataclasses import dataclass

from bounced.config import BreakerConfig


@dataclass(frozen=True, slots=True)
class Reading:
    tripped: bool
    window_hard: int
    threshold: float  # window_hard above this trips


def read(window_hard: int, baseline_hard: int, cfg: BreakerConfig) -> Reading:
    """``window_hard`` counts this window including the new bounce; ``baseline_hard`` the baseline days before it."""
    windows = cfg.baseline_days * 24 * 60 / cfg.window_minutes
    threshold = max(float(cfg.min_hard), cfg.multiple * baseline_hard / windows)
    return Reading(cfg.enabled and window_hard > threshold, window_hard, threshold)
