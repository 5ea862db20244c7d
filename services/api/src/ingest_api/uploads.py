"""From an upload to one stored object per file, its documents, and batches of tasks.

Each uploaded file is stored once under its content address (a compressed tar as its tar);
the documents it holds (archive members, JSON Lines lines, WARC records, feed items) are
byte ranges of it, split by
``ingest_core.containers`` exactly as ``ingest process`` splits them offline. Documents then
travel to workers in batches sized by count and bytes.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ingest_core.containers import Limits, Part, Upload, prepare, split
from ingest_core.ids import new_id
from ingest_core.jobs import NewDocument
from ingest_core.keys import raw_key
from ingest_core.settings import Settings
from ingest_core.storage import ObjectStore
from ingest_core.tasks import BatchDocument, BatchMessage, Hints

IncomingFile = Upload  # one file as the framework spooled it


@dataclass(frozen=True)
class FormMeta:
    collection: str
    source_url: str | None = None
    source_name: str | None = None
    language: str | None = None
    callback_url: str | None = None  # its job's own job.finished webhook

    @property
    def hints(self) -> Hints:
        """The upload's hints, for every document it holds."""
        return Hints(source_url=self.source_url, source_name=self.source_name, language=self.language)


@dataclass
class PlannedFile:
    """One uploaded file as it will be stored, and the documents it holds.

    A container inside another (a WARC in a zip, a zip attached to an e-mail) is stored as an
    object of its own: its items are ranges of that object (``Part.source``), under its own
    content address.
    """

    stored: Upload
    raw_key: str
    parts: list[Part]
    collection: str = ""

    def key_of(self, part: Part) -> str:
        if part.source is None:
            return self.raw_key
        return raw_key(self.collection, part.source.sha256)

    def objects(self) -> dict[str, Upload]:
        """Every object a document to process is a range of, by key."""
        out: dict[str, Upload] = {}
        for part in self.parts:
            if part.rejected_reason is None:
                out.setdefault(self.key_of(part), part.source or self.stored)
        return out

    @property
    def needs_storing(self) -> bool:
        return any(part.rejected_reason is None for part in self.parts)


def request_fingerprint(collection: str, files: list[IncomingFile]) -> str:
    """What makes two requests "the same body" for Idempotency-Key."""
    digest = hashlib.sha256(collection.encode())
    for item in files:
        digest.update(b"\0" + (item.filename or "").encode() + b"\0" + item.sha256.encode())
    return digest.hexdigest()


def plan_file(item: IncomingFile, settings: Settings, collection: str) -> PlannedFile:
    """Measures the file, unpacks a compressed tar, and splits it into documents."""
    limits = Limits.from_settings(settings)
    prepared = prepare(item, limits)
    stored = prepared.upload
    if prepared.problem:
        return PlannedFile(
            stored, "", [Part(item.filename, item.content_type, rejected_reason=prepared.problem)]
        )
    return PlannedFile(stored, raw_key(collection, stored.sha256), split(stored, limits), collection)


def store_files(files: list[PlannedFile], store: ObjectStore, *, threads: int = 8) -> None:
    """Writes each object that holds a document once; an object already there is kept."""

    def put(item: tuple[str, Upload]) -> None:
        key, upload = item
        upload.fileobj.seek(0)
        store.put_if_absent(
            key, upload.fileobj, content_type=upload.content_type or "application/octet-stream"
        )

    objects: dict[str, Upload] = {}
    for planned in files:
        objects.update(planned.objects())
    todo = list(objects.items())
    if len(todo) <= 1:
        for item in todo:
            put(item)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(put, todo))


def plan_documents(files: list[PlannedFile]) -> tuple[list[NewDocument], list[BatchDocument]]:
    """Every document for the job (refused ones too), and those a worker must process."""
    documents: list[NewDocument] = []
    to_process: list[BatchDocument] = []
    for planned in files:
        for part in planned.parts:
            doc = NewDocument(filename=part.filename, rejected_reason=part.rejected_reason)
            documents.append(doc)
            if part.rejected_reason is None:
                to_process.append(part.to_batch_document(doc.doc_id, planned.key_of(part)))
    return documents, to_process


def plan_batches(
    job_id: str, form: FormMeta, documents: list[BatchDocument], settings: Settings
) -> list[BatchMessage]:
    """Consecutive documents in batches of at most ``batch_max_documents`` and ``batch_max_bytes``.

    Bytes are what a worker will hold and parse (a zip member's decoded size, not its
    compressed one): a zip of pages that compress tenfold must not make batches ten times the
    limit.
    """
    batches: list[BatchMessage] = []
    current: list[BatchDocument] = []
    size = 0
    hints = form.hints

    def close() -> None:
        if current:
            batches.append(
                BatchMessage(
                    batch_id=new_id(),
                    job_id=job_id,
                    collection=form.collection,
                    hints=hints,
                    documents=list(current),
                )
            )
            current.clear()

    ranges: set[tuple[str, int, int]] = set()  # feed items share their feed's range: read once
    for doc in documents:
        locator = doc.locator
        span = (locator.raw_key, locator.offset, locator.length)
        weight = locator.size if locator.size is not None else locator.length
        length = 0 if span in ranges else weight
        if current and (
            len(current) >= settings.batch_max_documents or size + length > settings.batch_max_bytes
        ):
            close()
            size, ranges = 0, set()
            length = weight
        current.append(doc)
        ranges.add(span)
        size += length
    close()
    return batches
