"""The overview's window title never names a moment that has not happened yet."""

from __future__ import annotations

from datetime import datetime, timezone

from paygate.tui.screens.overview import window_title

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)


def test_a_window_whose_last_bucket_runs_past_now_ends_now():
    title = window_title({"window": "hour", "currency": "INR", "from": "2026-03-14T14:10:00Z", "to": "2026-03-14T15:10:00Z"}, NOW)
    assert title.startswith("Last hour · INR · 2026-03-14T14:10Z → now")


def test_a_window_in_the_past_keeps_its_end():
    title = window_title({"window": "day", "currency": "INR", "from": "2026-03-13T15:00:00Z", "to": "2026-03-14T15:00:00Z"}, NOW)
    assert "→ 2026-03-14T15:00Z" in title
