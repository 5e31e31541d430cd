"""When the scheduler syncs a project: the pure rules (debounce, interval, retry, pause)."""

from __future__ import annotations

from aext_project_filebrowser_server.schemas.auto_sync import AutoSyncState
from aext_project_filebrowser_server.services.auto_sync_scheduler import (
    Pending,
    Timing,
    due_at,
    retry_delay,
)

TIMING = Timing(quiet=10.0, max_wait=60.0, retry=30.0, retry_max=1800.0)
ON_SAVE = AutoSyncState(mode="on_save")


def saves(times: list[float]) -> Pending:
    pending = Pending(last_check=0.0)
    for t in times:
        pending.changed(t)
    return pending


def test_a_change_is_synced_after_a_quiet_period() -> None:
    assert due_at(ON_SAVE, saves([100.0]), TIMING) == 110.0
    assert due_at(ON_SAVE, saves([100.0, 105.0]), TIMING) == 115.0


def test_a_project_saved_every_few_seconds_syncs_within_max_wait() -> None:
    every_six = [100.0 + 6 * i for i in range(10)]  # ten saves in a minute
    assert due_at(ON_SAVE, saves(every_six), TIMING) == 160.0


def test_ten_saves_a_minute_make_one_or_two_runs() -> None:
    """Replay a minute of saves every six seconds and count the runs the rules start."""
    pending, runs = Pending(), 0
    events = [100.0 + 6 * i for i in range(10)]
    now = 100.0
    while now < 400.0:
        if events and events[0] <= now:
            pending.changed(events.pop(0))
        due = due_at(ON_SAVE, pending, TIMING)
        if due is not None and due <= now:
            runs += 1
            pending.first_change = pending.last_change = None
        now += 0.5
    assert 1 <= runs <= 2


def test_nothing_is_due_without_a_change_off_or_paused() -> None:
    assert due_at(ON_SAVE, Pending(), TIMING) is None
    assert due_at(AutoSyncState(mode="off"), saves([1.0]), TIMING) is None
    paused = AutoSyncState(mode="on_save", paused=True, paused_reason="one_side_empty: ...")
    assert due_at(paused, saves([1.0]), TIMING) is None


def test_interval_counts_from_the_last_check() -> None:
    every_five = AutoSyncState(mode="interval", interval_minutes=5)
    assert due_at(every_five, Pending(last_check=1000.0), TIMING) == 1300.0
    # a pending change (the run after start-up, a retry) that comes first wins
    pending = Pending(last_check=1000.0)
    pending.changed(1000.0)
    assert due_at(every_five, pending, TIMING) == 1010.0


def test_after_failures_the_next_try_waits_longer_each_time() -> None:
    assert [retry_delay(n, TIMING) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 240.0]
    assert retry_delay(20, TIMING) == 1800.0
    pending = saves([100.0])
    pending.retry_at = 500.0
    assert due_at(ON_SAVE, pending, TIMING) == 500.0
