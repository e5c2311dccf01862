"""Alerts as webhook events (issue 15): a breaker trip and an operator's decision on what it held
reach a real local HTTP receiver through a real ``bounced web`` process, fed by a real daemon over
SMTP; a receiver left with the default events gets the suppression changes only."""
from __future__ import annotations

import signal
from pathlib import Path

from bounced.config import ALERT_TYPES, CHANGE_TYPES, WEBHOOK_EVENTS, ConfigError, from_dict
from tests.daemon_helpers import config_dict, write_toml
from tests.test_trust import active, cli, json_lines, report, send, signed
from tests.test_web_webhooks import SECRET, Receiver, WebProcess, free_port, wait_for


def test_a_trip_and_the_decisions_on_what_it_held_are_webhook_events(start_daemon, db_path, tmp_path):
    alerts_rx, changes_rx = Receiver(free_port()).start(), Receiver(free_port()).start()
    sections = {"breaker": {"min_hard": 5, "multiple": 10.0},
                "web": {"webhook_backoff_initial": 0.1, "webhook_backoff_max": 0.3, "webhooks": [
                    {"url": alerts_rx.url, "secret": SECRET, "events": list(WEBHOOK_EVENTS)},
                    {"url": changes_rx.url, "secret": SECRET}]}}
    d = start_daemon(**sections)
    conf = write_toml(tmp_path / "b.toml", config_dict(db_path, **sections))
    web = WebProcess(conf, db_path).start()
    try:
        for domain in ("burst.example", "other.example"):
            for i in range(12):
                rcpt = f"user{i}@{domain}"
                send(d.port(), signed(db_path, rcpt), report([rcpt], f"{domain}{i}"))
        assert len(json_lines(cli(db_path, "held", "list", "--json").stdout)) == 14
        cli(db_path, "held", "release", "--domain", "burst.example", "--reason", "checked: real unknown users",
            config=conf)
        cli(db_path, "held", "discard", "--domain", "other.example", "--reason", "provider outage", config=conf)
        alerts = lambda: [e for e in alerts_rx.got if e["type"] in ALERT_TYPES]  # noqa: E731
        wait_for(lambda: len(alerts()) >= 4, what="two trips and two decisions")
        wait_for(lambda: len([e for e in alerts_rx.got if e["type"] == "suppressed"]) >= 5 + 7 + 5, what="changes")
        wait_for(lambda: len(changes_rx.got) >= 5 + 7 + 5, what="the changes at the default receiver")
    finally:
        web.kill(signal.SIGTERM)
        alerts_rx.stop()
        changes_rx.stop()
    trips = [e for e in alerts() if e["type"] == "breaker.tripped"]
    assert [t["domain"] for t in trips] == ["burst.example", "other.example"]  # one per trip, not per held row
    for t in trips:
        # the 6th hard bounce within the hour is over min_hard = 5 and trips; it is the first held
        assert (t["window_hard"], t["threshold"], t["baseline_hard"], t["window_minutes"], t["held"]) == (6, 5.0, 0, 60, 1)
        assert t["event_id"] == t["id"] and t["id"].startswith("alert-") and t["occurred_at"]
    released, discarded = [e for e in alerts() if e["type"].startswith("held.")]
    assert (released["type"], released["held"], released["domains"]) == ("held.released", 7, ["burst.example"])
    assert (discarded["type"], discarded["held"], discarded["domains"]) == ("held.discarded", 7, ["other.example"])
    assert released["reason"] == "checked: real unknown users" and len(released["event_ids"]) == 7
    assert active(db_path) == {f"user{i}@burst.example" for i in range(12)} | {f"user{i}@other.example" for i in range(5)}
    # the release's suppressions follow its alert in the outbox: the receiver sees the decision first
    order = [e["type"] for e in alerts_rx.got]
    assert order.index("held.released") < len(order) - 1 - order[::-1].index("suppressed")
    assert {e["type"] for e in changes_rx.got} <= set(CHANGE_TYPES)  # default events: no alerts
    assert alerts_rx.bad_signatures == changes_rx.bad_signatures == 0
    assert len(d.log.events("breaker_tripped")) == 2


def test_unknown_webhook_event_names_are_refused_with_the_known_ones(tmp_path):
    try:
        from_dict({"web": {"webhooks": [{"url": "http://127.0.0.1:9/h", "secret": SECRET, "events": ["breaker.trip"]}]}})
    except ConfigError as exc:
        assert "web.webhooks[0].events[0]" in str(exc) and "breaker.tripped" in str(exc) and "suppressed" in str(exc)
    else:
        raise AssertionError("an unknown event name was accepted")
