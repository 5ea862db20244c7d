"""Sending a batch by task name: what the broker message carries and what logs show of it."""

from __future__ import annotations

from celery import Celery

from ingest_core.settings import Settings
from ingest_core.tasks import PROCESS_BATCH, BatchDocument, BatchMessage, Locator, send_batch


def _message(documents: int) -> BatchMessage:
    locator = Locator(raw_key="raw/news/" + "a" * 64, offset=0, length=10)
    docs = [BatchDocument(doc_id=f"d{n}", filename=f"{n}.txt", locator=locator) for n in range(documents)]
    return BatchMessage(batch_id="b1", job_id="j1", collection="news", documents=docs)


def test_a_batch_task_shows_its_batch_job_and_size_instead_of_the_whole_message() -> None:
    app = Celery(set_as_current=False)
    sent = app.amqp.as_task_v2(
        "task-id",
        PROCESS_BATCH,
        args=[_message(64).model_dump(mode="json", exclude_defaults=True)],
        argsrepr="unused",
    )
    assert sent.headers["argsrepr"] == "unused"  # Celery takes the repr it is given

    captured: dict[str, object] = {}

    class Sender:
        def send_task(self, name: str, args: object = None, **options: object) -> None:
            captured.update(options, name=name, args=args)

    send_batch(Sender(), _message(64), Settings())
    assert captured["name"] == PROCESS_BATCH
    assert captured["argsrepr"] == "batch b1 of job j1: 64 documents"
    assert captured["args"] == [_message(64).model_dump(mode="json", exclude_defaults=True)]
