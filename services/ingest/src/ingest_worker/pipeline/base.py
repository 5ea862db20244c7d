"""The stage interface and the runner, in the spirit of datatrove's ``PipelineStep``.

A stage is a small callable with a ``name``: it takes the ``Article`` being built and the
``StageContext`` (shared services such as the dedup index), and returns the article. A stage
that finds the input is not an article raises ``Reject``; one that finds a duplicate sets
``article.duplicate_of`` and the runner stops there. Nothing returns None silently.
"""

from __future__ import annotations

import _signal  # getsignal without the enum lookup (~15 µs a stage in signal.getsignal)
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

if TYPE_CHECKING:
    from ingest_worker.pipeline.text.segment import Layout


class Reject(Exception):
    """The input is not an article we can read: no retry, a clear reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StageTimeout(Reject):
    """A stage ran past its time limit; the input is treated as hostile and rejected."""


@dataclass
class RemovedLine:
    text: str
    reason: str


@dataclass
class Article:
    """Everything known about one document as it moves through the stages."""

    raw: bytes
    collection: str = "default"
    filename: str | None = None
    # hints from the uploader
    declared_content_type: str | None = None
    source_url: str | None = None
    source_name: str | None = None
    declared_language: str | None = None
    declared_title: str | None = None
    declared_published_at: str | None = None
    external_id: str | None = None  # the uploader's own id for the document
    fetched_at: str | None = None  # when a crawler fetched it (WARC-Date)
    # detection and decoding
    format: str | None = None  # a leaf format read by its own reader: "pdf", "docx", "markdown", "eml"
    media_type: str | None = None  # the raw bytes' media type when not content_type (application/pdf)
    content_type: str | None = None  # "text/plain" | "text/html"
    encoding: str | None = None
    html: str | None = None
    text: str | None = None  # whole decoded text before extraction (plain-text inputs)
    # extraction
    paragraphs: list[str] = field(default_factory=list)
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    dateline_place: str | None = None
    dateline_agency: str | None = None
    site_name: str | None = None
    language: str | None = None
    language_confidence: float | None = None
    captions: list[str] = field(default_factory=list)
    removed: list[RemovedLine] = field(default_factory=list)
    extractor: str | None = None
    # normalised output
    body: str = ""
    word_count: int = 0
    content_sha256: str | None = None
    simhash: str | None = None
    # dedup
    record_id: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    near_duplicates: list[tuple[str, float]] = field(default_factory=list)
    # bookkeeping
    warnings: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    # what one stage hands on to later ones, typed
    layout: Layout | None = None  # the line stages' shared layout (segment → … → paragraphs)
    page_language: str | None = None  # the page's own declaration (<html lang>): a prior only
    dateline_lines: list[str] = field(default_factory=list)  # read as the dateline, for the audit

    def remove(self, text: str, reason: str) -> None:
        self.removed.append(RemovedLine(text=text, reason=reason))


@dataclass
class StageContext:
    """Services a stage may use. Online they are Redis-backed; offline, in memory."""

    dedup_index: Any = None  # ingest_worker.pipeline.dedup.DedupIndex
    source_profiles: Any = None  # ingest_worker.pipeline.profiles.SourceProfiles
    dedup_enabled: bool = True
    stage_time_limit: float | None = 20.0
    max_text_chars: int = 5_000_000
    options: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Stage(Protocol):
    name: str

    def __call__(self, doc: Article, ctx: StageContext) -> Article: ...


@runtime_checkable
class BatchStage(Protocol):
    """A stage that does many documents' work at once where that pays (the dedup index: one
    Redis round trip for a batch); ``Pipeline.run_batch`` gives it every live document."""

    name: str

    def __call__(self, doc: Article, ctx: StageContext) -> Article: ...

    def run_batch(self, docs: Sequence[Article], ctx: StageContext) -> list[Article]: ...


class Interrupted(Exception):
    """``run_batch`` stopped on an exception the caller asked to see at once (a task's soft
    time limit): ``position`` is the document it happened on."""

    def __init__(self, position: int, cause: BaseException) -> None:
        super().__init__(f"document {position}: {cause!r}")
        self.position = position
        self.cause = cause


#: The stage a SIGALRM interrupts (innermost last), and the handler that was there before ours.
_armed: list[tuple[float, str]] = []
_previous_alarm_handler: list[Any] = []


def _on_alarm(signum: int, frame: Any) -> None:
    if _armed:
        seconds, what = _armed[-1]
        raise StageTimeout(f"stage {what!r} exceeded its {seconds:g}s time limit")
    previous = _previous_alarm_handler[0] if _previous_alarm_handler else None
    if callable(previous):  # not ours: whoever had SIGALRM before us
        previous(signum, frame)


class _TimeLimit:
    """``time_limit``'s context manager: a plain class, a few µs a stage cheaper than a
    generator-based one (the two ``setitimer`` calls are most of what is left)."""

    __slots__ = ("armed", "seconds", "what")

    def __init__(self, seconds: float | None, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self.armed = False

    def __enter__(self) -> None:
        if not self.seconds or threading.get_ident() != threading.main_thread().ident:
            return
        if _signal.getsignal(signal.SIGALRM) is not _on_alarm:
            _previous_alarm_handler[:] = [signal.signal(signal.SIGALRM, _on_alarm)]
        _armed.append((self.seconds, self.what))
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _armed.pop()
            self.armed = False


def time_limit(seconds: float | None, what: str) -> _TimeLimit:
    """Interrupts a runaway stage with SIGALRM; a no-op off the main thread or without a limit.

    Celery's prefork children and the offline CLI run stages on the main thread, so the
    limit holds where it matters; elsewhere the task-level time limit is the backstop. The
    handler is installed once and stays (swapping it twice per stage cost ~20 µs a stage);
    while no stage is armed it passes a SIGALRM on to the handler that was there before.
    """
    return _TimeLimit(seconds, what)


class Route:
    """A place in the pipeline where the stage depends on the document's detected format.

    ``DetectFormat`` sets ``Article.format`` for a leaf format (PDF, DOCX, Markdown, email);
    the runner then runs that format's reader here, or ``default`` (``Decode``) for text and
    HTML. The chosen stage's name is what the record's timings show.
    """

    def __init__(self, name: str, routes: Mapping[str, Stage], default: Stage) -> None:
        self.name = name
        self.routes = dict(routes)
        self.default = default

    def choose(self, doc: Article) -> Stage:
        return self.routes.get(doc.format or "", self.default)

    def __call__(self, doc: Article, ctx: StageContext) -> Article:
        return self.choose(doc)(doc, ctx)


class Pipeline:
    """Runs stages in order, timing each; stops early on a duplicate."""

    def __init__(
        self,
        stages: Sequence[Stage],
        version: str,
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self.stages = tuple(stages)
        self.version = version
        self.observe = observe  # (stage name, seconds): the workers' latency metrics
        # Protocol isinstance checks cost ~20 µs each: decided once here, not per batch.
        self._batched = tuple(isinstance(step, BatchStage) for step in self.stages)

    @property
    def names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def run(self, doc: Article, ctx: StageContext) -> Article:
        for step in self.stages:
            doc = self._step(step, doc, ctx)
            if doc.duplicate_of is not None:
                break
        return doc

    def run_batch(
        self,
        docs: Sequence[Article],
        ctx: StageContext,
        *,
        stop_on: tuple[type[BaseException], ...] = (),
    ) -> list[Article | Exception]:
        """Stage by stage over many documents, with the same result per document as ``run``.

        A ``BatchStage`` gets every live document at once; any other stage runs on each in
        turn. A document a stage raises on (``Reject``, a bug, an outage) leaves the batch with
        the exception in its place, and the others go on; the caller decides what each means.
        A batch stage's exception is the whole batch's and propagates. An exception in
        ``stop_on`` stops everything as ``Interrupted``.
        """
        results: list[Article | Exception] = list(docs)
        for step, batched in zip(self.stages, self._batched, strict=True):
            live = [i for i, r in enumerate(results) if isinstance(r, Article) and r.duplicate_of is None]
            if not live:
                break
            if batched:
                batch = [r for r in results if isinstance(r, Article) and r.duplicate_of is None]
                started = time.perf_counter()
                with time_limit(ctx.stage_time_limit, step.name):
                    done = cast(BatchStage, step).run_batch(batch, ctx)
                share = (time.perf_counter() - started) / len(live)
                for i, doc in zip(live, done, strict=True):
                    results[i] = doc
                    self._timed(doc, step.name, share)
                continue
            for i in live:
                current = results[i]
                assert isinstance(current, Article)
                try:
                    results[i] = self._step(step, current, ctx)
                except stop_on as exc:
                    raise Interrupted(i, exc) from exc
                except Exception as exc:
                    results[i] = exc
        return results

    def _step(self, step: Stage, doc: Article, ctx: StageContext) -> Article:
        stage = step.choose(doc) if isinstance(step, Route) else step
        started = time.perf_counter()
        with time_limit(ctx.stage_time_limit, stage.name):
            result = stage(doc, ctx)
        if result is None:  # a stage bug, never an input problem
            raise TypeError(f"stage {stage.name!r} returned None")
        self._timed(result, stage.name, time.perf_counter() - started)
        return result

    def _timed(self, doc: Article, name: str, seconds: float) -> None:
        doc.timings.append((name, seconds * 1000.0))
        if self.observe is not None:
            self.observe(name, seconds)
