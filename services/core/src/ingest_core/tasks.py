"""Task names and message shapes: the whole contract between the API and the workers.

The API sends tasks by these names (``send_task``) and never imports the worker's code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

PROCESS_DOCUMENT = "ingest.process_document"
QUEUE = "ingest"


class DocumentMessage(BaseModel):
    """What travels through the broker: keys and small metadata, never the bytes."""

    model_config = ConfigDict(extra="ignore")

    job_id: str
    doc_id: str
    collection: str
    raw_key: str
    sha256: str
    size_bytes: int
    filename: str | None = None
    content_type: str | None = None
    source_url: str | None = None
    source_name: str | None = None
    language: str | None = None
    title: str | None = None
    published_at: str | None = None
    external_id: str | None = None
