"""The Celery app's settings that recovery and start-up depend on."""

from __future__ import annotations

from ingest_core.settings import Settings
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
