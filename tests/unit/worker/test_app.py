"""The Celery app's settings that recovery and start-up depend on."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import pytest
from celery.signals import worker_init
from celery.utils.dispatch.signal import Signal

from ingest_core.settings import Settings
from ingest_worker import app as app_module
from ingest_worker import pipeline
from ingest_worker.app import create_celery


def test_a_new_pool_process_has_the_configured_time_to_load_its_models() -> None:
    # Celery's own 4 s killed every new pool process on a loaded machine while it loaded the
    # language model and dateparser's tables, over and over, and no batch ran meanwhile.
    app = create_celery(Settings(worker_start_timeout=45.0))
    assert app.conf.worker_proc_alive_timeout == 45.0
    assert create_celery(Settings()).conf.worker_proc_alive_timeout >= 30.0


def test_unfinished_tasks_of_a_lost_process_go_back_to_the_queue() -> None:
    conf = create_celery(Settings()).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1


def test_the_main_process_warms_the_shared_tables_before_the_pool_forks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "warm_up", lambda: calls.append("warm"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    assert any(receiver is app_module._warm_shared for receiver in _receivers(worker_init))
    app_module._warm_shared()
    assert calls == ["warm", "freeze"]  # frozen after warming: the children's collections skip it all


def test_the_warm_up_leaves_the_first_document_nothing_to_build() -> None:
    """In a fresh interpreter, as in Celery's main process before the fork: every table the
    stages build lazily is built by the warm-up, so no pool process builds its own."""
    code = """
from ingest_worker.pipeline import language, warm_up, words
from ingest_worker.pipeline.text import dates, features, model, segment, stopwords
tables = [
    language._identifier, dates._calendar_words, model.load_model, stopwords.universal_stoplist,
    stopwords.stoplist, features._word_kinds, features._char_table, words.word_table, segment._char_classes,
]
assert not any(table.cache_info().currsize for table in tables)
warm_up()
print([table.__name__ for table in tables if not table.cache_info().currsize])
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def _receivers(signal: Signal) -> list[object]:
    """The functions connected to a signal (Celery keeps weak references by default)."""
    return [ref() if isinstance(ref, weakref.ReferenceType) else ref for _, ref in signal.receivers]
