"""A stage's time limit: a runaway stage is interrupted and named; outside a stage, SIGALRM is
left to whoever handled it before; off the main thread there is no limit to arm."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

import pytest

from ingest_worker.pipeline.base import StageTimeout, time_limit


@pytest.fixture
def own_alarm_handler() -> Iterator[list[int]]:
    """A SIGALRM handler of the test's own, in place before any stage runs."""
    calls: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        calls.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    yield calls
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_stage_over_its_limit_is_interrupted_and_named(own_alarm_handler: list[int]) -> None:
    with pytest.raises(StageTimeout, match=r"'html' exceeded its 0\.05s"), time_limit(0.05, "html"):
        time.sleep(5)
    assert own_alarm_handler == []


def test_a_stage_within_its_limit_leaves_no_alarm_behind(own_alarm_handler: list[int]) -> None:
    for _ in range(3):
        with time_limit(0.2, "segment"):
            pass
    time.sleep(0.3)  # a timer left running would fire now
    assert own_alarm_handler == []


def test_between_stages_a_sigalrm_goes_to_the_handler_that_was_there_before(
    own_alarm_handler: list[int],
) -> None:
    with time_limit(1.0, "decode"):
        pass
    os.kill(os.getpid(), signal.SIGALRM)
    time.sleep(0.05)
    assert own_alarm_handler == [signal.SIGALRM]


def test_off_the_main_thread_no_alarm_is_armed(own_alarm_handler: list[int]) -> None:
    outcome: list[str] = []

    def run() -> None:
        with time_limit(0.01, "language"):
            time.sleep(0.1)
        outcome.append("finished")

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    time.sleep(0.05)
    assert outcome == ["finished"]
    assert own_alarm_handler == []  # an alarm armed for the thread would have come here
