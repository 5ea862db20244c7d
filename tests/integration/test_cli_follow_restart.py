"""`ingest records --follow` against the real API, which is stopped and started again under it:
the CLI keeps running, reconnects, and prints each record once, from where it left off."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pytest
import redis

from ingest_core.ids import new_id
from ingest_core.jobs import JobStore, NewDocument
from ingest_core.keys import record_key
from ingest_core.schema import DocStatus, Fingerprints, PipelineInfo, Record, Source
from ingest_core.storage import ObjectStore
from ingest_devstack.servers import ApiServer, free_port

pytestmark = pytest.mark.integration


# Ctrl-C as in a terminal's foreground job. A process started in the background by a shell without
# job control (`.ci/run &`, nohup) inherits SIGINT ignored, and Python then never raises
# KeyboardInterrupt: the CLI would rightly ignore the test's Ctrl-C.
_RUN_CLI_WITH_CTRL_C = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('ingest_client.cli', run_name='__main__', alter_sys=True)"
)


class FollowingCli:
    """``ingest records --follow`` as a child process; its stdout lines are queued as they come."""

    def __init__(self, collection: str, port: int, stderr_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"INGEST_API_URL", "INGEST_API_KEY"}}
        env.update(INGEST_API_PORT=str(port), PYTHONUNBUFFERED="1")  # the CLI finds the API by port
        argv = ["records", "--follow", "--collection", collection, "--poll-interval", "0.2"]
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RUN_CLI_WITH_CTRL_C, *argv],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            self.lines.put(raw.decode("utf-8"))

    def next_record_id(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return str(json.loads(self.lines.get(timeout=0.2))["id"])
            except queue.Empty:
                pass
            if not self.running() and self.lines.empty():
                raise AssertionError(f"the CLI exited with {self.process.returncode}: {self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no record within {timeout}s; stderr: {self.stderr()}")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def interrupt(self) -> int:
        """Ctrl-C (SIGINT to its PID); returns the exit code."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
        return self.process.wait(15)

    def close(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self._stderr.close()


@pytest.fixture
def own_api(stack_env: dict[str, str], servers_dir: Path) -> Iterator[ApiServer]:
    """An API process of this test's own (not the suite's shared one), since it gets restarted."""
    server = ApiServer(stack_env, servers_dir / "logs-follow", port=free_port())
    server.start()
    yield server
    server.stop()


def publish(jobs: JobStore, store: ObjectStore, collection: str, title: str) -> str:
    """A record as a worker leaves it: the body in storage, then its entry in the feed."""
    record_id = new_id()
    key = record_key(collection, record_id)
    digest = hashlib.sha256(title.encode()).hexdigest()
    record = Record(
        id=record_id,
        collection=collection,
        ingested_at=datetime.now(UTC),
        source=Source(sha256=digest),
        title=title,
        text=title,
        fingerprints=Fingerprints(content_sha256=digest),
        pipeline=PipelineInfo(version="test"),
    )
    store.put_if_absent(key, record.model_dump_json().encode(), content_type="application/json")
    doc = NewDocument(f"{title}.txt")
    job_id = jobs.create_job(collection, [doc])
    jobs.finish(
        job_id, doc.doc_id, DocStatus.stored, collection=collection, record_id=record_id, record_key=key
    )
    return record_id


def wait_for(check: str, cli: FollowingCli, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while check not in cli.stderr():
        assert cli.running(), f"the CLI exited with {cli.process.returncode}: {cli.stderr()}"
        assert time.monotonic() < deadline, f"{check!r} not on stderr within {timeout}s: {cli.stderr()}"
        time.sleep(0.1)


def test_records_follow_survives_an_api_restart_and_resumes_from_its_cursor(
    own_api: ApiServer,
    redis_client: redis.Redis[bytes],
    object_store: ObjectStore,
    collection: str,
    tmp_path: Path,
) -> None:
    jobs = JobStore(redis_client)
    first = publish(jobs, object_store, collection, "before the restart")
    cli = FollowingCli(collection, own_api.port, tmp_path / "cli.stderr")
    try:
        assert cli.next_record_id(timeout=60) == first

        own_api.stop()  # SIGINT to the API's PID; uvicorn shuts down
        while_down = publish(jobs, object_store, collection, "while the API is down")
        wait_for("feed interrupted (connection refused); retrying in", cli, timeout=30)
        assert cli.running()

        own_api.start()  # the same port, a new process
        assert cli.next_record_id(timeout=60) == while_down
        after = publish(jobs, object_store, collection, "after the restart")
        assert cli.next_record_id(timeout=30) == after

        assert cli.running(), cli.stderr()
        assert cli.lines.empty()  # nothing printed twice
        assert cli.interrupt() == 0
    finally:
        cli.close()
