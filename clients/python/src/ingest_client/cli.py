"""The ``ingest`` command: upload articles, follow jobs, read the feed, or process offline.

Exit codes: 0 all documents stored or duplicate (or, without --wait, none rejected so far);
1 some document rejected or failed; 2 usage, connection or API errors; 3 --wait timed out.
The API is ``--api``, else ``$INGEST_API_URL``, else ``http://127.0.0.1:$INGEST_API_PORT``,
else http://127.0.0.1:8000. Progress displays go to stderr, and only when it is a terminal.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ingest_client.client import IngestClient, UploadProgress, default_base_url
from ingest_client.errors import ApiUnreachable, ExportFailed, IngestAPIError, IngestError, WaitTimeoutError
from ingest_client.models import DOC_BAD_STATUSES, DOC_OK_STATUSES, DOC_TERMINAL_STATUSES, Job

EXIT_OK = 0
EXIT_SOME_BAD = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3

app = typer.Typer(
    name="ingest",
    help="Upload news articles to the ingest API, follow their jobs, read the record feed, "
    "or run the pipeline offline.\n\nExit codes: 0 all documents stored or duplicate; "
    "1 some rejected or failed; 2 usage, connection or API error; 3 --wait timed out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ApiOption = Annotated[
    str | None,
    typer.Option(
        "--api",
        envvar="INGEST_API_URL",
        help="Base URL of the ingest API. Without it (or INGEST_API_URL): http://127.0.0.1:$INGEST_API_PORT "
        "when INGEST_API_PORT is set, else http://127.0.0.1:8000.",
        show_envvar=True,
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="INGEST_API_KEY", help="API key (sent as a bearer token).", show_envvar=True
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
WaitOption = Annotated[bool, typer.Option("--wait", help="Long-poll until every job is finished.")]
TimeoutOption = Annotated[
    float | None,
    typer.Option("--timeout", min=0, help="With --wait: give up after this many seconds (exit 3)."),
]

_STATUS_STYLE = {
    "stored": "green",
    "duplicate": "cyan",
    "rejected": "yellow",
    "failed": "red",
    "queued": "dim",
    "processing": "blue",
}


def make_client(api: str, api_key: str | None) -> IngestClient:
    """The client the commands use (tests replace this to inject a mock transport)."""
    return IngestClient(api, api_key=api_key)


def _client(api: str | None, api_key: str | None) -> IngestClient:
    """``--api`` (or ``$INGEST_API_URL``), else the URL ``$INGEST_API_PORT`` implies."""
    try:
        url = api or default_base_url()
    except IngestError as exc:
        _fail(str(exc))
    return make_client(url, api_key)


def _stderr() -> Console:
    return Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    _stderr().print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def _api_errors() -> Iterator[None]:
    """Connection and API errors → a one-line message on stderr and exit 2."""
    try:
        yield
    except ApiUnreachable as exc:
        _fail(str(exc))
    except IngestAPIError as exc:
        detail = f" ({json.dumps(exc.details, ensure_ascii=False)})" if exc.details else ""
        _fail(f"the API answered {exc.status} {exc.code}: {exc.message}{detail}")
    except IngestError as exc:
        _fail(str(exc))


def _write_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- submit ---------------------------------------------------------------------------------


@app.command()
def submit(
    *,
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            exists=True,
            readable=True,
            help="Files and folders (walked; hidden files skipped).",
        ),
    ],
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Collection (the server's default if not given).")
    ] = None,
    source_name: Annotated[str | None, typer.Option("--source-name", help="Name of the source site.")] = None,
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="URL the articles came from.")
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="ISO 639-1 language hint.")] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option("--idempotency-key", help="Re-sending with the same key returns the same jobs."),
    ] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
    json_out: JsonOption = False,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Upload files and folders; print each document's outcome."""
    err = _stderr()
    jobs: list[Job] = []
    timed_out = False
    with _client(api, api_key) as client:
        with _api_errors(), _upload_progress(err) as on_progress:
            try:
                for job in client.iter_submit(
                    [str(p) for p in paths],
                    collection=collection,
                    source_name=source_name,
                    source_url=source_url,
                    language=language,
                    idempotency_key=idempotency_key,
                    on_progress=on_progress,
                ):
                    jobs.append(job)
            except OSError as exc:
                _fail(f"cannot read {exc.filename or ''}: {exc.strerror or exc}")
            except IngestError:
                if jobs:
                    ids = ", ".join(str(j.get("id")) for j in jobs)
                    err.print(f"jobs created before the error: {ids}", highlight=False)
                raise
        if wait:
            with _api_errors():
                jobs, timed_out = _wait_all(client, jobs, timeout, err)
    _report(jobs, json_out=json_out, waited=wait)
    if timed_out:
        err.print("[yellow]timed out before every job finished[/]")
        raise typer.Exit(EXIT_TIMEOUT)
    raise typer.Exit(_exit_code(jobs, waited=wait))


@contextmanager
def _upload_progress(err: Console) -> Iterator[Any]:
    progress = Progress(
        TextColumn("[bold]uploading"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[files]}"),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task: TaskID | None = None

    def on_progress(update: UploadProgress) -> None:
        nonlocal task
        files = f"{update.files_sent}/{update.files_total} files"
        if task is None:
            task = progress.add_task("upload", total=update.bytes_total or 1, files=files)
        progress.update(task, completed=update.bytes_sent, files=files)

    with progress:
        yield on_progress


def _wait_all(
    client: IngestClient, jobs: list[Job], timeout: float | None, err: Console
) -> tuple[list[Job], bool]:
    """Long-poll each job until finished; (latest states, whether the timeout was hit)."""
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    latest: dict[str, Job] = {str(j.get("id")): j for j in jobs}

    def done_and_total() -> tuple[int, int]:
        counts: list[dict[str, Any]] = [dict(j.get("counts") or {}) for j in latest.values()]
        done = sum(int(c.get(s, 0)) for c in counts for s in DOC_TERMINAL_STATUSES)
        return done, sum(int(c.get("total", 0)) for c in counts)

    progress = Progress(
        TextColumn("[bold]processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("documents"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    timed_out = False
    with progress:
        done, total = done_and_total()
        task = progress.add_task("wait", total=total or 1, completed=done)

        def on_update(job: Job) -> None:
            latest[str(job.get("id"))] = job
            done, total = done_and_total()
            progress.update(task, total=total or 1, completed=done)

        for job_id in list(latest):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                on_update(client.wait_for(job_id, timeout=remaining, on_update=on_update))
            except WaitTimeoutError:
                timed_out = True
                break
    return [latest[str(j.get("id"))] for j in jobs], timed_out


def _exit_code(jobs: Sequence[Job], *, waited: bool) -> int:
    docs = [d for j in jobs for d in j.get("documents") or []]
    if any(d.get("status") in DOC_BAD_STATUSES for d in docs):
        return EXIT_SOME_BAD
    if any(j.get("status") in {"failed", "cancelled"} for j in jobs):
        return EXIT_SOME_BAD
    if waited and any(d.get("status") not in DOC_OK_STATUSES for d in docs):
        return EXIT_SOME_BAD
    return EXIT_OK


def _outcome(doc: dict[str, Any]) -> str:
    status = doc.get("status")
    if status == "stored":
        return f"record {doc.get('record_id')}"
    if status == "duplicate":
        similarity = doc.get("similarity")
        sim = f" (similarity {similarity:.2f})" if isinstance(similarity, int | float) else ""
        return f"duplicate of {doc.get('duplicate_of')}{sim}"
    if doc.get("error"):
        return str(doc["error"])
    return f"document {doc.get('id')}"


def _report(jobs: Sequence[Job], *, json_out: bool, waited: bool) -> None:
    if json_out:
        _write_line(json.dumps(list(jobs), ensure_ascii=False, indent=2))
        return
    out = Console(highlight=False)
    several = len(jobs) > 1
    table = Table(show_edge=False, pad_edge=False)
    if several:
        table.add_column("job", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("outcome", overflow="fold")
    counts: dict[str, int] = {}
    for job in jobs:
        for doc in job.get("documents") or []:
            status = str(doc.get("status"))
            counts[status] = counts.get(status, 0) + 1
            style = _STATUS_STYLE.get(status, "")
            row = [str(doc.get("filename") or doc.get("id")), f"[{style}]{status}[/]" if style else status]
            row.append(_outcome(dict(doc)))
            table.add_row(*([str(job.get("id"))] if several else []), *row)
    out.print(table)
    total = sum(counts.values())
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    out.print(f"{total} document{'s' if total != 1 else ''}: {summary or 'none'}")
    for job in jobs:
        out.print(f"job {job.get('id')}: {job.get('status')} (collection {job.get('collection')})")
    if not waited and any(j.get("status") in {"queued", "running"} for j in jobs):
        out.print(f"follow with: ingest status {jobs[0].get('id')} --wait")


# --- status ---------------------------------------------------------------------------------


@app.command()
def status(
    *,
    job_id: Annotated[str, typer.Argument(metavar="JOB", help="Job id (from `ingest submit`).")],
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
    json_out: JsonOption = False,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Show a job and its documents; --wait long-polls until it is finished."""
    timed_out = False
    with _client(api, api_key) as client, _api_errors():
        if wait:
            job = client.job(job_id)
            jobs, timed_out = _wait_all(client, [job], timeout, _stderr())
            job = jobs[0]
        else:
            job = client.job(job_id)
    if json_out:
        _write_line(json.dumps(job, ensure_ascii=False, indent=2))
    else:
        _report([job], json_out=False, waited=wait)
    if timed_out:
        _stderr().print("[yellow]timed out before the job finished[/]")
        raise typer.Exit(EXIT_TIMEOUT)
    raise typer.Exit(_exit_code([job], waited=wait))


# --- jobs -----------------------------------------------------------------------------------


@app.command()
def jobs(
    *,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Only this collection.")
    ] = None,
    job_status: Annotated[
        str | None,
        typer.Option("--status", help="Only jobs in this state (queued, running, succeeded, …)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="ISO", help="Only jobs created after this instant.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="ISO", help="Only jobs created before this instant.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many jobs.")] = 50,
    json_out: JsonOption = False,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """List jobs, newest first, with their counts."""
    found: list[dict[str, Any]] = []
    with _client(api, api_key) as client, _api_errors():
        for job in client.iter_jobs(
            collection=collection,
            status=job_status,
            created_after=since,
            created_before=until,
            page_size=min(limit, 500),
        ):
            found.append(dict(job))
            if len(found) >= limit:
                break
    if json_out:
        _write_line(json.dumps(found, ensure_ascii=False, indent=2))
        return
    out = Console(highlight=False)
    table = Table(show_edge=False, pad_edge=False)
    id_width = max((len(str(row.get("id"))) for row in found), default=3)
    table.add_column("job", no_wrap=True, min_width=id_width)  # ids are never cut
    for name in ("status", "collection", "created", "total", "stored", "dup", "rejected", "failed"):
        table.add_column(name, no_wrap=True)
    for row in found:
        counts = row.get("counts") or {}
        table.add_row(
            str(row.get("id")),
            str(row.get("status")),
            str(row.get("collection")),
            str(row.get("created_at")),
            *(str(counts.get(k, 0)) for k in ("total", "stored", "duplicate", "rejected", "failed")),
        )
    out.print(table)
    out.print(f"{len(found)} job{'s' if len(found) != 1 else ''}")


# --- export ---------------------------------------------------------------------------------


@app.command()
def export(
    *,
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection to export.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to download the files into (created if needed).")
    ],
    export_format: Annotated[
        str, typer.Option("--format", "-f", help="parquet (typed columns) or jsonl.gz (records as stored).")
    ] = "parquet",
    since: Annotated[
        str | None, typer.Option("--since", metavar="ISO", help="Records ingested at or after this instant.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="ISO", help="Records ingested before this instant.")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0, help="Give up waiting after this many seconds (exit 3)."),
    ] = None,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Export a collection's records and download the files; prints each path written.

    The server writes the export (POST /v1/exports); this waits for it, then downloads each
    part through the API. Exit 1 when the export failed.
    """
    if export_format not in {"parquet", "jsonl.gz"}:
        _fail(f"--format must be parquet or jsonl.gz, not {export_format!r}")
    err = _stderr()
    with _client(api, api_key) as client, _api_errors():
        created = client.create_export(collection, export_format, since=since, until=until)
        export_id = str(created.get("id"))
        err.print(f"export {export_id} {created.get('status')}", highlight=False)
        try:
            done = client.wait_for_export(export_id, timeout=timeout)
        except WaitTimeoutError:
            err.print(f"[yellow]export {export_id} not finished after {timeout:g}s[/]", highlight=False)
            raise typer.Exit(EXIT_TIMEOUT) from None
        except ExportFailed as exc:
            _fail(str(exc), EXIT_SOME_BAD)
        paths = client.download_export(done, output)
    for path in paths:
        _write_line(str(path))
    err.print(
        f"{done.get('rows', 0)} records in {len(paths)} file{'s' if len(paths) != 1 else ''}", highlight=False
    )


# --- records --------------------------------------------------------------------------------


@app.command()
def records(
    *,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Collection (the server's default if not given).")
    ] = None,
    after: Annotated[
        str | None, typer.Option("--after", metavar="CURSOR", help="Start after this feed cursor.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Stop after this many records (default: all).")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="At the end of the feed, keep polling for new records.")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.1, help="Seconds between polls with --follow.")
    ] = 2.0,
    api: ApiOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Print the record feed as JSON Lines (one record per line), in ingestion order.

    With --follow it runs until interrupted: when the API goes away (a restart, a deploy) it
    says so on stderr, reconnects with back-off and resumes from its last cursor.
    """
    page_size = min(limit, 100) if limit is not None else 100
    printed = 0
    err = _stderr()

    def on_retry(error: IngestError, delay: float) -> None:
        reason = escape(error.reason if isinstance(error, ApiUnreachable) else str(error))
        err.print(f"[yellow]feed interrupted ({reason}); retrying in {delay:.1f}s[/]", highlight=False)

    with _client(api, api_key) as client, _api_errors():
        try:
            for record in client.iter_records(
                collection,
                follow=follow,
                poll_interval=poll_interval,
                after=after,
                limit=page_size,
                on_retry=on_retry,
            ):
                _write_line(json.dumps(record, ensure_ascii=False))
                printed += 1
                if limit is not None and printed >= limit:
                    break
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_OK) from None
        except BrokenPipeError:
            _quiet_broken_pipe()


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (`ingest records | head`): stop without a traceback.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(EXIT_OK)


# --- process (offline) ----------------------------------------------------------------------


@app.command()
def process(
    *,
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH", help="Files, folders and .jsonl batches (one article object a line)."),
    ],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")] = "default",
    no_dedup: Annotated[bool, typer.Option("--no-dedup", help="Do not detect duplicates.")] = False,
) -> None:
    """Run the pipeline locally, no servers: one JSON object per document, in input order.

    Needs the worker package (ingest-worker). Unreadable inputs give a "rejected" line.
    Exits 1 when any document was rejected or failed, 0 otherwise. When stderr is a terminal
    (and stdout is not, so the two do not mix) a counter runs there while it works.
    """
    try:
        from ingest_worker.offline import run_offline
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "ingest_worker" or exc.name.startswith("ingest_worker.")):
            _fail(
                "`ingest process` needs the worker package (ingest-worker), which is not installed: "
                "pip install -e services/ingest (or ingest-client[offline])"
            )
        _fail(f"the worker package (ingest-worker) could not be loaded: {exc}")
    except ImportError as exc:
        _fail(f"the worker package (ingest-worker) could not be loaded: {exc}")
    err = _stderr()
    counts: Counter[str] = Counter()
    with _process_progress(err) as advance:
        try:
            for result in run_offline(paths, collection=collection, dedup=not no_dedup):
                _write_line(json.dumps(result, ensure_ascii=False))
                counts[str(result.get("status"))] += 1
                advance(counts)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
    bad = sum(counts[status] for status in DOC_BAD_STATUSES)
    if err.is_terminal or bad:
        err.print(_summary(counts), highlight=False)
    raise typer.Exit(EXIT_SOME_BAD if bad else EXIT_OK)


def _summary(counts: Counter[str]) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{total} document{'s' if total != 1 else ''}: {parts or 'none'}"


@contextmanager
def _process_progress(err: Console) -> Iterator[Any]:
    """A running count on stderr; nothing unless stderr is a terminal and stdout is not."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]processing"),
        TextColumn("{task.fields[summary]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        # stdout carries the results: never route it through the display.
        redirect_stdout=False,
        redirect_stderr=False,
        disable=not err.is_terminal or sys.stdout.isatty(),
    )
    with progress:
        task = progress.add_task("process", total=None, summary="0 documents")

        def advance(counts: Counter[str]) -> None:
            progress.update(task, summary=_summary(counts))

        yield advance


def main() -> None:
    app()


if __name__ == "__main__":
    main()
