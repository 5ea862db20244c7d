"""End-to-end throughput of the real stack over HTTP, each figure beside a same-run baseline.

    .venv/bin/python -m bench.throughput [--docs N] [--quick] [--long] [--label NAME] [--no-write]

The stack is the one ``make run`` starts (``ingest_devstack.stack.Stack``: Redis, SeaweedFS
``weed mini``, one Celery worker with 2 pool processes, the API under uvicorn) on free loopback
ports with a temporary, non-persistent data dir; it is stopped at the end. Only the public HTTP
API is used, and of a job only ``status``, ``counts`` and, once final, the documents'
``status``/``record_id``, so the benchmark runs unchanged before and after internal rewrites.

Phases (each batch in a fresh collection):

1. text batch: N distinct articles (``bench.throughput.corpus``) as one JSON Lines upload and
   as one zip of .txt files; POST time and end-to-end documents/s (POST start until the job is
   final). Baseline: ``ingest process`` (the offline pipeline) on the same articles, two
   processes on halves of them (the worker's two pool processes on the same two cores).
2. single uploads: one small text file per request from 1, 8 and 32 client threads for a fixed
   time; documents/s and upload → record-visible latency (``GET /v1/records/{id}`` = 200).
   Baseline: the offline rate and its mean time per document in one process.
3. HTML: the trafilatura-eval pages as one zip; pages/s. Baseline: ``trafilatura.extract`` on
   the same pages in 2 processes.
4. CPU ms per document of each server process tree (API, worker main + pool, Redis, S3 server)
   and of this client, from /proc utime+stime (+ reaped children) before and after each phase.
5. Redis ``used_memory`` delta and commands per document; S3 requests per document by type
   from SeaweedFS's Prometheus metrics (``-metricsPort``, ``SeaweedFS_s3_request_total``).
6. worker RSS (all worker processes summed) at the start, peak and end of the text batches,
   and PSS (shared pages split among the processes) at the start and end;
   ``--long`` uploads 100,000 articles in one JSON Lines batch and adds RSS at 10,000 done.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import logging
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.quality.run import CORPUS, _cpu_model, write_section
from bench.throughput import procs
from bench.throughput.corpus import Article, generate, max_shared_share, real_pools
from bench.throughput.stats import (
    counter_delta,
    parse_prometheus,
    percentile,
    poll_pause,
    sum_by_labels,
)

REPO = Path(__file__).resolve().parents[2]
TERMINAL = frozenset({"succeeded", "partially_failed", "failed", "cancelled"})
OUTCOMES = ("stored", "duplicate", "rejected", "failed")
S3_METRIC = "SeaweedFS_s3_request_total"
#: Limits raised for the benchmark only (settings, not code): one upload of N documents.
LIMIT_ENV = {
    "INGEST_MAX_UPLOAD_BYTES": str(4 * 1024**3),
    "INGEST_MAX_ARCHIVE_MEMBERS": "200000",
    "INGEST_MAX_ARCHIVE_EXPANDED_BYTES": str(8 * 1024**3),
}
DEFAULT_DOCS, QUICK_DOCS, LONG_DOCS = 20_000, 2_000, 100_000
SEED = 20240601

log = logging.getLogger("bench.throughput")


# --- measuring the stack ------------------------------------------------------------------------


@dataclass
class Snapshot:
    cpu: dict[str, float]
    redis_used: int
    redis_commands: int
    s3: dict[str, float]


@dataclass
class Probe:
    """Reads CPU of each process tree, Redis INFO and SeaweedFS's metrics."""

    pids: dict[str, int]
    redis_url: str
    metrics_url: str | None
    s3_ok: bool = True

    def snapshot(self) -> Snapshot:
        import redis

        cpu = {name: procs.tree_cpu(pid) for name, pid in self.pids.items()}
        times = os.times()
        cpu["bench client"] = times.user + times.system
        client = redis.Redis.from_url(self.redis_url)
        try:
            memory = client.info("memory")
            stats = client.info("stats")
        finally:
            client.close()
        return Snapshot(cpu, int(memory["used_memory"]), int(stats["total_commands_processed"]), self.s3())

    def s3(self) -> dict[str, float]:
        if not self.metrics_url:
            return {}
        try:
            text = httpx.get(self.metrics_url, timeout=10).text
        except httpx.HTTPError:
            self.s3_ok = False
            return {}
        found = sum_by_labels(parse_prometheus(text), S3_METRIC, ("type", "code"))
        if not found:
            self.s3_ok = False
        return found

    def worker_rss(self) -> int:
        return procs.tree_rss(self.pids["worker"])

    def worker_pss(self) -> int:
        return procs.tree_pss(self.pids["worker"])


@dataclass
class RssTrace:
    start: int
    peak: int = 0
    end: int = 0
    at_10k: int | None = None
    pss_start: int = 0
    pss_end: int = 0


class RssSampler:
    """Samples the worker tree's RSS every half second in a thread, for the peak; its PSS
    (shared pages split among their processes) at the start and the end only, as reading it
    walks every mapping."""

    def __init__(self, read: Callable[[], int], read_pss: Callable[[], int] = lambda: 0) -> None:
        self.read = read
        self.read_pss = read_pss
        self.trace = RssTrace(start=read(), pss_start=read_pss())
        self.trace.peak = self.trace.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.trace.peak = max(self.trace.peak, self.read())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.trace.end = self.read()
        self.trace.pss_end = self.read_pss()
        self.trace.peak = max(self.trace.peak, self.trace.end)


@dataclass
class Phase:
    name: str
    docs: int
    wall: float
    before: Snapshot
    after: Snapshot
    post: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    polls: int = 0
    status: str = ""
    rss: RssTrace | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.docs / self.wall if self.wall else 0.0

    def cpu_ms(self) -> dict[str, float]:
        return {
            name: 1000 * (self.after.cpu[name] - self.before.cpu.get(name, 0.0)) / max(self.docs, 1)
            for name in self.after.cpu
        }

    def s3_per_doc(self) -> dict[str, float]:
        return {k: v / max(self.docs, 1) for k, v in counter_delta(self.before.s3, self.after.s3).items()}


# --- HTTP uploads -------------------------------------------------------------------------------


def post_files(
    client: httpx.Client, files: list[tuple[str, bytes, str]], collection: str
) -> tuple[str, float]:
    """POST /v1/documents (multipart ``files``); (job id, seconds until the 202 arrived)."""
    started = time.perf_counter()
    response = client.post(
        "/v1/documents",
        files=[("files", item) for item in files],
        data={"collection": collection},
        timeout=httpx.Timeout(1800.0, connect=10.0),
    )
    took = time.perf_counter() - started
    if response.status_code != 202:
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
    return str(response.json()["id"]), took


def wait_final(
    client: httpx.Client,
    job_id: str,
    started: float,
    *,
    paced: bool = True,
    on_poll: Callable[[dict[str, int]], None] | None = None,
) -> tuple[dict[str, Any], int]:
    """Long-polls the job until final; (last answer, number of polls). Reads status and counts.

    Paced polls (a batch, its progress followed) answer on any change; unpaced ones (a single
    upload waiting for its outcome) ask the API to answer only once the job is final.
    """
    polls = 0
    params = {"wait": 5, "until": "change" if paced else "final"}
    while True:
        response = client.get(f"/v1/jobs/{job_id}", params=params, timeout=60.0)
        response.raise_for_status()
        polls += 1
        job = response.json()
        if on_poll is not None:
            on_poll(job["counts"])
        if job["status"] in TERMINAL:
            return job, polls
        if paced:
            time.sleep(poll_pause(time.perf_counter() - started))


def batch_phase(
    name: str,
    *,
    client: httpx.Client,
    probe: Probe,
    files: list[tuple[str, bytes, str]],
    collection: str,
    docs: int,
) -> Phase:
    before = probe.snapshot()
    with RssSampler(probe.worker_rss, probe.worker_pss) as sampler:

        def on_poll(counts: dict[str, int]) -> None:
            done = sum(counts.get(k, 0) for k in OUTCOMES)
            if sampler.trace.at_10k is None and done >= 10_000:
                sampler.trace.at_10k = probe.worker_rss()

        started = time.perf_counter()
        job_id, post = post_files(client, files, collection)
        job, polls = wait_final(client, job_id, started, on_poll=on_poll)
        wall = time.perf_counter() - started
    after = probe.snapshot()
    counts = {k: int(job["counts"].get(k, 0)) for k in ("total", *OUTCOMES)}
    log.info("%s: %d documents in %.1f s (POST %.1f s): %s", name, docs, wall, post, counts)
    return Phase(name, docs, wall, before, after, post, counts, polls, str(job["status"]), rss=sampler.trace)


def jsonl_body(articles: list[Article]) -> bytes:
    return "".join(
        json.dumps({"id": a.id, "text": a.text, "title": a.title}, ensure_ascii=False) + "\n"
        for a in articles
    ).encode("utf-8")


def zip_body(members: Iterator[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class SingleResult:
    clients: int
    docs: int
    wall: float
    latencies: list[float]
    outcomes: Counter[str]
    phase: Phase | None = None


def single_uploads(
    base_url: str, articles: Iterator[Article], clients: int, seconds: float, collection: str
) -> SingleResult:
    """``clients`` threads, each: upload one file, wait for its job, read its record; repeat."""
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds

    def next_article() -> Article | None:
        with lock:
            return next(articles, None)

    def run() -> None:
        with httpx.Client(base_url=base_url, timeout=60.0) as client:
            while time.perf_counter() < deadline:
                article = next_article()
                if article is None:
                    return
                body = article.as_txt().encode("utf-8")
                started = time.perf_counter()
                job_id, _ = post_files(client, [(f"{article.id}.txt", body, "text/plain")], collection)
                job, _ = wait_final(client, job_id, started, paced=False)
                document = job["documents"][0]
                status = str(document["status"])
                if status == "stored":
                    record = f"/v1/records/{document['record_id']}"
                    while client.get(record).status_code != 200:
                        time.sleep(0.01)
                elapsed = time.perf_counter() - started
                with lock:
                    outcomes[status] += 1
                    if status == "stored":
                        latencies.append(elapsed)

    def guarded() -> None:
        try:
            run()
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return SingleResult(clients, sum(outcomes.values()), wall, latencies, outcomes)


# --- baselines ------------------------------------------------------------------------------------


@dataclass
class Offline:
    docs: int
    wall: float
    cpu: float
    startup: float
    outcomes: Counter[str]

    @property
    def busy(self) -> float:
        """Wall time without the processes' start-up (imports, models): the service is warm too."""
        return max(self.wall - self.startup, 1e-9)

    @property
    def rate(self) -> float:
        return self.docs / self.busy


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ingest_process(inputs: list[Path], out_dir: Path) -> tuple[float, float, Counter[str]]:
    """``ingest process`` on each input in parallel; (wall s, CPU s, outcomes)."""
    cli = Path(sys.executable).parent / "ingest"
    cpu_before = _children_cpu()
    started = time.perf_counter()
    running = []
    for number, path in enumerate(inputs):
        out = (out_dir / f"offline-{number}.out").open("wb")
        running.append((subprocess.Popen([str(cli), "process", "-c", "bench", str(path)], stdout=out), out))
    for process, out in running:
        process.wait()
        out.close()
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    outcomes: Counter[str] = Counter()
    for number in range(len(inputs)):
        with (out_dir / f"offline-{number}.out").open("rb") as handle:
            for line in handle:
                outcomes[json.loads(line)["status"]] += 1
    return wall, cpu, outcomes


def offline_baseline(articles: list[Article], work: Path, processes: int = 2) -> Offline:
    """The offline pipeline on the same articles: ``processes`` CLIs on equal shares."""
    shares = [articles[i::processes] for i in range(processes)]
    inputs = []
    for number, share in enumerate(shares):
        path = work / f"offline-{number}.jsonl"
        path.write_bytes(jsonl_body(share))
        inputs.append(path)
    tiny = []
    for number in range(processes):
        path = work / f"startup-{number}.jsonl"
        path.write_bytes(jsonl_body(articles[number : number + 1]))
        tiny.append(path)
    startup, _, _ = run_ingest_process(tiny, work)
    wall, cpu, outcomes = run_ingest_process(inputs, work)
    return Offline(len(articles), wall, cpu, startup, outcomes)


def _extract(html: bytes) -> int:
    import trafilatura

    return len(trafilatura.extract(html) or "")


def _quiet() -> None:
    logging.disable(logging.WARNING)
    import trafilatura  # noqa: F401  (imported before the clock starts)


def trafilatura_baseline(pages: list[bytes], processes: int = 2) -> tuple[float, float]:
    """(wall s, CPU s) of ``trafilatura.extract`` on every page in a warm process pool."""
    from multiprocessing import get_context

    cpu_before = _children_cpu()
    with get_context("fork").Pool(processes, initializer=_quiet) as pool:
        pool.map(_extract, pages[: 2 * processes], chunksize=1)  # warm-up: imports, XPaths
        started = time.perf_counter()
        pool.map(_extract, pages, chunksize=4)
        wall = time.perf_counter() - started
        pool.close()
        pool.join()
    return wall, _children_cpu() - cpu_before


def eval_pages() -> list[tuple[str, bytes]]:
    entries = json.loads((CORPUS / "evaldata.json").read_text())
    out = []
    for entry in entries.values():
        path = CORPUS / "html" / f"{entry['file']}.gz"
        if path.exists():
            out.append((f"{entry['file']}.html", gzip.decompress(path.read_bytes())))
    return out


# --- the run ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def running_stack(data_dir: Path) -> Iterator[tuple[str, Probe]]:
    from ingest_devstack.servers import free_port
    from ingest_devstack.stack import Stack

    for name in ("INGEST_REDIS_URL", "INGEST_S3_ENDPOINT_URL"):  # always our own servers
        os.environ.pop(name, None)
    stack = Stack(data_dir=data_dir, api_port=free_port(), persistent=False, env_overrides=dict(LIMIT_ENV))
    try:
        stack.start()
        assert stack.api is not None
        pids = {p.name: p.pid for p in stack.processes if p.pid is not None}
        weed = next(p for p in stack.processes if p.name == "seaweedfs")
        metrics_port = next((a.split("=", 1)[1] for a in weed.argv if a.startswith("-metricsPort=")), None)
        probe = Probe(
            pids={
                "API": pids["api"],
                "worker": pids["worker1"],
                "Redis": pids["redis"],
                "S3 (weed)": pids["seaweedfs"],
            },
            redis_url=stack.env["INGEST_REDIS_URL"],
            metrics_url=f"http://127.0.0.1:{metrics_port}/metrics" if metrics_port else None,
        )
        log.info("stack up: API %s, pids %s", stack.api.url, probe.pids)
        yield stack.api.url, probe
    finally:
        log.info("stopping the stack")
        stack.stop()


@dataclass
class Options:
    docs: int
    single_seconds: float
    clients: tuple[int, ...]
    html: bool
    zip: bool
    long: bool
    command: str


@dataclass
class Results:
    options: Options
    corpus: dict[str, Any]
    batches: list[Phase] = field(default_factory=list)
    offline: Offline | None = None
    singles: list[SingleResult] = field(default_factory=list)
    html: Phase | None = None
    trafilatura: tuple[float, float] | None = None
    s3_counted: bool = True
    load: dict[str, float] = field(default_factory=dict)  # 1-minute load average after each phase

    def note_load(self, phase: str) -> None:
        self.load[phase] = os.getloadavg()[0]

    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def run(options: Options) -> Results:
    run_id = f"{int(time.time()) % 10**7:07d}"
    pools = real_pools()
    articles = generate(options.docs, seed=SEED, pools=pools, prefix="b")
    share = max_shared_share(articles[:2000])
    sizes = sorted(len(a.as_txt().encode()) for a in articles)
    singles_pool = generate(
        20_000 if not options.long else 0, seed=SEED + 1, pools=pools, prefix="s", max_words=300
    )
    results = Results(
        options,
        corpus={
            "languages": {k: len(v) for k, v in pools.sentences.items()},
            "sentences": pools.size,
            "median_bytes": sizes[len(sizes) // 2],
            "max_shared_share": share,
            "single_median_bytes": sorted(len(a.as_txt().encode()) for a in singles_pool[:1000])[500]
            if singles_pool
            else 0,
        },
    )
    log.info(
        "corpus: %d articles, median %d bytes; %s", len(articles), sizes[len(sizes) // 2], results.corpus
    )
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        with running_stack(work / "stack") as (url, probe), httpx.Client(base_url=url) as client:
            # warm-up: every pool process loads its models before anything is timed
            warm = iter(generate(8, seed=SEED + 2, pools=pools, prefix="w"))
            single_uploads(url, warm, 4, 60.0, f"warm-{run_id}")

            body = jsonl_body(articles)
            files = [("batch.jsonl", body, "application/x-ndjson")]
            results.batches.append(
                batch_phase(
                    "JSON Lines",
                    client=client,
                    probe=probe,
                    files=files,
                    collection=f"jsonl-{run_id}",
                    docs=len(articles),
                )
            )
            results.note_load("JSON Lines")
            del body, files
            if options.zip:
                archive = zip_body((f"{a.id}.txt", a.as_txt().encode("utf-8")) for a in articles)
                files = [("batch.zip", archive, "application/zip")]
                results.batches.append(
                    batch_phase(
                        "zip of .txt",
                        client=client,
                        probe=probe,
                        files=files,
                        collection=f"zip-{run_id}",
                        docs=len(articles),
                    )
                )
                results.note_load("zip of .txt")
                del archive, files

            stream = iter(singles_pool)
            for clients in options.clients:
                before = probe.snapshot()
                single = single_uploads(
                    url, stream, clients, options.single_seconds, f"single{clients}-{run_id}"
                )
                after = probe.snapshot()
                single.phase = Phase(f"single x{clients}", single.docs, single.wall, before, after)
                results.singles.append(single)
                results.note_load(single.phase.name)
                log.info("singles x%d: %d in %.1f s; %s", clients, single.docs, single.wall, single.outcomes)

            pages = eval_pages() if options.html else []
            if pages:
                archive = zip_body(iter(pages))
                files = [("pages.zip", archive, "application/zip")]
                results.html = batch_phase(
                    "HTML zip",
                    client=client,
                    probe=probe,
                    files=files,
                    collection=f"html-{run_id}",
                    docs=len(pages),
                )
                results.note_load("HTML zip")
            results.s3_counted = probe.s3_ok and bool(probe.metrics_url)
        # baselines while the stack is down: none of our other processes on the two cores
        results.offline = offline_baseline(articles, work)
        results.note_load("offline")
        log.info("offline: %.1f docs/s", results.offline.rate)
        if pages:
            logging.disable(logging.WARNING)
            results.trafilatura = trafilatura_baseline([raw for _, raw in pages])
            results.note_load("trafilatura")
            logging.disable(logging.NOTSET)
    return results


# --- the report ------------------------------------------------------------------------------------


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "services"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (services/ modified)" if dirty else "")


def machine() -> str:
    memory = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    cores = len(os.sched_getaffinity(0))
    return f"nproc {cores}, {_cpu_model()}, {memory / 1024**3:.1f} GiB RAM"


def _mb(value: float) -> str:
    return f"{value / 1024**2:.0f} MB"


def _outcomes(counts: dict[str, int] | Counter[str]) -> str:
    return " / ".join(str(counts.get(k, 0)) for k in OUTCOMES)


def _servers_cpu(phase: Phase) -> float:
    """CPU ms per document of the stack's processes (the benchmark client left out)."""
    return sum(v for k, v in phase.cpu_ms().items() if k != "bench client")


def report(results: Results, label: str, note: str | None) -> str:
    o = results.options
    off = results.offline
    lines = [
        f"## Throughput over HTTP ({label})",
        "",
        f"- date: {results.started:%Y-%m-%d %H:%M} UTC; machine: {machine()};"
        f" Python {platform.python_version()}",
        f"- code: commit {_git_commit()}" + (f"; {note}" if note else ""),
        f"- command: `{o.command}`",
        "- stack: `ingest_devstack.stack.Stack` as `make run` starts it (Redis/Valkey, SeaweedFS `weed mini`,"
        " 1 Celery worker x 2 pool processes, uvicorn API), free loopback ports, temporary non-persistent"
        " data dir; upload limits raised by settings only: "
        + ", ".join(f"`{k}={v}`" for k, v in LIMIT_ENV.items()),
        f"- articles: {o.docs} generated by `bench.throughput.corpus` from {results.corpus['sentences']}"
        f" real sentences of the trafilatura-eval main texts (languages: "
        + ", ".join(f"{k} {v}" for k, v in results.corpus["languages"].items())
        + f"); median {results.corpus['median_bytes'] / 1000:.1f} KB; largest share of one article's"
        f" sentences found in another (first 2,000): {results.corpus['max_shared_share']:.1%}",
        "- 1-minute load average after each phase (2 cores; other sessions share the machine): "
        + ", ".join(f"{k} {v:.1f}" for k, v in results.load.items()),
        "- end to end = from the POST's first byte until `GET /v1/jobs/{id}?wait=5` says the job is final"
        " (polls paced at 2% of the elapsed time, 0.25-2 s apart, to keep the benchmark's own reads light);"
        " outcomes are the job's `counts`: stored / duplicate / rejected / failed",
        "",
        "### Text batches",
        "",
        "| upload | documents | stored / duplicate / rejected / failed | POST | end to end | docs/s"
        " | offline `ingest process` x2, docs/s | service / offline | CPU ms/doc, servers / offline |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase in results.batches:
        servers = _servers_cpu(phase)
        off_cpu = 1000 * off.cpu / off.docs if off else 0.0
        lines.append(
            f"| {phase.name} ({phase.status}, {phase.polls} polls) | {phase.docs} | {_outcomes(phase.counts)}"
            f" | {phase.post or 0:.1f} s | {phase.wall:.1f} s | {phase.rate:.1f}"
            f" | {off.rate if off else 0:.1f} | {phase.rate / off.rate if off else 0:.2f}x"
            f" | {servers:.1f} / {off_cpu:.1f} = {servers / off_cpu if off_cpu else 0:.2f}x |"
        )
    if off:
        lines += [
            "",
            f"Offline baseline: `ingest process` (dedup on, in-memory index) in 2 parallel processes, each on"
            f" half of the same articles as a .jsonl file: {off.wall:.1f} s wall, of which"
            f" {off.startup:.1f} s start-up (measured on 1 article, left out of the rate:"
            f" the service's workers are warm);"
            f" {1000 * off.cpu / off.docs:.1f} ms CPU per document (start-up included);"
            f" outcomes {_outcomes(off.outcomes)}.",
        ]
    if results.singles:
        per_doc = 1000 * off.busy / (off.docs / 2) if off else 0.0
        lines += [
            "",
            "### Single uploads (one small .txt per request)",
            "",
            f"Each client thread: POST one file, long-poll its job until final, then `GET /v1/records/{{id}}`"
            f" until 200; latency is POST start → record visible; {o.single_seconds:.0f} s per level"
            f" (then in-flight uploads finish). Articles: median"
            f" {results.corpus['single_median_bytes'] / 1000:.1f} KB. Baseline: offline docs/s above and its"
            f" mean time per document in one process ({per_doc:.1f} ms, the pipeline alone).",
            "",
            "| clients | documents | stored / duplicate / rejected / failed | docs/s | p50 | p90 | p99"
            " | docs/s vs offline | p50 vs offline per-doc time |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for single in results.singles:
            rate = single.docs / single.wall if single.wall else 0.0
            p50, p90, p99 = (1000 * percentile(single.latencies, q) for q in (50, 90, 99))
            lines.append(
                f"| {single.clients} | {single.docs} | {_outcomes(single.outcomes)} | {rate:.1f}"
                f" | {p50:.0f} ms | {p90:.0f} ms | {p99:.0f} ms"
                f" | {rate / off.rate if off else 0:.2f}x | {p50 / per_doc if per_doc else 0:.1f}x |"
            )
    if results.html and results.trafilatura:
        phase = results.html
        base_wall, base_cpu = results.trafilatura
        base_rate = phase.docs / base_wall
        lines += [
            "",
            "### HTML pages (trafilatura-eval, one zip)",
            "",
            "| pages | stored / duplicate / rejected / failed | POST | end to end | pages/s"
            " | `trafilatura.extract` x2 processes, pages/s | service / trafilatura |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| {phase.docs} | {_outcomes(phase.counts)} | {phase.post or 0:.1f} s | {phase.wall:.1f} s"
            f" | {phase.rate:.1f} | {base_rate:.1f} ({1000 * base_cpu / phase.docs:.1f} ms CPU/page)"
            f" | {phase.rate / base_rate:.2f}x |",
        ]
    phases = [*results.batches, *(s.phase for s in results.singles if s.phase)]
    if results.html:
        phases.append(results.html)
    if phases:
        names = list(phases[0].after.cpu)
        lines += [
            "",
            "### CPU per document by process (ms; utime+stime from /proc, process trees)",
            "",
            "| phase | " + " | ".join(names) + " | servers total | baseline |",
            "| --- | " + " | ".join("---" for _ in names) + " | --- | --- |",
        ]
        for phase in phases:
            cpu = phase.cpu_ms()
            servers = _servers_cpu(phase)
            if phase is results.html and results.trafilatura:
                baseline = f"trafilatura {1000 * results.trafilatura[1] / phase.docs:.1f}"
            else:
                baseline = f"offline {1000 * off.cpu / off.docs:.1f}" if off else ""
            lines.append(
                f"| {phase.name} | "
                + " | ".join(f"{cpu[n]:.1f}" for n in names)
                + f" | {servers:.1f} | {baseline} |"
            )
        lines += [
            "",
            "### Redis and S3 per document",
            "",
            "S3 requests are SeaweedFS's own count (`SeaweedFS_s3_request_total` on its `-metricsPort`),"
            " by request type and status; the design's floor is 3 (PUT raw, GET raw, PUT record), plus the"
            " job summary's PUT once per job and, for single uploads, the benchmark's own record GET."
            if results.s3_counted
            else "S3 requests could not be read from SeaweedFS's metrics in this run.",
            "",
            "| phase | Redis used_memory Δ per doc | Redis commands per doc | S3 requests per doc"
            " | by type |",
            "| --- | --- | --- | --- | --- |",
        ]
        for phase in phases:
            s3 = phase.s3_per_doc()
            docs = max(phase.docs, 1)
            lines.append(
                f"| {phase.name} | {(phase.after.redis_used - phase.before.redis_used) / docs:.0f} B"
                f" | {(phase.after.redis_commands - phase.before.redis_commands) / docs:.1f}"
                f" | {sum(s3.values()):.2f} | " + ", ".join(f"{k} {v:.2f}" for k, v in s3.items()) + " |"
            )
    traced = [p for p in [*results.batches, results.html] if p is not None and p.rss is not None]
    if traced:
        lines += [
            "",
            "### Worker memory (RSS of the worker and its pool processes, summed)",
            "",
            "RSS counts a page the pool processes inherit from the main process (the language model,",
            "parser tables) once in each of them; PSS splits it among them: the memory they take.",
            "",
            "| phase | start | peak | end | at 10,000 done | PSS start | PSS end |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for phase in traced:
            assert phase.rss is not None
            rss = phase.rss
            at10k = _mb(rss.at_10k) if rss.at_10k is not None else "-"
            lines.append(
                f"| {phase.name} | {_mb(rss.start)} | {_mb(rss.peak)} | {_mb(rss.end)} | {at10k}"
                f" | {_mb(rss.pss_start)} | {_mb(rss.pss_end)} |"
            )
    return "\n".join(lines)


def _command(args: list[str]) -> str:
    return "make bench-throughput" + (f' ARGS="{shlex.join(args)}"' if args else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="End-to-end throughput of the stack over HTTP")
    parser.add_argument("--docs", type=int, default=None, help=f"articles per text batch ({DEFAULT_DOCS})")
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: {QUICK_DOCS} docs, short singles, no HTML"
    )
    parser.add_argument("--long", action="store_true", help=f"{LONG_DOCS} docs in one JSON Lines batch only")
    parser.add_argument("--single-seconds", type=float, default=None, help="seconds per client level (20)")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML phase")
    parser.add_argument("--label", default="latest", help="section name in RESULTS.md (replaced on rerun)")
    parser.add_argument("--note", default=None, help="a note on the code measured, written with the results")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    docs = args.docs or (LONG_DOCS if args.long else QUICK_DOCS if args.quick else DEFAULT_DOCS)
    options = Options(
        docs=docs,
        single_seconds=args.single_seconds or (5.0 if args.quick else 20.0),
        clients=() if args.long else (1, 8, 32),
        html=not (args.quick or args.long or args.no_html),
        zip=not args.long,
        long=args.long,
        command=_command(argv if argv is not None else sys.argv[1:]),
    )
    results = run(options)
    text = report(results, args.label, args.note)
    print(text)
    if not args.no_write:
        label = args.label
        write_section(text, f"<!-- throughput:{label}:start -->", f"<!-- throughput:{label}:end -->")


if __name__ == "__main__":
    main()
