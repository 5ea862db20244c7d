"""Task names and message shapes: the whole contract between the API and the workers.

The API sends tasks by these names (``send_task``) and never imports the worker's code. A task
carries a *batch*: the keys of many documents of one job, never their bytes (claim check). The
same message is kept in Redis with the job (the outbox), so a batch whose message was never
sent, or whose worker died, is sent again by a watchdog.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest_core.languages import iso_639_1
from ingest_core.settings import Settings

PROCESS_BATCH = "ingest.process_batch"
EXPORT = "ingest.export"
QUEUE = "ingest"

Codec = Literal["identity", "deflate", "jsonl", "warc", "feed-item", "mime"]
"""How a document's range decodes: identity (as is), deflate (a zip member), jsonl (one JSON
article object: a JSON Lines line or a JSON array item), warc (one WARC record, gzipped or
not), feed-item (the item ``Locator.index`` of the RSS/Atom feed the range holds), mime (one
e-mail attachment: its MIME part, base64 or quoted-printable undone)."""


class Hints(BaseModel):
    """What the uploader told us about a document: one model from upload to record.

    Form fields give hints for a whole upload; a JSON Lines line (or a feed item, a WARC
    header) gives hints for one document, which win over the upload's.
    """

    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    source_url: str | None = None
    source_name: str | None = None
    language: str | None = None
    published_at: str | None = None
    external_id: str | None = None
    fetched_at: str | None = None  # when a crawler fetched the page (WARC-Date)

    @field_validator("language")
    @classmethod
    def _iso_639_1(cls, value: str | None) -> str | None:
        """ "pt_BR" → "pt"; what names no ISO 639-1 code is no hint (the text's own language is found)."""
        return iso_639_1(value)

    def over(self, fallback: Hints) -> Hints:
        """These hints, with ``fallback``'s where these say nothing."""
        merged = fallback.model_dump()
        merged.update({k: v for k, v in self.model_dump().items() if v is not None})
        return Hints(**merged)


class Locator(BaseModel):
    """Where one document's bytes are: a byte range of a stored upload and how it is encoded.

    A multi-document upload (zip, tar, WARC, JSON Lines, JSON, a feed) is stored once; each of
    its documents is a range of it, so a worker reads a whole batch with one ranged GET.
    """

    model_config = ConfigDict(extra="ignore")

    raw_key: str
    offset: int = Field(0, ge=0)
    length: int = Field(..., ge=0)
    codec: Codec = "identity"  # deflate: a raw zip member; jsonl: one JSON Lines article
    size: int | None = Field(None, description="Decoded size when known (deflate members).")
    index: int | None = Field(None, ge=0, description="Which item of the range (feed items).")

    @property
    def end(self) -> int:
        return self.offset + self.length


class BatchDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    doc_id: str
    filename: str | None = None
    content_type: str | None = None
    locator: Locator


class BatchMessage(BaseModel):
    """What travels through the broker: one job's documents, by key."""

    model_config = ConfigDict(extra="ignore")

    batch_id: str
    job_id: str
    collection: str
    hints: Hints = Field(default_factory=Hints)
    documents: list[BatchDocument]


def batch_time_limits(settings: Settings, documents: int) -> tuple[float, float]:
    """(soft, hard) time limits of one batch task: the per-document limits, scaled."""
    scale = max(1, documents)
    return settings.task_soft_time_limit * scale, settings.task_time_limit * scale


class TaskSender(Protocol):
    """The one thing the senders need of a Celery app."""

    def send_task(self, name: str, args: Any = None, **options: Any) -> Any: ...


def send_batch(celery: TaskSender, message: BatchMessage, settings: Settings, producer: Any = None) -> None:
    """Sends one batch by task name; used by the API and by the workers' watchdog alike."""
    soft, hard = batch_time_limits(settings, len(message.documents))
    celery.send_task(
        PROCESS_BATCH,
        args=[message.model_dump(mode="json", exclude_defaults=True)],
        queue=QUEUE,
        soft_time_limit=soft,
        time_limit=hard,
        producer=producer,
        # what logs and monitors show of the task; Celery's own repr of the message costs
        # 30-100 µs a send and shows a truncated dict
        argsrepr=f"batch {message.batch_id} of job {message.job_id}: {len(message.documents)} documents",
        kwargsrepr="{}",
    )


class ExportMessage(BaseModel):
    """An export to write: the records of a collection ingested in [since, until), or with
    ``day`` the daily compaction of that UTC day (rewriting the same part keys each time)."""

    model_config = ConfigDict(extra="ignore")

    export_id: str
    collection: str
    format: Literal["parquet", "jsonl.gz"] = "parquet"
    since: datetime | None = None
    until: datetime | None = None
    day: date | None = None


def send_export(celery: TaskSender, message: ExportMessage, settings: Settings) -> None:
    """Sends one export task by name (the API on request, a watchdog for the daily compaction)."""
    celery.send_task(
        EXPORT,
        args=[message.model_dump(mode="json", exclude_none=True)],
        queue=QUEUE,
        soft_time_limit=settings.export_time_limit,
        time_limit=settings.export_time_limit + 60,
    )
