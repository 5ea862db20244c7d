"""``make run``: the whole service on this machine with embedded defaults.

Starts what is not configured elsewhere (Redis unless INGEST_REDIS_URL is set, SeaweedFS unless
INGEST_S3_ENDPOINT_URL is set), then the API and a worker; keeps data under ``var/`` so a
restart loses nothing; stops every process it started, by PID, on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from ingest_devstack.servers import (
    LOOPBACK,
    ApiServer,
    ManagedProcess,
    RedisServer,
    SeaweedS3,
    Worker,
    preferred_port,
)


@dataclass
class Stack:
    data_dir: Path
    api_port: int = 8000
    api_host: str = LOOPBACK
    workers: int = 1
    worker_concurrency: int = 2
    persistent: bool = True
    env_overrides: dict[str, str] = field(default_factory=dict)
    processes: list[ManagedProcess] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    api: ApiServer | None = None

    def start(self) -> None:
        """Starts in dependency order; on any failure, stops what already started."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        env = dict(self.env_overrides)
        given = {**os.environ, **env}
        if not given.get("INGEST_REDIS_URL"):
            redis = RedisServer(self.data_dir / "redis", preferred_port(6379), persistent=self.persistent)
            self._launch(redis)
            env["INGEST_REDIS_URL"] = redis.url
        if not given.get("INGEST_S3_ENDPOINT_URL"):
            s3 = SeaweedS3(
                self.data_dir / "s3", preferred_port(8333), bucket=given.get("INGEST_S3_BUCKET", "ingest")
            )
            self._launch(s3)
            env.update(s3.client_env())
        env.setdefault("INGEST_WORKER_CONCURRENCY", str(self.worker_concurrency))
        self.env = env
        log_dir = self.data_dir / "logs"
        for number in range(self.workers):
            self._launch(
                Worker(env, log_dir, name=f"worker{number + 1}", concurrency=self.worker_concurrency)
            )
        self.api = ApiServer(env, log_dir, port=self.api_port, host=self.api_host)
        self._launch(self.api)

    def _launch(self, process: ManagedProcess) -> None:
        self.processes.append(process)
        process.start()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for p in self.processes if p.pid is not None}


def main() -> None:
    root = Path(os.environ.get("INGEST_DATA_DIR", "var")).resolve()
    port = int(os.environ.get("INGEST_API_PORT", "8000"))
    host = os.environ.get("INGEST_API_HOST", LOOPBACK)
    stack = Stack(
        data_dir=root,
        api_port=port,
        api_host=host,
        workers=int(os.environ.get("INGEST_WORKERS", "1")),
        worker_concurrency=int(os.environ.get("INGEST_WORKER_CONCURRENCY", "2")),
    )
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"starting the ingest stack (data under {root}) …", flush=True)
    try:
        stack.start()
        assert stack.api is not None
        print(f"redis:   {stack.env.get('INGEST_REDIS_URL', os.environ.get('INGEST_REDIS_URL'))}", flush=True)
        print(
            f"s3:      {stack.env.get('INGEST_S3_ENDPOINT_URL', os.environ.get('INGEST_S3_ENDPOINT_URL'))}",
            flush=True,
        )
        print(f"API:     {stack.api.url}", flush=True)
        print(f"docs:    {stack.api.url}/docs", flush=True)
        for process in stack.processes:
            if isinstance(process, Worker):
                print(
                    f"metrics: http://{LOOPBACK}:{process.metrics_port}/metrics ({process.name})", flush=True
                )
        print(f"logs:    {root / 'logs'}", flush=True)
        print("ready — press Ctrl-C to stop", flush=True)
        while True:
            for process in stack.processes:
                if not process.running():
                    print(f"{process.name} exited unexpectedly; stopping (see its log)", file=sys.stderr)
                    raise SystemExit(1)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping …", flush=True)
        stack.stop()
        print("stopped", flush=True)
